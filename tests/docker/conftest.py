"""The real-engine stack test: the project's own dockerd, every image built here.

Session fixtures install what the engine needs (idempotent: docker.io, debootstrap, the
Compose v2 plugin), start the engine unless it already runs (`make up-local` leaves
one running; then it is reused and left running), and build the base images, the
stand-ins and every project image with BuildKit's cache. Nothing is skipped: a
machine where the engine cannot start fails here. The figures the tests measure
(build, start-up, recovery times, image sizes) are printed at the end of the run.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.install import ensure_installed
from orgair_cli.localengine.stack import LocalStack, repository_root
from tests.docker.containers import FIGURES, override_yaml


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    started_at = time.monotonic()
    installed = ensure_installed()
    if installed:
        FIGURES["engine: installed"] = ", ".join(installed)
    engine = Engine()
    started = engine.start()
    FIGURES["engine: install + start"] = f"{time.monotonic() - started_at:.1f} s"
    try:
        yield engine
    finally:
        if started:
            engine.stop()


@pytest.fixture(scope="session")
def override_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose") / "compose.test.yaml"
    path.write_text(override_yaml())
    return path


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """The interpolation environment: fresh secrets, so a leak is recognisable."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "AWS_SECRET_ACCESS_KEY": "stack-" + secrets.token_hex(12),
        "S3_BUCKET": "orgair-stacktest",
        "GATEWAY_BIND_ADDRESS": "127.0.0.1",
    }


@pytest.fixture(scope="session")
def built(engine: Engine, override_file: Path, stack_env: dict[str, str]) -> Engine:
    """Every image of the stack, built once per run (cached layers reused)."""
    stack = LocalStack(engine, repository_root(), project="orgair-build",
                       overrides=(override_file,), env=stack_env)  # fmt: skip
    started = time.monotonic()
    stack.build()
    FIGURES["images: build (all, with the machine's cache)"] = f"{time.monotonic() - started:.1f} s"
    return engine


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("real-engine stack figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
