"""The ``squall`` command's ``--version`` listing."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from squall.cli import main
from squall.cli._main import installed_distributions


def test_version_lists_every_installed_squall_distribution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert "squall" in names
    assert "squall-escape" in names
    assert names == sorted(names)
    for line in lines:
        name, version = line.split()
        assert metadata.version(name) == version


def test_installed_distributions_ignores_other_packages() -> None:
    names = {name for name, _ in installed_distributions()}
    assert "pytest" not in names
    assert all(name == "squall" or name.startswith("squall-") for name in names)


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "squall.cli._main", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "squall-escape" in result.stdout


def test_without_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: squall" in capsys.readouterr().out
