"""Cross-site request forgery: what every dashboard form post must prove.

- A signed-in form carries the session's synchronizer token (`csrf_token`, minted
  with the session, stored with it server-side); a post whose token is missing or
  differs is refused (403), whatever else it carries.
- The sign-in form has no session yet: it carries an HMAC of a random value the
  gateway set in a short-lived cookie when it showed the form (a signed
  double-submit token), so a page elsewhere cannot sign a browser in with the
  attacker's key (login CSRF).
- In addition the browser's own word is checked: a post whose `Origin` is another
  origin, or whose `Sec-Fetch-Site` says cross-site, is refused before any token.

The session cookie is SameSite=Lax as well; the tokens do not rely on it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = ["SignInTokens", "from_same_origin", "tokens_match"]

_PURPOSE = b"orgair dashboard sign-in form v1"


def tokens_match(expected: str, submitted: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


class SignInTokens:
    """The sign-in form's token: HMAC(SECRET_KEY-derived key, cookie value)."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    def token_for(self, cookie_value: str) -> str:
        return hmac.digest(self._key, cookie_value.encode(), "sha256").hex()

    def check(self, cookie_value: str | None, submitted: str | None) -> bool:
        if not cookie_value:
            return False
        return tokens_match(self.token_for(cookie_value), submitted)


def from_same_origin(request: Request) -> bool:
    """False when the browser says the post comes from another site or origin.

    `Origin` is compared by host and port with `Host` (the scheme may be rewritten by
    a TLS terminator in front); a browser that sends neither header leaves it to the
    token."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        # A privacy-minded browser hides the origin; its own Sec-Fetch-Site still tells.
        return fetch_site == "same-origin"
    host = request.headers.get("host")
    return host is not None and urlsplit(origin).netloc == host
