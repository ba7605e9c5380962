"""The import-linter contracts in .importlinter: kept on the real tree, broken
by a planted import in a copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
LINT_IMPORTS = REPO / ".venv" / "bin" / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports is not installed in .venv")


def lint(cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        # Ahead of the editable installs in .venv, so the copy shadows the real tree.
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(REPO / ".importlinter")],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def copy_sources(tmp_path: Path) -> list[Path]:
    roots = []
    for src in sorted((REPO / "packages").glob("*/src")):
        target = tmp_path / src.parent.name / "src"
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        roots.append(target)
    return roots


def test_contracts_are_kept_on_the_real_tree(tmp_path: Path) -> None:
    result = lint(tmp_path, [])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("package", "module", "source", "forbidden"),
    [
        ("httputil", "httputil", "def f():\n    import squall.web\n", "squall.web"),
        ("template", "template", "from squall import escape\n", "squall.escape"),
        ("httpclient", "simple_httpclient", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                             "    from squall.httpserver import HTTPServer\n", "squall.httpserver"),
    ],
)
def test_planted_breach_breaks_a_contract(tmp_path: Path, package: str, module: str, source: str,
                                          forbidden: str) -> None:
    roots = copy_sources(tmp_path)
    (tmp_path / package / "src" / "squall" / module / "_planted.py").write_text(source)
    result = lint(tmp_path, roots)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    assert f"squall.{module}._planted -> {forbidden}" in result.stdout
