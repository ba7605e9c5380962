"""Restart the process when its source files change.

How this works: `start` installs a PeriodicCallback on the current IOLoop
that stats the file of every imported module plus every `watch`-ed file and
remembers each modification time. When one changes, the reload hooks run and
the process re-executes itself with its original command line
(``sys.orig_argv``: interpreter options and ``-m module`` invocations are
kept). Listening sockets are close-on-exec, so the new process can bind
the same ports at once.

A syntax error in the changed code would make the new process die at import,
leaving nothing to watch for the fix; `main` (``python -m squall.autoreload``)
covers that case: it runs the program, and whenever the program ends (with an
error or not) it waits for a file to change and runs it again.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import weakref
from collections.abc import Callable
from typing import Any

from squall.ioloop import IOLoop, PeriodicCallback
from squall.process import task_id

gen_log = logging.getLogger("squall.general")

_watched_files: set[str] = set()
_reload_hooks: list[Callable[[], Any]] = []
_reload_attempted = False
_started_on: weakref.WeakSet[IOLoop] = weakref.WeakSet()


def watch(filename: str | os.PathLike[str]) -> None:
    """Restart the process when ``filename`` changes, as for imported modules.

    Args:
        filename: a file to watch (e.g. a template or configuration file).
    """
    _watched_files.add(os.path.abspath(os.fspath(filename)))


def add_reload_hook(fn: Callable[[], Any]) -> None:
    """Call ``fn()`` just before the process restarts.

    Files and sockets opened with close-on-exec (Python's default) need no
    hook; use it for anything else that must be flushed or released.

    Args:
        fn: a function of no arguments.
    """
    _reload_hooks.append(fn)


def start(check_time: int = 500) -> None:
    """Begin watching source files on the current IOLoop; restart on a change.

    Calling it again on the same loop does nothing.

    Args:
        check_time: milliseconds between checks.
    """
    io_loop = IOLoop.current()
    if io_loop in _started_on:
        return
    _started_on.add(io_loop)
    modify_times: dict[str, float] = {}
    callback = PeriodicCallback(lambda: _check_files(modify_times), check_time)
    # Record the current times now, so a change made before the first
    # period elapses is still noticed.
    _check_files(modify_times)
    callback.start()


def wait() -> None:
    """Block until a watched or imported file changes, then restart the process.

    Meant for the end of a script (e.g. a test runner) that should run again
    after an edit.
    """
    io_loop = IOLoop()
    io_loop.add_callback(start)
    io_loop.start()


def _module_files() -> list[str]:
    files = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        if path.endswith((".pyc", ".pyo")):
            path = path[:-1]
        files.append(path)
    return files


def _check_files(modify_times: dict[str, float]) -> None:
    if _reload_attempted:
        return
    if task_id() is not None:
        # A child of fork_processes: restarting one worker alone would leave
        # its siblings on the old code, so multi-process mode never reloads.
        return
    for path in _module_files() + sorted(_watched_files):
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        seen = modify_times.setdefault(path, mtime)
        if mtime != seen:
            gen_log.info("%s modified; restarting server", path)
            _reload()
            return


def _restart_argv() -> list[str]:
    orig = getattr(sys, "orig_argv", None)
    if orig:
        return [sys.executable, *orig[1:]]
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name != "__main__":
        name = spec.name.removesuffix(".__main__")
        return [sys.executable, "-m", name, *sys.argv[1:]]
    return [sys.executable, *sys.argv]


def _reload() -> None:
    global _reload_attempted
    _reload_attempted = True
    for fn in _reload_hooks:
        try:
            fn()
        except Exception:
            gen_log.error("reload hook %r failed", fn, exc_info=True)
    argv = _restart_argv()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if sys.platform == "win32":
        # No exec that keeps the process: start a new one and leave.
        subprocess.Popen(argv)
        os._exit(0)
    try:
        os.execv(sys.executable, argv)
    except OSError:
        # Some platforms refuse exec in a multi-threaded process.
        subprocess.Popen(argv)
        os._exit(0)
