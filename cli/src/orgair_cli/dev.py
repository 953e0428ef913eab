"""`orgair dev`: the whole platform as local processes with embedded defaults."""

from __future__ import annotations

import re
import secrets
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from orgair_config import get_settings, load_settings_or_exit

console = Console()


def ensure_env_file(env_path: Path, example_path: Path) -> bool:
    """Write `.env` from `.env.example` with a fresh SECRET_KEY; False when it already exists."""
    if env_path.exists():
        return False
    template = example_path.read_text() if example_path.exists() else "SECRET_KEY=change-me\n"
    key = secrets.token_urlsafe(48)
    text, count = re.subn(r"(?m)^SECRET_KEY=.*$", f"SECRET_KEY={key}", template)
    if not count:
        text += f"\nSECRET_KEY={key}\n"
    env_path.write_text(text)
    env_path.chmod(0o600)
    return True


def dev(
    log_dir: Annotated[Path, typer.Option(help="where each process writes its log")] = Path(
        "var/dev"
    ),
) -> None:
    """Start Redis, S3, init and the services locally; Ctrl-C stops everything."""
    # Imported here: the process runner pulls in Redis, SQLAlchemy and the key store.
    from orgair_cli.devstack import DevStack, StackError
    from orgair_cli.keys import issue_admin_key_if_none

    if ensure_env_file(Path(".env"), Path(".env.example")):
        console.print("wrote .env with a fresh SECRET_KEY")
        get_settings.cache_clear()
    settings = load_settings_or_exit("orgair dev")
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = DevStack(settings, log_dir.resolve(), on_line=lambda line: console.print(f"  {line}"))
    console.print(f"starting the stack (logs in {log_dir}/)")
    try:
        group = stack.start()
    except StackError as exc:
        console.print(f"[red]orgair dev: {exc}[/red]")
        raise typer.Exit(1) from None
    try:
        gateway = settings.gateway_base_url
        console.print(f"\n[bold green]ready[/bold green]: the API at {gateway}")
        # Printed on this terminal only, never logged: only its HMAC is stored, so
        # this is the one time it can be shown.
        issued = issue_admin_key_if_none(settings)
        if issued is not None:
            console.print(
                f"  admin API key (shown once, keep it): {issued.key}", markup=False, soft_wrap=True
            )
            key_hint = issued.key
        else:
            console.print("  an admin API key exists already (`orgair keys create` issues more)")
            key_hint = "<your key>"
        console.print(
            f'  try: curl -H "Authorization: Bearer {key_hint}" '
            f"{gateway}{settings.API_V1_PREFIX}/industries",
            markup=False,
            soft_wrap=True,
        )
        console.print(
            f"  AI assistants (MCP): {gateway}/mcp with the same key as a Bearer token, "
            "or `orgair mcp` on stdio (see README)",
            markup=False,
            soft_wrap=True,
        )
        console.print("  Ctrl-C stops everything\n")
        while not stop.wait(0.5):
            for running in group.running:
                if running.process.poll() is not None:
                    console.print(
                        f"[red]{running.spec.name} exited with {running.process.returncode}; "
                        f"stopping[/red]\n{running.tail()}"
                    )
                    stop.set()
    finally:
        console.print("stopping…")
        group.stop()
        console.print("stopped")


def env() -> None:
    """Write .env from .env.example with a fresh SECRET_KEY, unless .env exists."""
    if ensure_env_file(Path(".env"), Path(".env.example")):
        console.print("wrote .env with a fresh SECRET_KEY")
    else:
        console.print(".env exists; left unchanged")


def register(app: typer.Typer) -> None:
    app.command()(dev)
    app.command()(env)
