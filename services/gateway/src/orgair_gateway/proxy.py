"""The reverse proxy: a pure-ASGI app that forwards `/api/v1/*` and `/api/v2/*` to scoring.

Responses are streamed, chunk by chunk as they arrive. Request bodies are read
whole first (they are bounded by GATEWAY_MAX_BODY_BYTES): the signed identity
covers the body's SHA-256, and a header cannot carry the digest of bytes not yet
read (HTTP trailers would, but neither aiohttp nor uvicorn carries them). Reading
first also means a slow upload holds no upstream connection. Requests without a
body, the hot path, are unaffected.

Kept out of FastAPI's routing on purpose: on this hot path routing, dependency
injection and response models cost more than the forwarding itself (DESIGN §4).

Upstream client: one pooled `aiohttp.ClientSession` per process, created in
the lifespan. Chosen over `httpx.AsyncClient` by measurement: through the same
pure-ASGI proxy, httpx's connection pool serialises under concurrency
(encode/httpx#3215) and gave a fraction of aiohttp's throughput
(bench/bench_gateway_proxy.py prints both).

Failures never become a 500 or a hang:
    upstream refuses or drops the connection  -> 502
    no connection or no answer in time         -> 504 (connect / read timeout)
    no pooled connection free in time          -> 503 (pool timeout)
A failure after the response has started can only cut the response short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from opentelemetry import trace
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from orgair_auth import EMPTY_BODY_SHA256, Identity, IdentitySigner, body_sha256, request_target
from orgair_gateway.asgi import send_problem, state
from orgair_gateway.credentials import CREDENTIAL_HEADERS
from orgair_observability import get_logger
from orgair_observability.correlation import request_correlation_id
from orgair_observability.logging import mark_exception_logged
from orgair_observability.metrics import UPSTREAM_ERRORS

__all__ = ["ProxiedPaths", "UpstreamProxy", "UpstreamSettings", "trace_headers"]

log = get_logger(__name__)

IDENTITY_STATE = "identity"

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Replaced by the gateway, whatever the caller sent.
_REWRITTEN = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-correlation-id",
        b"x-orgair-key-id",
        b"x-orgair-role",
        b"x-orgair-timestamp",
        b"x-orgair-nonce",
        b"x-orgair-signature",
    }
)
_DROPPED_REQUEST_HEADERS = HOP_BY_HOP | CREDENTIAL_HEADERS | _REWRITTEN
# The gateway's server writes its own (as nginx hides the upstream's by default).
_DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {b"date", b"server"}
# May hold an absolute URL, which must never name the upstream's own address.
_URL_RESPONSE_HEADERS = frozenset({b"location", b"content-location"})
_NOT_COPIED_RESPONSE_HEADERS = _DROPPED_RESPONSE_HEADERS | _URL_RESPONSE_HEADERS
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})
# Request headers that are not simply copied: one set lookup per header tells the
# common case (copy it) from these.
_NOT_COPIED = _DROPPED_REQUEST_HEADERS | _TRACE_HEADERS


class UpstreamSettings:
    """The proxy's knobs, from `Settings` (kept apart so tests can build one directly)."""

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        pool_timeout: float,
        pool_size: int,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.pool_timeout = pool_timeout
        self.pool_size = pool_size


def _connection_tokens(value: bytes) -> set[bytes]:
    """Header names listed in a `Connection` value (hop-by-hop, RFC 9110 §7.6.1)."""
    return {token.strip().lower() for token in value.split(b",")}


