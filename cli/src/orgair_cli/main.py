"""Entry point of `orgair`; each operational task is one sub-command."""

from __future__ import annotations

import typer

from orgair_cli import dev, keys, mcp_bridge, operations, score, value_creation

app = typer.Typer(
    name="orgair",
    help="Operate the PE Org-AI-R Platform: checks, migrations, seed data, scoring, local stack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
score.register(app)
value_creation.register(app)

operations.register(app)
dev.register(app)
keys.register(app)
mcp_bridge.register(app)


if __name__ == "__main__":
    app()
