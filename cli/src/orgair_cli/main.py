"""Entry point of `orgair`; each operational task is one sub-command."""

from __future__ import annotations

import typer

from orgair_cli import dev, keys, local_stack, operations, score, value_creation, warehouse

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


if __name__ == "__main__":
    app()
