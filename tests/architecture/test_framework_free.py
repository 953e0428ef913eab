"""The domain library and the worker load no web framework.

Each check imports every module of the package in a fresh interpreter and lists the
FastAPI/Starlette modules that came with them. The scoring API is the control: it
is a FastAPI app, so the same probe must find FastAPI there.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "starlette")
PACKAGES = {
    "orgair_domain": REPO_ROOT / "libs/domain/src/orgair_domain",
    "orgair_worker": REPO_ROOT / "services/worker/src/orgair_worker",
    "orgair_scoring_api": REPO_ROOT / "services/scoring/src/orgair_scoring_api",
}

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
frameworks = {frameworks!r}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in frameworks)))
"""


def every_module(package: str) -> list[str]:
    found = [package]
    for info in pkgutil.walk_packages([str(PACKAGES[package])], prefix=f"{package}."):
        found.append(info.name)
    return found


def frameworks_loaded_by(modules: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(frameworks=FRAMEWORKS), *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("package", ["orgair_domain", "orgair_worker"])
def test_package_imports_no_web_framework(package: str) -> None:
    modules = every_module(package)
    assert len(modules) > 5  # the walk found the package's modules
    assert frameworks_loaded_by(modules) == []


def test_the_probe_sees_a_framework_where_there_is_one() -> None:
    loaded = frameworks_loaded_by(["orgair_scoring_api.app"])
    assert "fastapi" in loaded
    assert "starlette" in loaded
