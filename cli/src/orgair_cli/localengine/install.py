"""Installing the engine's programs on a Debian machine: idempotent and bounded.

- `docker.io` (dockerd 20.10, containerd, runc, Debian's own docker client at
  /usr/bin/docker, which builds with BuildKit without a buildx plugin) and
  `debootstrap` (the base images: no registry is reachable) from the machine's apt
  sources.
- Compose v2: bookworm's docker-compose is 1.29, which rejects compose.yaml
  (env_file `required`, `start_interval`). Trixie's `docker-compose` package is one
  static Go binary; it is downloaded with a private apt configuration that knows only
  a trixie source (the machine's sources and package lists are never touched) and its
  plugin binary copied to /usr/local/lib/docker/cli-plugins.

Each step runs only when what it provides is missing, so a second call costs a few
stat calls.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from orgair_cli.localengine.commands import run
from orgair_cli.localengine.errors import EngineError

DOCKER_CLIENT = Path("/usr/bin/docker")
DOCKERD = Path("/usr/sbin/dockerd")
DEBOOTSTRAP = Path("/usr/sbin/debootstrap")
COMPOSE_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-compose")
# Where the docker-compose .deb keeps the plugin.
COMPOSE_IN_DEB = Path("usr/libexec/docker/cli-plugins/docker-compose")
TRIXIE_SOURCE = (
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
    "http://deb.debian.org/debian trixie main\n"
)
APT_TIMEOUT = 900.0


def _apt_env() -> dict[str, str]:
    return {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def missing_apt_packages() -> list[str]:
    wanted = {DOCKERD: "docker.io", DOCKER_CLIENT: "docker.io", DEBOOTSTRAP: "debootstrap"}
    return sorted({package for path, package in wanted.items() if not path.exists()})


def install_apt_packages(packages: list[str]) -> None:
    if shutil.which("apt-get") is None:
        raise EngineError(f"install: apt-get not found; install {', '.join(packages)} by hand")
    run(
        ["apt-get", "update", "-qq"],
        step="install: apt-get update",
        timeout=APT_TIMEOUT,
        env=_apt_env(),
    )
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        step=f"install: apt-get install {' '.join(packages)}",
        timeout=APT_TIMEOUT,
        env=_apt_env(),
    )


def install_compose_plugin(target: Path = COMPOSE_PLUGIN) -> None:
    """Trixie's docker-compose plugin, fetched without changing the machine's apt setup."""
    with tempfile.TemporaryDirectory(prefix="orgair-compose-") as scratch:
        root = Path(scratch)
        (root / "lists" / "partial").mkdir(parents=True)
        (root / "archives" / "partial").mkdir(parents=True)
        (root / "sources.list").write_text(TRIXIE_SOURCE)
        private_apt = [
            "-o",
            f"Dir::Etc::SourceList={root / 'sources.list'}",
            "-o",
            "Dir::Etc::SourceParts=/nonexistent",
            "-o",
            f"Dir::State::Lists={root / 'lists'}",
            "-o",
            f"Dir::Cache={root}",
            "-o",
            f"Dir::Cache::archives={root / 'archives'}",
            "-o",
            "APT::Sandbox::User=root",
        ]
        run(
            ["apt-get", *private_apt, "update", "-qq"],
            step="install: apt-get update (trixie)",
            timeout=APT_TIMEOUT,
            env=_apt_env(),
        )
        run(
            ["apt-get", *private_apt, "download", "docker-compose/trixie"],
            cwd=root,
            step="install: apt-get download docker-compose/trixie",
            timeout=APT_TIMEOUT,
            env=_apt_env(),
        )
        debs = sorted(root.glob("docker-compose_*.deb"))
        if not debs:
            raise EngineError("install: apt-get download gave no docker-compose .deb")
        unpacked = root / "unpacked"
        run(
            ["dpkg-deb", "-x", str(debs[-1]), str(unpacked)],
            step="install: dpkg-deb -x",
            timeout=120,
        )
        plugin = unpacked / COMPOSE_IN_DEB
        if not plugin.is_file():
            raise EngineError(f"install: {COMPOSE_IN_DEB} is not in {debs[-1].name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copy2(plugin, partial)
        partial.chmod(0o755)
        partial.replace(target)


def ensure_installed() -> list[str]:
    """Install what is missing; the names of what was installed (empty: nothing to do)."""
    if os.geteuid() != 0:
        raise EngineError("install: the local engine needs root (dockerd, apt-get)")
    installed: list[str] = []
    packages = missing_apt_packages()
    if packages:
        install_apt_packages(packages)
        installed.extend(packages)
    if not COMPOSE_PLUGIN.is_file():
        install_compose_plugin()
        installed.append("docker-compose (trixie)")
    return installed
