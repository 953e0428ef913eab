"""Fixtures for the deployment tests: the parsed compose file and collector config."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from .checks import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "compose.yaml"
COLLECTOR_CONFIG = REPO_ROOT / "infra" / "otel-collector.yaml"


def load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict), f"{path} is not a YAML mapping"
    return loaded


@pytest.fixture(scope="session")
def _compose_doc() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture
def compose_doc(_compose_doc: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of compose.yaml per test, free to mutate."""
    return copy.deepcopy(_compose_doc)


@pytest.fixture
def collector_config() -> dict[str, Any]:
    return load_yaml(COLLECTOR_CONFIG)
