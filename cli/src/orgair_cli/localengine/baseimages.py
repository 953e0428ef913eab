"""The two images every project Dockerfile starts from, made without a registry.

- Python: `debootstrap --variant=minbase` of a Debian release with its python3, imported
  as an image tagged `<name>:<release>`: bookworm (3.11, as the upstream
  python:3.11-slim-bookworm) for the project, trixie (3.13) for LocalStack 4.14. The
  host's CA bundle is copied in: downloads from this machine go through a TLS proxy
  whose CA only the host's bundle has, and SSL_CERT_FILE points every client at it.
- uv: a `FROM scratch` image with the `uv` and `uvx` binaries of the uv wheel from PyPI
  (the version the Dockerfiles pin), laid out as ghcr.io/astral-sh/uv is (/uv, /uvx).

Both are tagged under `orgair-standin/`: they stand in for upstream images and are
never tagged with an upstream name. Each is built only when its tag is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from orgair_cli.localengine.commands import run, tail
from orgair_cli.localengine.daemon import Engine
from orgair_cli.localengine.errors import EngineError
from orgair_cli.localengine.install import DEBOOTSTRAP

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")


def image_exists(engine: Engine, ref: str) -> bool:
    result = engine.docker(
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        ref,
        step=f"inspect {ref}",
        timeout=30,
        check=False,
    )
    return result.returncode == 0


def _import(engine: Engine, tar_path: Path, ref: str, changes: list[str]) -> None:
    argv = ["/usr/bin/docker", "import"]
    for change in changes:
        argv += ["--change", change]
    with tar_path.open("rb") as stream:
        result = subprocess.run(
            [*argv, "-", ref],
            stdin=stream,
            env=engine.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if result.returncode != 0:
        raise EngineError(f"docker import {ref}: {tail(result.stderr)}")


def build_python_base(engine: Engine, ref: str) -> None:
    suite = ref.rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory(prefix="orgair-rootfs-", dir=engine.home) as scratch:
        rootfs = Path(scratch) / "rootfs"
        run(
            [
                str(DEBOOTSTRAP),
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                suite,
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            step=f"base image: debootstrap {suite}",
            timeout=900,
        )
        shutil.copy2(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tar_path = Path(scratch) / "rootfs.tar"
        run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tar_path), "."],
            step="base image: tar rootfs",
            timeout=300,
        )
        _import(
            engine,
            tar_path,
            ref,
            [
                "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8",
                'CMD ["python3"]',
            ],
        )


def _pip() -> list[str]:
    """A pip to download with: this interpreter's, its base interpreter's, or uv's."""
    for python in (sys.executable, str(Path(sys.base_prefix) / "bin" / "python3")):
        probe = subprocess.run(
            [python, "-m", "pip", "--version"], capture_output=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [python, "-m", "pip"]
    uv = shutil.which("uv")
    if uv is None:
        raise EngineError("uv image: neither pip nor uv is available to download the uv wheel")
    return [uv, "tool", "run", "--from", "pip", "pip"]


def _uv_binaries(version: str, into: Path) -> None:
    """`uv` and `uvx` from the uv wheel of `version` (pip download from PyPI)."""
    run(
        [
            *_pip(),
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux_2_17_x86_64",
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "3.11",
            "--dest",
            str(into),
            f"uv=={version}",
        ],
        step=f"uv image: pip download uv=={version}",
        timeout=300,
    )
    wheels = sorted(into.glob(f"uv-{version}-*.whl"))
    if not wheels:
        raise EngineError(f"uv image: no uv {version} wheel downloaded")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.endswith(("/scripts/uv", "/scripts/uvx")):
                target = into / Path(name).name
                target.write_bytes(wheel.read(name))
                target.chmod(0o755)
    for binary in ("uv", "uvx"):
        if not (into / binary).is_file():
            raise EngineError(f"uv image: {binary} not found in {wheels[0].name}")


def build_uv_image(engine: Engine, version: str, ref: str) -> None:
    with tempfile.TemporaryDirectory(prefix="orgair-uv-", dir=engine.home) as scratch:
        folder = Path(scratch)
        _uv_binaries(version, folder)
        tar_path = folder / "uv.tar"
        with tarfile.open(tar_path, mode="w") as tar:
            for binary in ("uv", "uvx"):
                tar.add(folder / binary, arcname=binary)
        _import(engine, tar_path, ref, [])


def ensure_base_images(engine: Engine, python_refs: set[str], uv_refs: set[str]) -> None:
    """Build each Python image (`<name>:<Debian release>`) and uv image (`<name>:<uv
    version>`) that is missing."""
    for ref in sorted(python_refs):
        if not image_exists(engine, ref):
            build_python_base(engine, ref)
    for ref in sorted(uv_refs):
        if not image_exists(engine, ref):
            build_uv_image(engine, ref.rsplit(":", 1)[1], ref)
