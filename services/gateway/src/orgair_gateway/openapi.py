"""The public OpenAPI document: scoring's versioned routes and the gateway's own endpoints,
with the API-key security scheme and the errors the gateway adds to every call.

Scoring's routes come from `scoring_openapi.json`, the document of scoring's routers
committed next to this module (`make openapi` regenerates it; a test fails while it
is stale). Not fetched from a running scoring service: scoring serves no
`/openapi.json` outside DEBUG, and the document must not depend on start order. Not
built from scoring's code either: the gateway does not import another service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from orgair_config import Settings
from orgair_observability.openapi import document_problems, problem_content

__all__ = ["SCORING_OPENAPI_PATH", "SECURITY_SCHEMES", "public_openapi", "scoring_openapi"]

SCORING_OPENAPI_PATH = Path(__file__).with_name("scoring_openapi.json")

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerApiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "oair_…"},
}
_GATEWAY_ERRORS = {
    "401": "No API key, or an unknown, revoked or expired one.",
    "403": "The API key's role does not allow this operation.",
    "413": "The request body is larger than the gateway accepts.",
    "429": "Rate limit spent; see Retry-After, RateLimit and RateLimit-Policy.",
    "502": "Scoring is unreachable.",
    "503": "The gateway has no free upstream connection.",
    "504": "Scoring did not answer in time.",
}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def _moved(path: str, prefixes: dict[str, str]) -> str:
    for documented, configured in prefixes.items():
        if path == documented or path.startswith(documented + "/"):
            return configured + path[len(documented) :]
    return path


def scoring_openapi(settings: Settings) -> dict[str, Any]:
    """Scoring's document, its routes moved from the default prefixes to the configured."""
    document: dict[str, Any] = json.loads(SCORING_OPENAPI_PATH.read_text(encoding="utf-8"))
    defaults = Settings.model_fields
    prefixes = {
        defaults["API_V1_PREFIX"].default: settings.API_V1_PREFIX,
        defaults["API_V2_PREFIX"].default: settings.API_V2_PREFIX,
    }
    document["paths"] = {
        _moved(path, prefixes): item for path, item in document.get("paths", {}).items()
    }
    return document


def _merge_schemas(into: dict[str, Any], schemas: dict[str, Any]) -> None:
    for name, definition in schemas.items():
        if into.setdefault(name, definition) != definition:
            raise ValueError(f"scoring and the gateway define the schema {name!r} differently")


def public_openapi(
    settings: Settings, gateway_routers: Iterable[APIRouter], open_paths: Iterable[str]
) -> dict[str, Any]:
    document_app = FastAPI(
        title=f"{settings.APP_NAME} API",
        version=settings.APP_VERSION,
        description=(
            "The public API, served by the gateway. Every operation except the probes "
            "needs an API key, sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`. "
            "Reads need the viewer role, writes analyst, review decisions reviewer, "
            "key management admin."
        ),
    )
    for router in gateway_routers:
        document_app.include_router(router)
    schema = document_problems(document_app.openapi())
    scoring = scoring_openapi(settings)
    schema["paths"] = {**scoring.get("paths", {}), **schema.get("paths", {})}

    components = schema.setdefault("components", {})
    _merge_schemas(
        components.setdefault("schemas", {}), scoring.get("components", {}).get("schemas", {})
    )
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    schema["security"] = [{name: []} for name in SECURITY_SCHEMES]
    open_set = frozenset(open_paths)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            if path in open_set:
                operation["security"] = []  # the probes need no key
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _GATEWAY_ERRORS.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": problem_content()},
                )
    return schema
