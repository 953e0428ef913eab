"""compose.yaml on the local engine, with the stand-ins' override.

One compose project per use (`pe-orgair` for `make up-local`, its own for each test
run), built from the repository's compose.yaml and infra/standins/compose.standins.yaml
plus any further override file, so what runs is the file `make up` runs with only the
unpullable images replaced. Every call is bounded; `down` removes the project's
containers, networks and volumes.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orgair_cli.localengine.baseimages import ensure_base_images
from orgair_cli.localengine.commands import run
from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.errors import EngineError

TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STANDINS_FILE = Path("infra/standins/compose.standins.yaml")
DEFAULT_PROJECT = "pe-orgair"
BUILD_TIMEOUT = 2400.0
BUILD_CACHE_KEEP = "8GB"
UP_TIMEOUT = 300
DOWN_TIMEOUT = 180.0


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder holding compose.yaml and the stand-ins (from the cwd, else this file)."""
    for base in (start or Path.cwd(), Path(__file__).resolve()):
        for folder in (base, *base.parents):
            if (folder / "compose.yaml").is_file() and (folder / STANDINS_FILE).is_file():
                return folder
    raise EngineError("local stack: no compose.yaml with infra/standins found above the cwd")


class ComposeYamlLoader(yaml.SafeLoader):
    """YAML as compose reads it: the merge tags `!reset` and `!override` keep their value."""


def _untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


for _tag in ("!reset", "!override"):
    ComposeYamlLoader.add_constructor(_tag, _untagged)


def load_compose_yaml(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=ComposeYamlLoader)  # noqa: S506
    return document


def base_images(root: Path) -> tuple[set[str], set[str]]:
    """The PYTHON_IMAGE and UV_IMAGE values the override's builds name."""
    document = load_compose_yaml(root / STANDINS_FILE)
    python_refs: set[str] = set()
    uv_refs: set[str] = set()
    for service in (document.get("services") or {}).values():
        args = ((service or {}).get("build") or {}).get("args") or {}
        if "PYTHON_IMAGE" in args:
            python_refs.add(str(args["PYTHON_IMAGE"]))
        if "UV_IMAGE" in args:
            uv_refs.add(str(args["UV_IMAGE"]))
    return python_refs, uv_refs


@dataclass
class LocalStack:
    engine: Engine
    root: Path
    project: str = DEFAULT_PROJECT
    overrides: tuple[Path, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    def compose_argv(self, *args: str) -> list[str]:
        files = [self.root / "compose.yaml", self.root / STANDINS_FILE, *self.overrides]
        argv = ["/usr/bin/docker", "compose", "--ansi", "never", "--project-name", self.project]
        for file in files:
            argv += ["--file", str(file)]
        return [*argv, *args]

    def compose_env(self) -> dict[str, str]:
        return {**self.engine.env(), **self.env}

    def compose(
        self, *args: str, step: str, timeout: float, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(
            self.compose_argv(*args),
            step=step,
            timeout=timeout,
            env=self.compose_env(),
            cwd=self.root,
            check=check,
        )

    # --------------------------------------------------------------- images

    def build(self, timeout: float = BUILD_TIMEOUT) -> None:
        """Base images when missing, then every image of the stack (BuildKit's cache)."""
        ensure_base_images(self.engine, *base_images(self.root))
        self.compose("build", step="docker compose build", timeout=timeout)
        # Rebuilds leave untagged images and cache behind: keep the machine's disk bounded.
        self.engine.docker(
            "image", "prune", "--force", step="prune untagged images", timeout=300, check=False
        )
        self.engine.docker(
            "builder",
            "prune",
            "--force",
            "--keep-storage",
            BUILD_CACHE_KEEP,
            step="prune the build cache",
            timeout=300,
            check=False,
        )

    # ----------------------------------------------------------- lifecycle

    def up(
        self, timeout: int = UP_TIMEOUT, *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`up --wait` on built images: returns when every service is healthy (or failed)."""
        return self.compose(
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            str(timeout),
            "--no-build",
            "--pull",
            "never",
            step="docker compose up --wait",
            timeout=timeout + 60,
            check=check,
        )

    def down(self, timeout: float = DOWN_TIMEOUT) -> None:
        self.compose(
            "down",
            "--volumes",
            "--remove-orphans",
            "--timeout",
            "20",
            step="docker compose down",
            timeout=timeout,
            check=False,
        )

    # ------------------------------------------------------------------ use

    def issue_key(self, role: str, name: str) -> str:
        """A new API key, minted inside the gateway's image against the stack's key store."""
        result = self.compose(
            "run",
            "--rm",
            "--no-deps",
            "-T",
            "gateway",
            "python",
            "-m",
            "orgair_gateway.issue_key",
            "--role",
            role,
            "--name",
            name,
            step=f"issue a {role} key",
            timeout=120,
        )
        lines = result.stdout.strip().splitlines()
        if not lines:
            raise EngineError(f"issue a {role} key: no key printed")
        return lines[-1].strip()

    def logs(self, service: str) -> list[str]:
        """What the service's containers wrote, one line each (compose's own terminal
        control sequences removed: 2.26 writes them even with `--ansi never`)."""
        result = self.compose(
            "logs", "--no-color", "--no-log-prefix", service, step=f"logs of {service}", timeout=60
        )
        return [TERMINAL_CONTROL.sub("", line) for line in result.stdout.splitlines()]

    def container_id(self, service: str) -> str:
        result = self.compose(
            "ps", "--all", "--quiet", service, step=f"container of {service}", timeout=60
        )
        ids = result.stdout.split()
        if not ids:
            raise EngineError(f"no container for {service}")
        return ids[0]


def gateway_url(env: Mapping[str, str] | None = None) -> str:
    source = os.environ if env is None else env
    return f"http://127.0.0.1:{source.get('GATEWAY_PUBLISHED_PORT', '8000')}"
