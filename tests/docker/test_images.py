"""The project's images as built: sizes, who they run as, and what a change rebuilds.

A source-only change (one line in a library) is built from a copy of the repository,
so the working tree is never touched: the build must reuse every layer but the last,
and the figures give the rebuild's time and every image's size.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.stack import LocalStack, repository_root
from tests.docker.containers import FIGURES

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(2400)]

SERVICES = ("init", "scoring", "worker", "gateway")
# What a build context never needs (the .dockerignore'd folders with the most files).
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "*.pyc", ".*_cache")


def image(engine: Engine, ref: str) -> dict[str, object]:
    result = engine.docker("image", "inspect", ref, step=f"inspect {ref}", timeout=30)
    document: list[dict[str, object]] = json.loads(result.stdout)
    return document[0]


def layers(engine: Engine, ref: str) -> list[str]:
    rootfs = image(engine, ref)["RootFS"]
    assert isinstance(rootfs, dict)
    return list(rootfs["Layers"])


def test_images_run_as_the_orgair_user_and_report_their_size(built: Engine) -> None:
    for service in SERVICES:
        inspected = image(built, f"pe-orgair/{service}:dev")
        config = inspected["Config"]
        assert isinstance(config, dict)
        assert config["User"] == "10001:10001", service
        assert config["WorkingDir"] == "/app"
        size = int(str(inspected["Size"]))
        FIGURES[f"image size: pe-orgair/{service}:dev"] = f"{size / 1e6:.0f} MB"
    for ref in ("orgair-standin/debian-python:bookworm", "orgair-standin/redis:local",
                "orgair-standin/localstack:4.14.0", "orgair-standin/otlp-receiver:local"):  # fmt: skip
        FIGURES[f"image size: {ref}"] = f"{int(str(image(built, ref)['Size'])) / 1e6:.0f} MB"


def test_a_source_only_change_rebuilds_only_the_last_layer(
    built: Engine, override_file: Path, stack_env: dict[str, str], tmp_path: Path
) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(repository_root(), copy, ignore=NOT_COPIED, symlinks=True)
    stack = LocalStack(built, copy, project="orgair-cachetest", overrides=(override_file,),
                       env={**stack_env, "ORGAIR_IMAGE_TAG": "cachetest"})  # fmt: skip
    ref = "pe-orgair/scoring:cachetest"
    stack.compose("build", "scoring", step="build scoring from the copy", timeout=1800)
    before = layers(built, ref)

    source = copy / "libs" / "scoring" / "src" / "orgair_scoring" / "__init__.py"
    source.write_text(source.read_text() + f"\n# a source-only change {time.time_ns()}\n")
    started = time.monotonic()
    stack.compose("build", "scoring", step="rebuild scoring after the change", timeout=1800)
    FIGURES["rebuild of pe-orgair/scoring after a source-only change"] = (
        f"{time.monotonic() - started:.1f} s"
    )
    after = layers(built, ref)
    try:
        assert len(after) == len(before)
        assert after[:-1] == before[:-1], "a layer below the sources was rebuilt"
        assert after[-1] != before[-1], "the change is not in the image"
    finally:
        built.docker("image", "rm", ref, step="remove the cache-test image", timeout=60,
                     check=False)  # fmt: skip
