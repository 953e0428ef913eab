"""HTML out: the Jinja2 environment, number and date formats, and the page headers.

Every page is rendered here, so every page gets the same headers: a strict
Content-Security-Policy (scripts and styles from this origin only, no inline code,
no frames, forms post to this origin only), `Cache-Control: no-store` (pages carry
one key's data), and the per-key rate-limit headers of the request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.static import static_url
from orgair_observability import get_correlation_id

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PAGE_HEADERS",
    "html_page",
    "render",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Not the gateway's usual no-referrer: with it a browser sends `Origin: null` on
    # form posts, and the CSRF check wants to see this origin there.
    "Referrer-Policy": "same-origin",
    "Vary": "Cookie",
}
DASH = "—"


def score(value: Any, digits: int = 1) -> str:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return DASH
    return f"{value:.{digits}f}"


def percent(value: Any, digits: int = 1) -> str:
    """A 0..1 share as a percentage."""
    if value is None or not isinstance(value, int | float):
        return DASH
    return f"{value * 100:.{digits}f} %"


def usd(value: Any) -> str:
    if value is None or not isinstance(value, int | float):
        return DASH
    return f"${value:,.0f}"


def number(value: Any, digits: int = 4) -> str:
    """A parameter as it is: integers plainly, floats without trailing zeros."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return text or "0"
    if value is None:
        return DASH
    if isinstance(value, list):
        return ", ".join(number(item, digits) for item in value)
    return str(value)


def when(value: Any) -> str:
    """An ISO-8601 timestamp from the API as `2026-12-01 21:03 UTC`."""
    if not isinstance(value, str):
        return DASH
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    suffix = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("orgair_gateway.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        score=score, percent=percent, usd=usd, number=number, when=when, label=label
    )
    environment.globals.update(static=static_url)
    return environment


ENVIRONMENT = _environment()


def render(template: str, values: Mapping[str, Any]) -> str:
    return ENVIRONMENT.get_template(template).render(correlation_id=get_correlation_id(), **values)


def html_page(
    template: str,
    values: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (),
) -> HTMLResponse:
    response = HTMLResponse(render(template, values), status_code=status, headers=PAGE_HEADERS)
    for name, value in headers:
        response.headers.append(name, value)
    return response