class UpstreamProxy:
    """Forwards a request to the upstream and streams the answer back."""

    def __init__(self, upstream: UpstreamSettings, signer: IdentitySigner) -> None:
        self.upstream = upstream
        self.signer = signer
        base = urlsplit(upstream.base_url)
        self._upstream_origin = (base.scheme, base.netloc.lower())
        self._session: aiohttp.ClientSession | None = None
        # Waiting for a free connection is bounded by our own semaphore, so that a
        # full pool (503) is told apart from an unreachable upstream (502/504).
        self._slots = asyncio.Semaphore(upstream.pool_size)

    async def start(self) -> None:
        # Created on the serving event loop, which may differ from the constructor's.
        self._slots = asyncio.Semaphore(self.upstream.pool_size)
        connector = aiohttp.TCPConnector(
            limit=self.upstream.pool_size,
            limit_per_host=self.upstream.pool_size,
            keepalive_timeout=30,
            ttl_dns_cache=60,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=self.upstream.connect_timeout,
                sock_read=self.upstream.read_timeout,
            ),
            # Bodies pass through as they are: no decompression, no cookies kept,
            # none of aiohttp's default request headers added.
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled upstream session (the gateway's own calls to scoring share it)."""
        if self._session is None:
            raise RuntimeError("UpstreamProxy.start() was not awaited (lifespan)")
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def probe(self, path: str, *, within_seconds: float) -> int:
        """GET `path` on the upstream (readiness); its status, or an aiohttp error."""
        if self._session is None:
            raise RuntimeError("UpstreamProxy.start() was not awaited (lifespan)")
        async with self._session.get(
            self.upstream.base_url + path, timeout=aiohttp.ClientTimeout(total=within_seconds)
        ) as response:
            await response.read()
            return response.status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = self._session
        if session is None:
            raise RuntimeError("UpstreamProxy.start() was not awaited (lifespan)")
        method: str = scope["method"]
        target = request_target(
            scope.get("raw_path") or scope["path"].encode(), scope["query_string"]
        )
        headers, has_body = self._upstream_headers(scope)
        # The whole body before any upstream connection: the signature covers its
        # digest, and a slow upload holds no upstream connection meanwhile. Bounded by
        # GATEWAY_MAX_BODY_BYTES (the body limit ends the read with a 413 past it).
        body: bytes | None = None
        if has_body:
            body = await _read_body(receive)
            if body is None:
                return  # the caller went away mid-upload: nobody to answer
        identity: Identity = state(scope)[IDENTITY_STATE]
        headers.extend(
            self.signer.sign(
                identity, method, target, body_sha256(body) if body else EMPTY_BODY_SHA256
            )
        )
        if not await self._acquire_slot():
            UPSTREAM_ERRORS.labels("pool_exhausted").inc()
            await send_problem(
                scope, receive, send, 503, "Service Unavailable",
                "The gateway has no free upstream connection; retry shortly.",
                headers={"Retry-After": "1"},
            )  # fmt: skip
            return
        try:
            await self._forward(session, scope, send, method, target, headers, body)
        finally:
            self._slots.release()

    async def _acquire_slot(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()
            return True
        try:
            async with asyncio.timeout(self.upstream.pool_timeout):
                await self._slots.acquire()
        except TimeoutError:
            log.warning("upstream_pool_exhausted", pool_size=self.upstream.pool_size)
            return False
        return True

    async def _forward(
        self,
        session: aiohttp.ClientSession,
        scope: Scope,
        send: Send,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
    ) -> None:
        url = URL(self.upstream.base_url + target, encoded=True)
        started = False
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                compress=None,
            ) as upstream:
                response_headers = self._downstream_headers(upstream.raw_headers)
                await send(
                    {
                        "type": "http.response.start",
                        "status": upstream.status,
                        "headers": response_headers,
                    }
                )
                started = True
                if method == "HEAD":
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                # Each chunk as it arrives; the one that ends the body says so itself
                # (no empty message after it through every layer), which is every
                # response that fits in one read.
                content = upstream.content
                chunk = await content.readany()
                while chunk:
                    last = content.at_eof()
                    await send({"type": "http.response.body", "body": chunk, "more_body": not last})
                    if last:
                        return
                    chunk = await content.readany()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (aiohttp.ClientError, TimeoutError) as exc:
            if started:
                # The status line is gone: all that is left is to cut the response short.
                log.error("upstream_failed_mid_response", error_type=type(exc).__name__)
                mark_exception_logged(exc)
                raise
            await self._upstream_problem(scope, send, exc)

    def _upstream_headers(self, scope: Scope) -> tuple[list[tuple[str, str]], bool]:
        """The caller's end-to-end headers, plus the forwarding, correlation and trace
        headers (the identity is signed once the body is read); and whether a body
        follows. One pass over the headers."""
        headers: list[tuple[str, str]] = []
        forwarded_for: list[str] = []
        host = ""
        has_body = False
        caller_trace: list[tuple[str, str]] = []
        hop_by_hop: set[bytes] | None = None
        for name, value in scope["headers"]:
            if name not in _NOT_COPIED:
                if name == b"content-length" and value != b"0":
                    has_body = True
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
            elif name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"host":
                host = value.decode("latin-1")
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"connection":
                hop_by_hop = (hop_by_hop or set()) | _connection_tokens(value)
            elif name in _TRACE_HEADERS:
                caller_trace.append((name.decode("latin-1"), value.decode("latin-1")))
        if hop_by_hop:
            # Rare: the caller named more hop-by-hop headers in `Connection`.
            named = {token.decode("latin-1") for token in hop_by_hop}
            headers = [(name, value) for name, value in headers if name not in named]
            caller_trace = [(name, value) for name, value in caller_trace if name not in named]

        client = scope.get("client")
        if client:
            forwarded_for.append(client[0])
        if forwarded_for:
            headers.append(("X-Forwarded-For", ", ".join(forwarded_for)))
        headers.append(("X-Forwarded-Proto", scope.get("scheme", "http")))
        if host:
            headers.append(("X-Forwarded-Host", host))
        correlation_id = request_correlation_id(scope)
        if correlation_id:
            headers.append(("X-Correlation-ID", correlation_id))
        headers.extend(trace_headers(caller_trace))
        return headers, has_body

    def _downstream_headers(self, raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = []
        hop_by_hop: set[bytes] | None = None
        for name, value in raw:
            lower = name.lower()
            if lower not in _NOT_COPIED_RESPONSE_HEADERS:
                headers.append((lower, value))
            elif lower in _URL_RESPONSE_HEADERS:
                headers.append((lower, self._without_upstream_origin(value)))
            elif lower == b"connection":
                hop_by_hop = (hop_by_hop or set()) | _connection_tokens(value)
        if hop_by_hop:
            headers = [(name, value) for name, value in headers if name not in hop_by_hop]
        return headers

    def _without_upstream_origin(self, url: bytes) -> bytes:
        """`url` as a path when it points at the upstream (a redirect built from the
        upstream's own address would send the caller around the gateway); other URLs
        (a presigned S3 link, say) as they are."""
        try:
            parts = urlsplit(url.decode("latin-1"))
        except ValueError:
            return url
        if parts.netloc and (parts.scheme, parts.netloc.lower()) == self._upstream_origin:
            return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)).encode(
                "latin-1"
            )
        return url

    async def _upstream_problem(self, scope: Scope, send: Send, exc: BaseException) -> None:
        error_type = type(exc).__name__
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            status, title, kind = 504, "Gateway Timeout", "connect_timeout"
            detail = "The upstream service did not accept a connection in time."
        elif isinstance(exc, TimeoutError):
            status, title, kind = 504, "Gateway Timeout", "read_timeout"
            detail = "The upstream service did not answer in time."
        else:
            status, title, kind = 502, "Bad Gateway", "unreachable"
            detail = "The upstream service is unreachable or closed the connection."
        UPSTREAM_ERRORS.labels(kind).inc()
        log.warning("upstream_unavailable", status=status, error_type=error_type)
        await send_problem(scope, _no_body, send, status, title, detail)


