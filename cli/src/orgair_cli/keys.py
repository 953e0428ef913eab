"""`orgair keys create | list | revoke`: API key management against the key store.

The database named by the settings holds only each key's HMAC; `create` prints
the key once, on standard output (so `KEY=$(orgair keys create …)` works), and
it cannot be shown again.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orgair_auth import ApiKeyRepository, IssuedApiKey, LastAdminKey, Role
from orgair_config import Settings, load_settings_or_exit
from orgair_database import Database

console = Console(stderr=True)
keys_app = typer.Typer(name="keys", help="Issue, list and revoke API keys.", no_args_is_help=True)

DEV_ADMIN_KEY_NAME = "orgair dev admin"


def _database(settings: Settings) -> Database:
    return Database.from_settings(settings)


@keys_app.command()
def create(
    role: Annotated[Role, typer.Option(help="what the key may do")],
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="days until the key expires")
    ] = None,
) -> None:
    """Issue a key and print it once (only its HMAC is stored)."""
    settings = load_settings_or_exit("orgair keys")
    expires_in = timedelta(days=expires_in_days) if expires_in_days else None
    database = _database(settings)
    try:
        with database.session() as session:
            issued = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value()).create(
                name=name, role=role, expires_in=expires_in
            )
    except ValueError as exc:
        console.print(f"orgair keys create: {exc}", markup=False)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    record = issued.record
    expiry = record.expires_at.isoformat() if record.expires_at else "never"
    console.print(f"created {record.role.value} key {record.id} ({record.name}), expires {expiry}")
    console.print("the key is shown once and cannot be recovered:")
    typer.echo(issued.key)


@keys_app.command("list")
def list_keys(
    include_revoked: Annotated[bool, typer.Option(help="show revoked keys too")] = True,
) -> None:
    """List keys: id, name, role, last characters, expiry and revocation (never the key)."""
    settings = load_settings_or_exit("orgair keys")
    database = _database(settings)
    try:
        with database.session() as session:
            records = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value()).list(
                include_revoked=include_revoked
            )
    finally:
        database.dispose()
    table = Table("id", "name", "role", "ends with", "created", "expires", "revoked")
    for record in records:
        table.add_row(
            str(record.id),
            record.name,
            record.role.value,
            f"…{record.hint}",
            record.created_at.strftime("%Y-%m-%d %H:%M"),
            record.expires_at.strftime("%Y-%m-%d %H:%M") if record.expires_at else "never",
            record.revoked_at.strftime("%Y-%m-%d %H:%M") if record.revoked_at else "",
        )
    Console().print(table)


@keys_app.command()
def revoke(key_id: Annotated[uuid.UUID, typer.Argument(help="the key's id (see `list`)")]) -> None:
    """Revoke a key; gateways stop accepting it within API_KEY_CACHE_SECONDS."""
    settings = load_settings_or_exit("orgair keys")
    database = _database(settings)
    try:
        with database.session() as session:
            record = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value()).revoke(
                key_id
            )
    except LastAdminKey:
        console.print(
            f"orgair keys revoke: {key_id} is the last active admin key; "
            "create another admin key first (orgair keys create --role admin)"
        )
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    if record is None:
        console.print(f"orgair keys revoke: no key with id {key_id}")
        raise typer.Exit(1)
    console.print(f"revoked {record.role.value} key {record.id} ({record.name})")


def issue_admin_key_if_none(settings: Settings) -> IssuedApiKey | None:
    """A new admin key when the store has no usable one (first start of `orgair dev`)."""
    database = _database(settings)
    try:
        with database.session() as session:
            repository = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value())
            if repository.has_active_key(Role.ADMIN):
                return None
            return repository.create(name=DEV_ADMIN_KEY_NAME, role=Role.ADMIN)
    finally:
        database.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app)
