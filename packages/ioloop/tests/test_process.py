"""Tests of squall.process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from squall.process import cpu_count, fork_processes, task_id


def test_cpu_count_positive() -> None:
    n = cpu_count()
    assert isinstance(n, int) and n >= 1
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))


def test_task_id_none_in_parent() -> None:
    assert task_id() is None


def _run_script(source: str, tmp_path: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_processes_gives_each_child_an_id(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = _run_script(
        f"""
        import os
        from squall.process import fork_processes, task_id
        assert task_id() is None
        tid = fork_processes(3)
        assert task_id() == tid
        with open(os.path.join({str(out)!r}, str(tid)), "w") as f:
            f.write(str(os.getpid()))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["0", "1", "2"]
    pids = {p.read_text() for p in out.iterdir()}
    assert len(pids) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_processes_restarts_crashed_child(tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    log = tmp_path / "log"
    result = _run_script(
        f"""
        import os, sys
        from squall.process import fork_processes
        tid = fork_processes(2, max_restarts=5)
        with open({str(log)!r}, "a") as f:
            f.write(f"{{tid}}\\n")
        if tid == 1 and not os.path.exists({str(marker)!r}):
            open({str(marker)!r}, "w").close()
            os._exit(3)
        sys.exit(0)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(log.read_text().split()) == ["0", "1", "1"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_processes_gives_up_after_max_restarts(tmp_path: Path) -> None:
    result = _run_script(
        """
        import os
        from squall.process import fork_processes
        fork_processes(1, max_restarts=2)
        os._exit(1)
        """,
        tmp_path,
    )
    assert result.returncode != 0
    assert "too many child restarts" in result.stderr


def test_fork_processes_refuses_inside_running_loop() -> None:
    import asyncio

    async def main() -> None:
        fork_processes(2)

    with pytest.raises(RuntimeError, match="before the event loop starts"):
        asyncio.run(main())


# -- Subprocess ---------------------------------------------------------------------

from squall.ioloop import IOLoop  # noqa: E402
from squall.iostream import PipeIOStream  # noqa: E402
from squall.process import Subprocess  # noqa: E402


def test_subprocess_streams_and_exit(io_loop: IOLoop) -> None:
    async def main() -> tuple[bytes, bytes, int]:
        proc = Subprocess(
            [sys.executable, "-c", "import sys; d = sys.stdin.read(); sys.stdout.write(d.upper()); sys.stderr.write('err')"],
            stdin=Subprocess.STREAM,
            stdout=Subprocess.STREAM,
            stderr=Subprocess.STREAM,
        )
        assert isinstance(proc.stdin, PipeIOStream)
        await proc.stdin.write(b"hello child")
        proc.stdin.close()
        out = await proc.stdout.read_until_close()
        err = await proc.stderr.read_until_close()
        code = await proc.wait_for_exit()
        assert proc.returncode == 0
        return out, err, code

    assert io_loop.run_sync(main, timeout=30) == (b"HELLO CHILD", b"err", 0)


def test_subprocess_nonzero_exit(io_loop: IOLoop) -> None:
    async def main() -> int:
        proc = Subprocess([sys.executable, "-c", "raise SystemExit(3)"])
        assert proc.stdout is None  # not requested: Popen's own attribute
        with pytest.raises(subprocess.CalledProcessError) as info:
            await proc.wait_for_exit()
        assert info.value.returncode == 3
        return await proc.wait_for_exit(raise_error=False)

    assert io_loop.run_sync(main, timeout=30) == 3


def test_subprocess_exit_callback(io_loop: IOLoop) -> None:
    codes: list[int] = []

    async def main() -> None:
        Subprocess.initialize()
        proc = Subprocess([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"])
        done = asyncio.Event()

        def on_exit(code: int) -> None:
            codes.append(code)
            done.set()

        proc.set_exit_callback(on_exit)
        await done.wait()
        Subprocess.uninitialize()

    import asyncio

    io_loop.run_sync(main, timeout=30)
    assert codes == [-9]


def test_subprocess_missing_program_closes_pipes(io_loop: IOLoop) -> None:
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    with pytest.raises(FileNotFoundError):
        Subprocess(["/nonexistent/program"], stdout=Subprocess.STREAM, stdin=Subprocess.STREAM)
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before


def test_subprocess_exit_without_pidfd(io_loop: IOLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "pidfd_open", raising=False)

    async def main() -> int:
        proc = Subprocess([sys.executable, "-c", "raise SystemExit(5)"])
        return await proc.wait_for_exit(raise_error=False)

    assert io_loop.run_sync(main, timeout=30) == 5
