"""Real HTTP servers for the gateway tests: uvicorn in a background thread, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from orgair_config import Settings
from orgair_observability.serving import server_options
from tests.support.servers import free_port


class ThreadedServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread (lifespan included)."""

    def __init__(self, app: Any, port: int | None = None, settings: Settings | None = None) -> None:
        """With `settings`, served exactly as the services serve (`server_options`)."""
        self.port = port or free_port()
        options: dict[str, Any] = (
            server_options(settings)
            if settings is not None
            else {
                "log_config": None,
                "access_log": False,
                # Every test client is on loopback, which uvicorn would trust for X-Forwarded-*.
                "proxy_headers": False,
            }
        )
        options.update(lifespan="on", timeout_graceful_shutdown=2)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server thread exited while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 30 s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextlib.contextmanager
def serving(
    app: Any, port: int | None = None, settings: Settings | None = None
) -> Iterator[ThreadedServer]:
    server = ThreadedServer(app, port, settings).start()
    try:
        yield server
    finally:
        server.stop()


class FakeUpstream:
    """A scoring stand-in that records what reached it and misbehaves on request."""

    STREAM_CHUNK = 64 * 1024
    STREAM_CHUNKS = 128  # 8 MiB in all

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release_stream = threading.Event()
        self.slow_seconds = 5.0
        self.app = Starlette(
            routes=[
                Route("/readyz", self.readyz),
                Route("/api/v1/echo", self.echo, methods=["GET", "POST", "PUT"]),
                Route("/api/v1/stream", self.stream),
                Route("/api/v1/slow", self.slow),
                Route("/api/v1/hop", self.hop),
                Route("/api/v1/redirect", self.redirect),
            ]
        )

    async def readyz(self, request: Request) -> Response:
        return JSONResponse({"status": "ready"})

    async def echo(self, request: Request) -> Response:
        body = await request.body()
        seen = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": [(k, v) for k, v in request.headers.items()],
            "body_length": len(body),
        }
        self.requests.append(seen)
        return JSONResponse(seen)

    async def stream(self, request: Request) -> Response:
        release = self.release_stream

        async def chunks() -> Any:
            yield b"a" * self.STREAM_CHUNK
            # The rest only once the client has received the first chunk through
            # the gateway: a proxy that buffers whole responses never gets there.
            if not await asyncio.to_thread(release.wait, 30):
                return
            for _ in range(self.STREAM_CHUNKS - 1):
                yield b"b" * self.STREAM_CHUNK

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(self.slow_seconds)
        return JSONResponse({"slow": True})

    async def redirect(self, request: Request) -> Response:
        """A redirect built from the upstream's own address (as Starlette builds them),
        plus a Content-Location elsewhere."""
        return Response(
            status_code=307,
            headers={
                "Location": str(request.url.replace(path="/api/v1/echo", query="a=1")),
                "Content-Location": "https://reports.example.com/r/1?sig=abc",
            },
        )

    async def hop(self, request: Request) -> Response:
        return Response(
            b"{}",
            media_type="application/json",
            headers={
                "Connection": "keep-alive, X-Upstream-Hop",
                "X-Upstream-Hop": "connection-scoped",
                "Keep-Alive": "timeout=5",
                "Proxy-Authenticate": "Basic",
                "X-End-To-End": "kept",
            },
        )


@contextlib.contextmanager
def captured_log_lines() -> Iterator[list[str]]:
    """Every log line the process renders while inside the block (formatted as in production).

    Adds a second handler beside the one `configure_logging` installed, with its
    formatter, so the lines are exactly what the service would write.
    """
    import io
    import logging

    root = logging.getLogger()
    service_handler = next(
        h for h in root.handlers if getattr(h, "_orgair_observability_handler", False)
    )
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(service_handler.formatter)
    root.addHandler(handler)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(buffer.getvalue().splitlines())


class RecordingRelay:
    """A TCP relay on loopback that records every byte sent through it towards the
    upstream: what someone reading the traffic between gateway and scoring sees."""

    def __init__(self, upstream_port: int) -> None:
        import socket

        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.captured = bytearray()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        import socket

        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: Any, target: Any, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    with self._lock:
                        self.captured.extend(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()

    def request(self, start: bytes) -> bytes:
        """The first captured request whose request line starts with `start`, whole."""
        with self._lock:
            data = bytes(self.captured)
        begin = data.index(start)
        head_end = data.index(b"\r\n\r\n", begin) + 4
        length = 0
        for line in data[begin:head_end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return data[begin : head_end + length]

    def close(self) -> None:
        self._closed = True
        self.listener.close()
