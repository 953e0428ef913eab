"""The per-service Dockerfiles: two-layer uv build, non-root runtime, real package.

No Docker engine exists here, so besides the structural checks the builder
stage is replayed: its COPY instructions are applied to a temporary directory
(honouring .dockerignore) and each `uv sync` runs there with `--offline
--dry-run`, which resolves against uv.lock and the copied files only.
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
    PENDING_PATHS,
    REPO_ROOT,
    copy_sources,
    dockerfile_cmd,
    dockerfile_package,
    dockerfile_problems,
    dockerignore_patterns,
    dockerignored,
    parse_dockerfile,
    uv_syncs,
    workspace_closure,
    workspace_members,
)

SERVICE_DOCKERFILES = sorted(REPO_ROOT.glob("services/*/Dockerfile"))
EXPECTED = {
    "scoring": ("orgair-scoring-api", ["python", "-m", "orgair_scoring_api"]),
    "init": ("orgair-init", ["python", "-m", "orgair_init"]),
    "gateway": ("orgair-gateway", ["python", "-m", "orgair_gateway"]),
    "worker": ("orgair-worker", ["python", "-m", "orgair_worker"]),
}


def _ids(path: Path) -> str:
    return path.parent.name


def test_every_planned_service_has_a_dockerfile() -> None:
    present = {path.parent.name for path in SERVICE_DOCKERFILES}
    assert set(EXPECTED) <= present


@pytest.mark.parametrize("dockerfile", SERVICE_DOCKERFILES, ids=_ids)
def test_dockerfile_structure_has_no_problems(dockerfile: Path) -> None:
    assert dockerfile_problems(dockerfile.read_text()) == []


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_dockerfile_installs_its_package_and_runs_its_module(service: str) -> None:
    package, command = EXPECTED[service]
    parsed = parse_dockerfile((REPO_ROOT / "services" / service / "Dockerfile").read_text())
    assert dockerfile_package(parsed) == package
    assert dockerfile_cmd(parsed) == command
    assert workspace_members()[package].path == f"services/{service}"


# ------------------------------------------------------------ negative cases

SCORING = (REPO_ROOT / "services" / "scoring" / "Dockerfile").read_text()

TEXT_MUTATIONS: dict[str, tuple[str, str, str]] = {
    # case: (old, new, expected problem)
    "dependency layer installs the workspace": (
        "--no-install-workspace ",
        "",
        "first `uv sync` lacks --no-install-workspace",
    ),
    "lock ignored": (
        "uv sync --frozen --no-dev --package",
        "uv sync --no-dev --package",
        "second `uv sync` lacks --frozen",
    ),
    "runs as root": ("USER 10001:10001", "USER root", "runs as 'root'"),
    "no USER at all": ("USER 10001:10001", "", "has no USER"),
    "package not in uv.lock": (
        "orgair-scoring-api",
        "orgair-scoring-nope",
        "is not a package in uv.lock",
    ),
    "a member pyproject missing from layer 1": (
        "COPY libs/cache/pyproject.toml libs/cache/\n",
        "",
        "does not copy libs/cache/pyproject.toml",
    ),
    "sources copied before the dependency layer": (
        "COPY pyproject.toml uv.lock ./\n",
        "COPY pyproject.toml uv.lock ./\nCOPY libs/ libs/\n",
        "only pyproject.toml/uv.lock belong there",
    ),
    "library sources not copied": (
        "COPY libs/ libs/\n",
        "COPY libs/config/ libs/config/\n",
        "second layer does not copy libs/cache/",
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
    "only one uv sync": (
        "RUN --mount=type=cache,target=/root/.cache/uv \\\n"
        "    uv sync --frozen --no-dev --no-install-workspace --package orgair-scoring-api\n",
        "",
        "want exactly two `uv sync` layers",
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_MUTATIONS), ids=str)
def test_dockerfile_checks_catch(case: str) -> None:
    old, new, expected = TEXT_MUTATIONS[case]
    assert old in SCORING, f"mutation {case!r} no longer applies to the Dockerfile"
    problems = dockerfile_problems(SCORING.replace(old, new))
    assert any(expected in problem for problem in problems), problems


# ------------------------------------------------------- the build context


@pytest.mark.parametrize("dockerfile", SERVICE_DOCKERFILES, ids=_ids)
def test_copied_paths_exist_and_are_not_dockerignored(dockerfile: Path) -> None:
    patterns = dockerignore_patterns()
    pending = []
    for stage in parse_dockerfile(dockerfile.read_text()).stages:
        for instruction in stage.instructions:
            parsed = copy_sources(instruction)
            if parsed is None:
                continue
            for source in parsed[0]:
                if not (REPO_ROOT / source).exists():
                    assert source in PENDING_PATHS, f"COPY {source}: no such path"
                    pending.append(source)
                    continue
                assert not dockerignored(source, patterns), f"COPY {source} is .dockerignored"
    if pending:
        pytest.skip(f"not written yet: {pending}")


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


# ------------------------------------------------- replaying the uv layers


def _uv() -> str | None:
    candidates = [os.environ.get("UV"), shutil.which("uv"), str(Path(sys.executable).parent / "uv")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def _copy_into(context: Path, sources: list[str], dest: str, app: Path) -> None:
    patterns = dockerignore_patterns()
    target = app if dest in {".", "./"} else app / dest
    for source in sources:
        src = context / source
        if not src.exists():
            continue  # pending files, see test_copied_paths_exist_and_are_not_dockerignored
        if src.is_dir():
            for file in src.rglob("*"):
                relative = file.relative_to(context).as_posix()
                if file.is_file() and not dockerignored(relative, patterns):
                    out = target / file.relative_to(src)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, out)
        else:
            out = target / src.name if dest.endswith("/") or dest in {".", "./"} else target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out)


INSTALL_LINE = re.compile(r"^\s*\+\s+(?P<name>[A-Za-z0-9_.-]+)(?:==| @ )(?P<where>\S+)", re.M)


@pytest.mark.parametrize("dockerfile", SERVICE_DOCKERFILES, ids=_ids)
def test_uv_layers_resolve_from_the_copied_files_alone(dockerfile: Path, tmp_path: Path) -> None:
    uv = _uv()
    if uv is None:
        pytest.skip("uv executable not found")
    parsed = parse_dockerfile(dockerfile.read_text())
    builder = parsed.stage("builder")
    assert builder is not None
    package = dockerfile_package(parsed)
    assert package is not None
    members = workspace_members()
    closure = workspace_closure(package)

    app = tmp_path / "app"
    app.mkdir()
    syncs = dict(uv_syncs(builder))
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"),
        "UV_PYTHON": sys.executable,
        "UV_NO_PROGRESS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    layers: list[dict[str, str]] = []
    for index, instruction in enumerate(builder.instructions):
        parsed_copy = copy_sources(instruction)
        if parsed_copy is not None:
            _copy_into(REPO_ROOT, parsed_copy[0], parsed_copy[1], app)
        if index in syncs:
            argv = [uv, *syncs[index][1:], "--offline", "--dry-run"]
            result = subprocess.run(
                argv, cwd=app, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            output = result.stdout + result.stderr
            assert result.returncode == 0, f"{' '.join(argv)}\n{output}"
            layers.append({m["name"]: m["where"] for m in INSTALL_LINE.finditer(output)})

    assert len(layers) == 2
    dependencies, workspace = layers
    # Layer 1: third-party packages only, and everything the service needs from PyPI.
    assert dependencies, "the dependency layer installs nothing"
    assert not set(dependencies) & set(members), "dependency layer installs workspace packages"
    # Layer 2: exactly the workspace packages the service imports, from copied sources.
    installed_members = {name for name in workspace if name in members}
    assert installed_members == closure
    for name in closure:
        assert (app / members[name].path / "pyproject.toml").is_file(), name
        assert (app / members[name].path / "src").is_dir(), f"{name} sources not copied"