async def _no_body() -> Message:
    # The request body was read before the upstream call: nothing is left to receive.
    return {"type": "http.request", "body": b"", "more_body": False}


def trace_headers(caller_trace: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The gateway's own span context when it traces the request (scoring's span then
    becomes its child), else the caller's `traceparent`/`tracestate` unchanged.

    Written in the W3C Trace Context format directly (what the platform propagates,
    DESIGN §4), rather than through the global propagator per request; a caller's
    `baggage` header is forwarded as it came."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return caller_trace
    headers = [
        (
            "traceparent",
            f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
            f"-{span_context.trace_flags:02x}",
        )
    ]
    if span_context.trace_state:
        headers.append(("tracestate", span_context.trace_state.to_header()))
    return headers


async def _read_body(receive: Receive) -> bytes | None:
    """The caller's whole body; None when the caller disconnected before its end."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class ProxiedPaths:
    """The paths under the proxied prefixes (``/api/v1``, ``/api/v1/…``, not ``/api/v10``)."""

    def __init__(self, prefixes: Iterable[str]) -> None:
        self.prefixes = tuple(prefix.rstrip("/") for prefix in prefixes)
        self._with_slash = tuple(prefix + "/" for prefix in self.prefixes)

    def matches(self, path: str) -> bool:
        return path.startswith(self._with_slash) or path in self.prefixes

    def route(self, path: str) -> str:
        """The route template of a proxied path: its prefix and ``/{path}``."""
        for prefix in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix + "/{path}"
        return path
