"""services/Dockerfile, the one Dockerfile of every service: structure, and its
selection of files replayed offline.

The structural checks (tests/deploy/checks.py) are shown able to fail on mutated
copies. The two selections the build makes are replayed here without an engine: the
`manifests` stage's pyproject.toml/uv.lock set resolves the dependency layer with no
workspace package in it (`uv sync --offline --dry-run`), and the `sources` stage's
`uv export` picks exactly the workspace members the service's package depends on.
tests/docker builds and runs the images for real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .checks import (
    REPO_ROOT,
    SERVICE_DOCKERFILE,
    copy_sources,
    dockerfile_problems,
    dockerignore_patterns,
    dockerignored,
    parse_dockerfile,
    service_directories,
    service_package,
    stage_cmd,
    workspace_closure,
    workspace_members,
)

DOCKERFILE = REPO_ROOT / SERVICE_DOCKERFILE
TEXT = DOCKERFILE.read_text()
EXPECTED = {
    "scoring": ("orgair-scoring-api", ["python", "-m", "orgair_scoring_api"]),
    "init": ("orgair-init", ["python", "-m", "orgair_init"]),
    "gateway": ("orgair-gateway", ["python", "-m", "orgair_gateway"]),
    "worker": ("orgair-worker", ["python", "-m", "orgair_worker"]),
}


def test_one_dockerfile_serves_every_service() -> None:
    assert set(EXPECTED) <= set(service_directories())
    assert not list(REPO_ROOT.glob("services/*/Dockerfile")), "per-service copies are back"


def test_dockerfile_structure_has_no_problems() -> None:
    assert dockerfile_problems(TEXT) == []


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_each_target_runs_its_package_module(service: str) -> None:
    package, command = EXPECTED[service]
    target = parse_dockerfile(TEXT).stage(service)
    assert target is not None
    assert service_package(service) == package
    assert stage_cmd(target) == command
    assert workspace_members()[package].path == f"services/{service}"


# ------------------------------------------------------------ negative cases

TEXT_MUTATIONS: dict[str, tuple[str, str, str]] = {
    # case: (old, new, expected problem)
    "dependency layer installs the workspace": (
        "--no-install-workspace ",
        "",
        "dependency `uv sync` lacks --no-install-workspace",
    ),
    "lock ignored": (
        'uv sync --frozen --no-dev --package "$(cat /package)"',
        'uv sync --no-dev --package "$(cat /package)"',
        "workspace `uv sync` lacks --frozen",
    ),
    "runs as root": ("USER 10001:10001", "USER root", "runs as 'root'"),
    "no USER at all": ("USER 10001:10001", "", "has no USER"),
    "sources in the dependency layer": (
        "COPY --from=manifests /manifests/ ./\n",
        "COPY --from=manifests /manifests/ ./\nCOPY libs/ libs/\n",
        "dependency layer copies from the build context",
    ),
    "manifests take more than manifests": (
        "-name pyproject.toml -o -name uv.lock",
        "-name pyproject.toml -o -name uv.lock -o -name '*.py'",
        "manifests stage selects",
    ),
    "sources before the dependencies": (
        "COPY --from=dependencies /app/.venv /app/.venv\nCOPY --from=workspace /overlay/ /\n",
        "COPY --from=workspace /overlay/ /\nCOPY --from=dependencies /app/.venv /app/.venv\n",
        "want the dependencies' venv, then the workspace layer",
    ),
    "floating base image": (
        "python:3.11.14-slim-bookworm",
        "python:latest",
        "want a pinned python:3.11-slim-bookworm tag",
    ),
    "unpinned uv": ("ghcr.io/astral-sh/uv:0.13.9", "ghcr.io/astral-sh/uv:latest", "pinned"),
    "venv not on PATH": ("PATH=/app/.venv/bin:$PATH", "PATH=$PATH", "PATH"),
    "bytecode not compiled": (
        "UV_COMPILE_BYTECODE=1",
        "UV_COMPILE_BYTECODE=0",
        "UV_COMPILE_BYTECODE=1",
    ),
    "a service without its target": (
        "FROM runtime AS worker",
        "FROM runtime AS wrk",
        "services/worker",
    ),
    "a target running another package": (
        'CMD ["python", "-m", "orgair_gateway"]',
        'CMD ["python", "-m", "orgair_init"]',
        "target gateway runs",
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_MUTATIONS), ids=str)
def test_dockerfile_checks_catch(case: str) -> None:
    old, new, expected = TEXT_MUTATIONS[case]
    assert old in TEXT, f"mutation {case!r} no longer applies to the Dockerfile"
    problems = dockerfile_problems(TEXT.replace(old, new))
    assert any(expected in problem for problem in problems), problems


# ------------------------------------------------------- the build context


def test_copied_paths_exist_and_are_not_dockerignored() -> None:
    patterns = dockerignore_patterns()
    for stage in parse_dockerfile(TEXT).stages:
        for instruction in stage.instructions:
            parsed = copy_sources(instruction)
            for source in parsed[0] if parsed else []:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: no such path"
                if source not in {".", "./"}:
                    assert not dockerignored(source, patterns), f"COPY {source} is .dockerignored"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".env",
        ".env.local",
        ".git/config",
        ".venv/bin/python",
        "libs/config/.venv/x",
        "var/orgair.db",
        "libs/config/src/orgair_config/__pycache__/settings.cpython-311.pyc",
    ):
        assert dockerignored(path, patterns), path
    for path in (
        ".env.example",
        "uv.lock",
        "pyproject.toml",
        "libs/config/src/orgair_config/settings.py",
        "migrations/env.py",
        "alembic.ini",
    ):
        assert not dockerignored(path, patterns), path


# ------------------------------------------------- replaying the selections


def _uv() -> str:
    candidates = [os.environ.get("UV"), shutil.which("uv"), str(Path(sys.executable).parent / "uv")]
    found = next((c for c in candidates if c and Path(c).is_file()), None)
    assert found is not None, "uv executable not found"
    return found


def _context_files() -> list[Path]:
    """The files `COPY . /context` sends: the repository minus .dockerignore."""
    patterns = dockerignore_patterns()
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    return [
        Path(p) for p in tracked if (REPO_ROOT / p).is_file() and not dockerignored(p, patterns)
    ]


INSTALL_LINE = re.compile(r"^\s*\+\s+(?P<name>[A-Za-z0-9_.-]+)(?:==| @ )(?P<where>\S+)", re.M)


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_the_build_selects_manifests_and_member_sources(service: str, tmp_path: Path) -> None:
    uv = _uv()
    package = service_package(service)
    members = workspace_members()
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"),
           "UV_PYTHON": sys.executable, "UV_NO_PROGRESS": "1"}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)

    # The manifests stage: every pyproject.toml and uv.lock of the context, nothing else.
    manifests = tmp_path / "manifests"
    for path in _context_files():
        if path.name in {"pyproject.toml", "uv.lock"}:
            (manifests / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / path, manifests / path)
    result = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--no-install-workspace", "--package", package,
         "--offline", "--dry-run"], cwd=manifests, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    installed = {m["name"] for m in INSTALL_LINE.finditer(output)}
    assert installed, "the dependency layer installs nothing"
    assert not installed & set(members), "the dependency layer installs workspace packages"

    # The sources stage: `uv export`'s editable members are the package's closure.
    export = subprocess.run(
        [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--package", package],
        cwd=manifests, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    selected = set(re.findall(r"^-e \./(\S+)$", export, re.M))
    assert selected == {members[name].path for name in workspace_closure(package)}


def test_the_init_image_installs_what_the_migrations_import() -> None:
    """init runs the one migration history: every orgair_* package it imports must be in
    orgair-init's closure, or the image (which installs only that) cannot migrate."""
    members = workspace_members()
    owner = {module: member.name for member in members.values() for module in member.modules}
    closure = workspace_closure("orgair-init")
    imported = set()
    for path in (REPO_ROOT / "migrations").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import)\s+(orgair_\w+)", path.read_text(), re.M))
    assert imported, "the migrations import no orgair package"
    missing = {module for module in imported if owner.get(module) not in closure}
    assert not missing, f"orgair-init does not depend on the owners of {sorted(missing)}"
