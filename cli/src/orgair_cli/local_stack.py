"""`orgair local-stack up | keys | down | install | build`: the containerized stack without a Docker
installation or a registry (`make up-local`, `make keys-local`, `make down`).

`up` installs what is missing (docker.io, debootstrap, Compose v2), starts the
project's own engine, builds every image locally (orgair_cli.localengine) and runs
compose.yaml with the stand-ins' override until every service is healthy, then leaves
it running: the gateway on 127.0.0.1:8000, the only published port. `keys` mints an
API key against it and prints the key alone on the last line. `down` removes the
stack (containers, networks, volumes) and stops the engine.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from orgair_auth import Role
from orgair_cli.localengine import EngineError
from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.install import ensure_installed
from orgair_cli.localengine.stack import DEFAULT_PROJECT, LocalStack, repository_root

console = Console(stderr=True)
local_app = typer.Typer(
    name="local-stack",
    help="The containerized stack on the project's own Docker engine (stand-in images).",
    no_args_is_help=True,
)
GATEWAY_PORT = "8000"


def _stack(engine: Engine) -> LocalStack:
    # Loopback and port 8000 whatever .env says: this stack is for this machine.
    env = {"GATEWAY_BIND_ADDRESS": "127.0.0.1", "GATEWAY_PUBLISHED_PORT": GATEWAY_PORT}
    return LocalStack(engine, repository_root(), project=DEFAULT_PROJECT, env=env)


def _fail(exc: EngineError) -> typer.Exit:
    first, _, details = str(exc).partition("\n")
    console.print(f"orgair local-stack: {first}", markup=False)
    if details:
        console.print(details, markup=False, style="dim")
    return typer.Exit(1)


@local_app.command()
def up(
    wait_timeout: Annotated[
        int, typer.Option(min=30, max=1800, help="seconds for every service to turn healthy")
    ] = 300,
) -> None:
    """Install, start the engine, build, and bring the stack up (left running)."""
    try:
        installed = ensure_installed()
        if installed:
            console.print(f"installed {', '.join(installed)}")
        engine = Engine()
        if engine.start():
            console.print(f"started the local engine ({engine.socket})")
        stack = _stack(engine)
        started = time.monotonic()
        stack.build()
        console.print(f"images built in {time.monotonic() - started:.0f} s")
        result = stack.up(wait_timeout, check=False)
    except EngineError as exc:
        raise _fail(exc) from None
    if result.returncode != 0:
        console.print((result.stdout + result.stderr).strip(), markup=False, style="dim")
        console.print(
            "orgair local-stack: the stack did not come up healthy (see above; "
            "`make down` removes it)",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(
        f"the stack is up: gateway http://127.0.0.1:{GATEWAY_PORT} "
        "(`make keys-local ROLE=admin` mints a key, `make down` stops everything)"
    )


@local_app.command()
def keys(
    role: Annotated[Role, typer.Option(help="what the key may do")] = Role.ADMIN,
    name: Annotated[str, typer.Option(help="who or what uses the key")] = "local stack",
) -> None:
    """Mint an API key in the running stack; the key alone on the last line."""
    engine = Engine()
    if not engine.running():
        console.print("orgair local-stack: the local engine is not running (`make up-local`)")
        raise typer.Exit(1)
    try:
        key = _stack(engine).issue_key(role.value, name)
    except EngineError as exc:
        raise _fail(exc) from None
    console.print(f"{role.value} key for {name!r} (shown once):", markup=False)
    typer.echo(key)


@local_app.command()
def down() -> None:
    """Remove the stack (containers, networks, volumes) and stop the local engine."""
    engine = Engine()
    try:
        if engine.running():
            _stack(engine).down()
        stopped = engine.stop()
    except EngineError as exc:
        raise _fail(exc) from None
    console.print(
        "stack removed, local engine stopped" if stopped else "no local engine was running"
    )


@local_app.command()
def install() -> None:
    """Install what the local engine needs when missing (docker.io, debootstrap, Compose v2)."""
    try:
        installed = ensure_installed()
    except EngineError as exc:
        raise _fail(exc) from None
    console.print(f"installed {', '.join(installed)}" if installed else "nothing to install")


@local_app.command()
def build() -> None:
    """Build every image of the stack (base images and stand-ins included)."""
    try:
        ensure_installed()
        engine = Engine()
        started_engine = engine.start()
        try:
            _stack(engine).build()
        finally:
            if started_engine:
                engine.stop()
    except EngineError as exc:
        raise _fail(exc) from None


def register(app: typer.Typer) -> None:
    app.add_typer(local_app)
