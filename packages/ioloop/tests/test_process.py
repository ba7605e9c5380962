"""Tests of squall.process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def test_fork_processes_checks_its_arguments(tmp_path: Path) -> None:
    # In a child interpreter: were the check missing, the fork would copy
    # the test runner.
    result = _run_script(
        """
        import pytest
        from squall.process import fork_processes
        with pytest.raises(ValueError, match="max_restarts must be 0 or more"):
            fork_processes(2, max_restarts=-1)
        with pytest.raises(ValueError, match="stop_timeout must be 0 or more"):
            fork_processes(2, stop_timeout=-0.5)
        print("checked")
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "checked\n"


def test_fork_processes_refuses_off_the_main_thread(tmp_path: Path) -> None:
    result = _run_script(
        """
        import threading
        from squall.process import fork_processes
        errors = []
        def run():
            try:
                fork_processes(2)
            except RuntimeError as error:
                errors.append(str(error))
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
        print(errors)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "must be called from the main thread" in result.stdout


# -- Supervision, with real process trees ---------------------------------------------
#
# Each test runs a script whose children write "<task id>-<pid>" files into
# a folder; the `tree` fixture SIGKILLs the parent and every child it saw
# when the test ends, whatever happened.


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(b")")[2].split()[0] != b"Z"


def _wait_for(condition: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class _Tree:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.pids_dir = tmp_path / "pids"
        self.pids_dir.mkdir()
        self.process: subprocess.Popen[str] | None = None
        self.stderr = ""

    def start(self, source: str) -> subprocess.Popen[str]:
        script = self.tmp_path / "tree.py"
        prelude = (
            "import logging, os, signal, sys, time\n"
            "from squall.process import fork_processes\n"
            "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
            f"PIDS = {str(self.pids_dir)!r}\n"
            "def announce(tid):\n"
            "    open(os.path.join(PIDS, f'{tid}-{os.getpid()}'), 'w').close()\n"
        )
        script.write_text(prelude + textwrap.dedent(source))
        self.process = subprocess.Popen(
            [sys.executable, str(script)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.tmp_path,
        )
        return self.process

    def children(self) -> dict[int, int]:
        """Task id by pid of every child started so far."""
        found = {}
        for entry in self.pids_dir.iterdir():
            tid, pid = entry.name.split("-")
            found[int(pid)] = int(tid)
        return found

    def wait(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        _, self.stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def cleanup(self) -> None:
        for pid in self.children():
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=30)


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[_Tree]:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    handle = _Tree(tmp_path)
    try:
        yield handle
    finally:
        handle.cleanup()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_the_parent_reaches_every_child(tree: _Tree, signum: int) -> None:
    got = tree.tmp_path / "got"
    got.mkdir()
    tree.start(
        f"""
        tid = fork_processes(2)
        # Children start with the handlers in place before the call.
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGCHLD) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        def on_stop(signum, frame):
            with open(os.path.join({str(got)!r}, str(os.getpid())), "w") as f:
                f.write(str(signum))
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        announce(tid)
        time.sleep(60)
        """
    )
    _wait_for(lambda: len(tree.children()) == 2, "two children")
    assert tree.process is not None
    tree.process.send_signal(signum)
    assert tree.wait() == 0, tree.stderr
    children = tree.children()
    assert sorted(children.values()) == [0, 1]  # none restarted
    # The parent exits only after reaping them: none is left, not even a zombie.
    assert not any(_alive(pid) for pid in children)
    assert {p.name: p.read_text() for p in got.iterdir()} == {
        str(pid): str(int(signum)) for pid in children
    }


def test_children_that_ignore_the_stop_signal_are_killed_after_stop_timeout(
    tree: _Tree,
) -> None:
    tree.start(
        """
        tid = fork_processes(2, stop_timeout=0.3)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        announce(tid)
        time.sleep(60)
        """
    )
    _wait_for(lambda: len(tree.children()) == 2, "two children")
    assert tree.process is not None
    tree.process.send_signal(signal.SIGTERM)
    assert tree.wait() == 1, tree.stderr
    assert "sending SIGKILL" in tree.stderr
    assert "killed by signal 9" in tree.stderr
    assert not any(_alive(pid) for pid in tree.children())


def test_giving_up_stops_the_remaining_children_first(tree: _Tree) -> None:
    tree.start(
        """
        tid = fork_processes(2, max_restarts=2)
        announce(tid)
        if tid == 1:
            sys.exit(3)
        time.sleep(60)
        """
    )
    assert tree.wait() != 0
    assert "RuntimeError: too many child restarts (3 > max_restarts=2)" in tree.stderr
    children = tree.children()
    assert sorted(children.values()) == [0, 1, 1, 1]
    (survivor,) = [pid for pid, tid in children.items() if tid == 0]
    assert not _alive(survivor)
    assert f"child 0 (pid {survivor}) killed by signal {int(signal.SIGTERM)}" in tree.stderr


def _restart_delays(stderr: str) -> list[float]:
    return [float(m) for m in re.findall(r"restarting in ([0-9.]+) s", stderr)]


def test_restarts_back_off(tree: _Tree) -> None:
    starts = tree.tmp_path / "starts"
    tree.start(
        f"""
        tid = fork_processes(1, max_restarts=4)
        with open({str(starts)!r}, "a") as f:
            f.write(f"{{time.monotonic()}}\\n")
        sys.exit(1)
        """
    )
    assert tree.wait() != 0
    delays = _restart_delays(tree.stderr)
    assert delays == [0.1, 0.2, 0.4, 0.8]
    times = [float(line) for line in starts.read_text().split()]
    assert len(times) == 5
    # Each restart came no sooner than its announced delay.
    for before, after, delay in zip(times, times[1:], delays):
        assert after - before >= delay


def test_back_off_starts_again_after_a_child_stayed_up(tree: _Tree) -> None:
    runs = tree.tmp_path / "runs"
    tree.start(
        f"""
        import squall.process._fork as fork_module
        fork_module._BACKOFF_RESET = 0.3  # instead of 10 s, to keep the test short
        tid = fork_processes(1, max_restarts=10)
        with open({str(runs)!r}, "a") as f:
            f.write("run\\n")
        run = len(open({str(runs)!r}).read().split())
        if run == 3:
            time.sleep(0.5)  # stays up longer than the reset time
        sys.exit(1 if run < 5 else 0)
        """
    )
    assert tree.wait() == 0, tree.stderr
    assert _restart_delays(tree.stderr) == [0.1, 0.2, 0.1, 0.2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_die_when_the_parent_is_killed(tree: _Tree) -> None:
    tree.start(
        """
        tid = fork_processes(2)
        announce(tid)
        time.sleep(60)
        """
    )
    _wait_for(lambda: len(tree.children()) == 2, "two children")
    assert tree.process is not None
    tree.process.kill()
    tree.wait()
    children = list(tree.children())
    _wait_for(lambda: not any(_alive(pid) for pid in children), "the orphans to die")


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
