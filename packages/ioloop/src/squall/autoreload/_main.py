"""``python -m squall.autoreload``: run a program and rerun it after edits."""

from __future__ import annotations

import importlib.util
import logging
import os
import runpy
import sys
import traceback

from ._reload import gen_log, wait, watch

_USAGE = """\
usage: python -m squall.autoreload [-m module | script.py] [args...]

Runs the program; when it exits (for example because of a syntax error in
the code being edited), waits until a source file changes and runs it again.
"""


def main(argv: list[str] | None = None) -> None:
    """Run a script or module, then wait for a change and restart.

    Args:
        argv: the command line after the program name (default
            ``sys.argv[1:]``): ``script.py args...`` or ``-m module args...``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or (args[0] == "-m" and len(args) < 2):
        sys.stderr.write(_USAGE)
        raise SystemExit(2)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO)
    module: str | None = None
    if args[0] == "-m":
        module = args[1]
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        if origin:
            watch(origin)
        sys.argv = [origin or module, *args[2:]]
    else:
        script = args[0]
        watch(script)
        sys.argv = args
        # As `python script.py` does: the script's folder comes first on the path.
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    exit_code: object = 0
    try:
        if module is not None:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exc:
        exit_code = exc.code
        gen_log.info("program exited with status %r; waiting for a file to change", exit_code)
    except BaseException as exc:
        exit_code = 1
        # The file that failed to compile or import is not in sys.modules:
        # watch every file of the traceback so that fixing it reruns.
        if isinstance(exc, SyntaxError) and exc.filename:
            watch(exc.filename)
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.exists(frame.filename):
                watch(frame.filename)
        gen_log.error("program failed; waiting for a file to change", exc_info=True)
    else:
        gen_log.info("program finished; waiting for a file to change")
    wait()
