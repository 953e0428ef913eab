"""A dashboard caller without a browser: httpx with cookies, signing in as a browser would."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import httpx

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextlib.contextmanager
def signed_in(base_url: str, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        sign_in(client, key)
        yield client


def sign_in(client: httpx.Client, key: str, *, next_path: str | None = None) -> httpx.Response:
    form = client.get("/dashboard/sign-in")
    assert form.status_code == 200, form.text
    data = {"form_token": FORM_TOKEN.search(form.text).group(1), "api_key": key}  # type: ignore[union-attr]
    if next_path is not None:
        data["next"] = next_path
    answer = client.post("/dashboard/sign-in", data=data)
    assert answer.status_code == 303, answer.text
    return answer


def csrf_token(client: httpx.Client) -> str:
    page = client.get("/dashboard/funds")
    assert page.status_code == 200, page.text
    return CSRF_TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
