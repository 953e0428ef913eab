"""The import contracts of pyproject.toml `[tool.importlinter]` hold, and they bite.

`lint-imports` checks the real code. Then a copy of the domain library with one
forbidden import added must break the contract it violates: a check that cannot
fail would prove nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN = REPO_ROOT / "libs/domain/src/orgair_domain"


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(executable), "--no-cache", "--no-logo", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint_imports(REPO_ROOT / "pyproject.toml", REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _config_without_migrations() -> dict[str, Any]:
    """The repository's contracts, minus those about `migrations` (not in the copy)."""
    linter = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {
        "root_packages": [name for name in linter["root_packages"] if name != "migrations"],
        "contracts": [
            c for c in linter["contracts"] if "migrations" not in c.get("source_modules", [])
        ],
    }


def _toml(config: dict[str, Any]) -> str:
    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, list):
            return "[" + ", ".join(value(element) for element in item) + "]"
        return '"' + str(item).replace('"', '\\"') + '"'

    lines = ["[tool.importlinter]", f"root_packages = {value(config['root_packages'])}"]
    for contract in config["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {value(item)}" for key, item in contract.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("module", "added_import", "broken_contract"),
    [
        # Two domain packages importing each other (scores is below reviews).
        ("scores/inputs.py", "import orgair_domain.reviews.service", "domain-packages"),
        # A library importing a service.
        ("errors.py", "import orgair_scoring_api.app", "services-over-libraries"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, added_import: str, broken_contract: str
) -> None:
    copy = tmp_path / "orgair_domain"
    shutil.copytree(DOMAIN, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{added_import}  # noqa\n")
    config = tmp_path / "contracts.toml"
    config.write_text(_toml(_config_without_migrations()))
    # lint-imports puts its working directory first on the path: the copy wins.
    result = lint_imports(config, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    contract = next(
        c for c in _config_without_migrations()["contracts"] if c["id"] == broken_contract
    )
    assert f"{contract['name']} BROKEN" in output, output
    assert added_import.split()[-1] in output, output
