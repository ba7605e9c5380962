"""Tests of squall.autoreload, each in a subprocess that really restarts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from squall import autoreload


def _wait_for_lines(path: Path, count: int, proc: subprocess.Popen[bytes], limit: float = 20) -> list[str]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        if proc.poll() is not None and proc.returncode not in (None,):
            break
        time.sleep(0.05)
    out = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
    raise AssertionError(
        f"expected {count} lines in {path.name}, got "
        f"{path.read_text().splitlines() if path.exists() else None}; exit={proc.poll()} {out}"
    )


def _touch_later(path: Path) -> None:
    # Move the modification time clearly forward: file systems with a coarse
    # clock could otherwise record the same time as before.
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


SERVER = """
import os, sys
from squall import autoreload
from squall.ioloop import IOLoop
import helper

log = {log!r}
autoreload.add_reload_hook(lambda: open(log, "a").write("hook\\n"))
autoreload.watch({extra!r})
spec = getattr(sys.modules["__main__"], "__spec__", None)
with open(log, "a") as f:
    f.write(f"start {{os.getpid()}} {{helper.VALUE}} {{spec.name if spec else None}}\\n")
loop = IOLoop.current()
autoreload.start(check_time=20)
loop.call_later(30, loop.stop)  # bounded even if the test fails
loop.start()
"""


def _write_app(tmp_path: Path, name: str = "app.py") -> tuple[Path, Path, Path]:
    log = tmp_path / "log"
    extra = tmp_path / "settings.cfg"
    extra.write_text("a=1\n")
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / name).write_text(textwrap.dedent(SERVER.format(log=str(log), extra=str(extra))))
    return log, extra, tmp_path / "helper.py"


def test_restart_on_module_change_runs_hooks(tmp_path: Path) -> None:
    log, _extra, helper = _write_app(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "app.py")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        first = _wait_for_lines(log, 1, proc)
        helper.write_text("VALUE = 2\n")
        _touch_later(helper)
        lines = _wait_for_lines(log, 3, proc)
    finally:
        _stop(proc)
    assert first[0].startswith(f"start {proc.pid} 1")
    assert lines[1] == "hook"
    # Same pid: the process re-executed itself, running the new code.
    assert lines[2].startswith(f"start {proc.pid} 2")


def test_restart_on_watched_file_keeps_dash_m(tmp_path: Path) -> None:
    log, extra, _helper = _write_app(tmp_path, name="appmod.py")
    proc = subprocess.Popen(
        [sys.executable, "-m", "appmod"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_lines(log, 1, proc)
        extra.write_text("a=2\n")
        _touch_later(extra)
        lines = _wait_for_lines(log, 3, proc)
    finally:
        _stop(proc)
    assert lines[0].endswith(" appmod")
    assert lines[2].endswith(" appmod")  # still run as a module after the restart


def test_wrapper_survives_syntax_error(tmp_path: Path) -> None:
    log = tmp_path / "log"
    script = tmp_path / "prog.py"
    script.write_text("def broken(:\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall.autoreload", str(script), "arg1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # The wrapper is alive, waiting for the fix.
        time.sleep(0.5)
        assert proc.poll() is None
        script.write_text(
            f"import sys\nopen({str(log)!r}, 'a').write('fixed ' + sys.argv[1] + '\\n')\n"
        )
        _touch_later(script)
        lines = _wait_for_lines(log, 1, proc)
    finally:
        _stop(proc)
    assert lines == ["fixed arg1"]


def test_wrapper_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "squall.autoreload"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_public_api_in_process(tmp_path: Path) -> None:
    # watch/add_reload_hook only record; start is idempotent per loop.
    from squall.ioloop import IOLoop

    loop = IOLoop()
    try:
        target = tmp_path / "x.txt"
        autoreload.watch(target)
        assert str(target) in autoreload._reload._watched_files  # noqa: SLF001
        autoreload.start(check_time=10_000)
        autoreload.start(check_time=10_000)
        assert loop in autoreload._reload._started_on  # noqa: SLF001
    finally:
        autoreload._reload._watched_files.discard(str(target))  # noqa: SLF001
        loop.close()
        IOLoop.clear_current()
        import asyncio

        asyncio.set_event_loop(None)


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("exec-based restart is POSIX-only in these tests")
