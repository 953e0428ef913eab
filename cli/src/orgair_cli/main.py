"""Entry point of `orgair`; each operational task is one sub-command."""

from __future__ import annotations

import typer

from orgair_cli import (
    dev,
    keys,
    local_stack,
    mcp_bridge,
    operations,
    score,
    value_creation,
    warehouse,
)
from orgair_observability.entry_points import one_line_on_failure

app = typer.Typer(
    name="orgair",
    help="Operate the PE Org-AI-R Platform: checks, migrations, seed data, scoring, local stack, "
    "warehouse export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
score.register(app)
value_creation.register(app)

operations.register(app)
dev.register(app)
keys.register(app)
warehouse.register(app)
local_stack.register(app)
mcp_bridge.register(app)


def main() -> None:
    """The `orgair` command: the app, with no traceback for anything unforeseen."""
    with one_line_on_failure("orgair"):
        app()


if __name__ == "__main__":
    main()
