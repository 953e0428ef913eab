"""The dashboard's own stylesheet and script, served from this package.

Vendored, not fetched: the pages work offline and under `script-src 'self'`. The
files are read once at import; each URL carries a hash of its content, so a
browser may cache it for a year and still gets a new file the moment it changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from fastapi import APIRouter, Request, Response

__all__ = ["ASSETS", "router", "static_url"]

PREFIX = "/dashboard/static"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def _load() -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for entry in resources.files(__package__).joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if suffix not in _TYPES:
            continue
        body = entry.read_bytes()
        assets[entry.name] = Asset(body, _TYPES[suffix], hashlib.sha256(body).hexdigest()[:16])
    return assets


ASSETS = _load()


def static_url(name: str) -> str:
    return f"{PREFIX}/{name}?v={ASSETS[name].etag}"


router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/{name}")
async def asset(name: str, request: Request) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return Response(status_code=404, content=b"", media_type="text/plain")
    headers = {
        "ETag": f'"{found.etag}"',
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.content_type, headers=headers)
