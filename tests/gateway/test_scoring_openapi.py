"""The gateway's copy of scoring's OpenAPI document is what scoring's routers describe.

The gateway publishes scoring's routes without importing scoring: from the committed
`orgair_gateway/scoring_openapi.json`. Change a router without regenerating the copy
(`make openapi`) and this fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from orgair_config import Settings
from orgair_gateway.openapi import SCORING_OPENAPI_PATH, scoring_openapi
from orgair_scoring_api.openapi_document import render
from orgair_scoring_api.openapi_document import scoring_openapi as generated_document

REGENERATE = "stale copy of scoring's OpenAPI document: run `make openapi` and commit it"


def test_committed_document_equals_the_routers_document() -> None:
    committed = json.loads(SCORING_OPENAPI_PATH.read_text(encoding="utf-8"))
    assert committed == generated_document(), REGENERATE
    assert SCORING_OPENAPI_PATH.read_text(encoding="utf-8") == render(committed), REGENERATE


def test_the_generator_writes_the_committed_text() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orgair_scoring_api.openapi_document"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout == SCORING_OPENAPI_PATH.read_text(encoding="utf-8")


def test_routes_move_to_the_configured_prefixes(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(API_V1_PREFIX="/v1", API_V2_PREFIX="/scoring/v2")
    paths = set(scoring_openapi(settings)["paths"])
    assert "/v1/companies" in paths
    assert "/scoring/v2/reviews" in paths
    assert not {path for path in paths if path.startswith("/api/")}


def test_gateway_builds_its_document_without_importing_scoring() -> None:
    probe = (
        "import sys\n"
        "from orgair_config import Settings\n"
        "from orgair_gateway.app import create_app\n"
        "create_app(Settings(_env_file=None, SECRET_KEY='x' * 40))\n"
        "print(sorted(m for m in sys.modules if m.startswith('orgair_scoring_api')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
