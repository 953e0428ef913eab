"""Running a command with a bound on its time, failing with the command's last words.

Every step of the local engine is an external program (apt-get, debootstrap, dockerd,
docker); each gets a timeout, and a failure becomes one EngineError naming the step
with the tail of what the program printed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from orgair_cli.localengine.errors import EngineError

TAIL_LINES = 15


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(
    argv: Sequence[str],
    *,
    step: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` (text output captured); raise EngineError on failure or timeout."""
    try:
        result = subprocess.run(
            list(argv),
            env=None if env is None else dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"{step}: no result after {timeout:g} s ({argv[0]})") from exc
    except OSError as exc:
        raise EngineError(f"{step}: cannot run {argv[0]}: {exc}") from exc
    if check and result.returncode != 0:
        raise EngineError(
            f"{step}: {argv[0]} exited {result.returncode}\n{tail(result.stdout + result.stderr)}"
        )
    return result
