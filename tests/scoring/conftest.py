"""Fixtures for the scoring engine and its commands (`orgair score`, `ebitda`, `plan`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgair_config import get_scoring_settings

# Settings that would change the v2.0 profile or the default profile if the developer's
# shell or .env happened to set them.
SCORING_VARIABLES = (
    "PARAM_VERSION",
    "ALPHA_VR_WEIGHT",
    "BETA_SYNERGY_WEIGHT",
    "LAMBDA_PENALTY",
    "DELTA_POSITION",
    "W_DATA_INFRA",
    "W_AI_GOVERNANCE",
    "W_TECH_STACK",
    "W_TALENT",
    "W_LEADERSHIP",
    "W_USE_CASES",
    "W_CULTURE",
    "HITL_EBITDA_PROJECTION_THRESHOLD",
)


@pytest.fixture
def scoring_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A clean environment for `orgair score`: no SECRET_KEY, no scoring settings, and a
    working directory without a .env. Yields the environment for subprocesses."""
    for name in ("SECRET_KEY", *SCORING_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_scoring_settings.cache_clear()
    yield dict(os.environ)
    get_scoring_settings.cache_clear()


HASH_WORKER = """
import sys
from orgair_scoring import ScoringParameters
for line in sys.stdin:
    print(ScoringParameters.model_validate_json(line).parameters_hash, flush=True)
"""


class HashWorker:
    """Another Python process that hashes profiles sent to it as JSON lines."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONHASHSEED": "12345"}  # unlike this process's seed
        self.process = subprocess.Popen(
            [sys.executable, "-c", HASH_WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def hash_of(self, profile_json: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(profile_json + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def hash_worker() -> Iterator[HashWorker]:
    worker = HashWorker()
    yield worker
    worker.close()
