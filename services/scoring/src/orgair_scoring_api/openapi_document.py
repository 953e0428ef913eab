"""The OpenAPI document of scoring's versioned routes, for the gateway to publish.

The gateway is the only public port and documents the whole API, but it must not
import this service to do so. It ships a copy of this document instead
(`orgair_gateway/scoring_openapi.json`); `make openapi` regenerates the copy, and
tests/gateway/test_scoring_openapi.py fails while the copy differs from what the
routers describe. The routes are documented at the default prefixes
(`API_V1_PREFIX`, `API_V2_PREFIX`); the gateway moves them to the configured ones.

    python -m orgair_scoring_api.openapi_document [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from orgair_config import Settings
from orgair_observability.openapi import document_problems
from orgair_scoring_api.app import api_routers

DEFAULT_V1_PREFIX: str = Settings.model_fields["API_V1_PREFIX"].default
DEFAULT_V2_PREFIX: str = Settings.model_fields["API_V2_PREFIX"].default


def scoring_openapi() -> dict[str, Any]:
    """The document of every versioned route, at the default prefixes."""
    document_app = FastAPI(
        title="PE Org-AI-R scoring API (served through the gateway)",
        version=version("orgair-scoring-api"),
    )
    for prefix, router in api_routers(DEFAULT_V1_PREFIX, DEFAULT_V2_PREFIX):
        document_app.include_router(router, prefix=prefix)
    return document_problems(document_app.openapi())


def render(document: dict[str, Any]) -> str:
    """The file's text: stable, so a regenerated copy differs only where routes did."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orgair_scoring_api.openapi_document")
    parser.add_argument("--output", type=Path, help="write the document here (default: stdout)")
    options = parser.parse_args(argv)
    text = render(scoring_openapi())
    if options.output is None:
        sys.stdout.write(text)
    else:
        options.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
