"""Helpers shared by the benchmark scripts in tools/bench/.

Nothing here imports a peer or squall: the scripts that do import them call
`add_squall_paths()` first so that squall's packages are importable from
`.venv-bench` without installing them there (see README.md, "Where squall
comes from").
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import resource
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent.parent

#: Exit status of a contender script whose library cannot be imported. The
#: harness reports the contender as skipped ("not installed" for a peer, "not
#: yet available" for squall) instead of failing the run.
EXIT_UNAVAILABLE = 3

HELLO = b"Hello, world!"
#: A fixed entity tag for the raw-server contenders, so they send the same
#: header set as Tornado's web stack (Date, Server, Content-Type, Etag).
HELLO_ETAG = '"%s"' % hashlib.sha1(HELLO).hexdigest()
TEXT_TYPE = "text/plain; charset=utf-8"

#: Rows of the "templated page" benchmark; names contain characters that the
#: template must escape.
PAGE_ROWS = [
    {"id": i, "name": f"item <{i}> & \"friends\"", "price": i * 1.25}
    for i in range(50)
]
PAGE_TITLE = "Inventory & <prices>"

TORNADO_PAGE = """<!DOCTYPE html>
<html><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
{% for row in rows %}<tr><td>{{ row["id"] }}</td><td>{{ row["name"] }}</td><td>{{ "%.2f" % row["price"] }}</td></tr>
{% end %}</table>
</body></html>
"""

JINJA_PAGE = """<!DOCTYPE html>
<html><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
{% for row in rows %}<tr><td>{{ row["id"] }}</td><td>{{ row["name"] }}</td><td>{{ "%.2f" % row["price"] }}</td></tr>
{% endfor %}</table>
</body></html>
"""

STATIC_NAME = "bench.txt"
STATIC_SIZE = 16 * 1024


def add_squall_paths() -> None:
    """Put every `packages/*/src` folder of the work tree on `sys.path`.

    squall's distributions are PEP 420 namespace parts, so adding each `src`
    folder makes `squall.<module>` importable with no install step.
    """
    for src in sorted((REPO_ROOT / "packages").glob("*/src")):
        path = str(src)
        if path not in sys.path:
            sys.path.append(path)


def squall_pythonpath() -> str:
    """Return a PYTHONPATH value holding every `packages/*/src` folder."""
    paths = [str(p) for p in sorted((REPO_ROOT / "packages").glob("*/src"))]
    old = os.environ.get("PYTHONPATH")
    if old:
        paths.append(old)
    return os.pathsep.join(paths)


def unavailable(what: str, exc: BaseException) -> None:
    """Report that a contender's library is missing and exit.

    Args:
        what: the contender's name.
        exc: the import error.
    """
    print(f"UNAVAILABLE: {what}: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_UNAVAILABLE)


def configure_access_logging() -> None:
    """Turn access-log formatting on for every framework, writing to /dev/null.

    A record that nobody formats costs almost nothing, so a server whose
    access log is off by default would look faster than one that logs. Every
    record at INFO is formatted here and written to the null device.
    """
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(formatter)
    # Warnings and errors (a handler's traceback, say) also go to stderr,
    # which the harness keeps and quotes when a contender fails.
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.WARNING)
    errors.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler, errors]
    root.setLevel(logging.INFO)


_date_cache: list[object] = [0, ""]


def http_date() -> str:
    """Return the current time as an HTTP date, recomputed once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = email.utils.formatdate(now, usegmt=True)
    return str(_date_cache[1])


def etag_of(body: bytes) -> str:
    """Return a strong entity tag for `body`, computed like Tornado's default."""
    return '"%s"' % hashlib.sha1(body).hexdigest()


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def make_asset_dir(root: Path) -> Path:
    """Write the static file and the page templates under `root`; return it."""
    root.mkdir(parents=True, exist_ok=True)
    static = root / STATIC_NAME
    if not static.exists() or static.stat().st_size != STATIC_SIZE:
        line = b"squall benchmark static file, sixty-four bytes long.........\n"
        static.write_bytes((line * (STATIC_SIZE // len(line) + 1))[:STATIC_SIZE])
    (root / "page.html").write_text(TORNADO_PAGE)
    (root / "page.jinja").write_text(JINJA_PAGE)
    return root


async def handshake(line: str) -> None:
    """Print `line`, then wait for any line on stdin (the harness's go-ahead).

    The harness samples the server's CPU time or memory between the two, so a
    load script's set-up and tear-down stay out of the measurement.
    """
    import asyncio

    print(line, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


def run_loop(main: object, use_uvloop: bool) -> None:
    """Run coroutine `main` on asyncio's default loop or on uvloop."""
    import asyncio

    if use_uvloop:
        try:
            import uvloop
        except ImportError as exc:
            unavailable("uvloop", exc)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)  # type: ignore[arg-type]
    else:
        asyncio.run(main)  # type: ignore[arg-type]
