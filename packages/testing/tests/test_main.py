"""main() and python -m squall.testing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

MODULE = textwrap.dedent(
    """
    import asyncio
    from squall.testing import AsyncTestCase, gen_test, main

    class T(AsyncTestCase):
        @gen_test
        async def test_passes(self):
            await asyncio.sleep(0)

        @gen_test
        async def test_{which}(self):
            assert {condition}

    if __name__ == "__main__":
        main()
    """
)


def run(tmp_path: Path, *args: str, condition: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "mytests.py").write_text(MODULE.format(which="second", condition=condition))
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_main_in_a_module(tmp_path: Path) -> None:
    ok = run(tmp_path, "mytests.py", condition="True")
    assert ok.returncode == 0, ok.stderr
    assert "Ran 2 tests" in ok.stderr
    bad = run(tmp_path, "mytests.py", condition="1 == 2")
    assert bad.returncode == 1
    assert "FAILED (failures=1)" in bad.stderr


def test_python_dash_m(tmp_path: Path) -> None:
    ok = run(tmp_path, "-m", "squall.testing", "mytests", condition="True")
    assert ok.returncode == 0, ok.stderr
    assert "Ran 2 tests" in ok.stderr
    one = run(tmp_path, "-m", "squall.testing", "mytests.T.test_passes", condition="False")
    assert one.returncode == 0, one.stderr
    assert "Ran 1 test" in one.stderr
