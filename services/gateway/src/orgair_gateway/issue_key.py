"""`python -m orgair_gateway.issue_key --role ROLE --name NAME`: mint an API key in the image.

The operator's `orgair keys create` needs the workspace on the host; a containerized
stack keeps its key store inside (the SQLite volume, or the database DATABASE_URL
names), so this runs in the gateway's own image (`docker compose run --rm --no-deps
gateway python -m orgair_gateway.issue_key ...`, `kubectl exec`). It stores the key's
HMAC through the same ApiKeyRepository and prints the key once, alone on the last
line of standard output; everything else goes to standard error. Exit 2 on bad input
with one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from orgair_auth import ApiKeyRepository, Role
from orgair_config import load_settings_or_exit
from orgair_database import Database

PROG = "python -m orgair_gateway.issue_key"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Issue an API key, shown once.")
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--name", required=True, help="who or what uses the key")
    options = parser.parse_args(argv)
    settings = load_settings_or_exit("issue_key")
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            issued = ApiKeyRepository(session, settings.SECRET_KEY.get_secret_value()).create(
                name=options.name, role=Role(options.role)
            )
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    finally:
        database.dispose()
    record = issued.record
    print(f"created {record.role.value} key {record.id} ({record.name})", file=sys.stderr)  # noqa: T201
    print(issued.key)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
