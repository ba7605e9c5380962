"""Start the feed: ``python -m feed [--port 8888] [--data-dir DIR]`` (from ``demos/``).

The data folder (``demos/feed/data`` unless ``--data-dir`` says otherwise) is
created on the first run and holds everything that must survive a restart:
the SQLite database, the key that signs cookies, and the compiled
translations.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal

import squall.httpserver
import squall.netutil

from . import i18n
from .app import HERE, FeedApplication
from .handlers import MAX_IMAGE_BYTES
from .hub import Hub
from .store import Store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m feed", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8888)),
                        help="TCP port (default 8888, or $PORT; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--data-dir", default=os.path.join(HERE, "data"),
                        help="where the database lives (default: demos/feed/data)")
    parser.add_argument("--debug", action="store_true",
                        help="reload on code changes, tracebacks in error pages")
    parser.add_argument("--redis", metavar="URL", default=None,
                        help="share live updates with other processes on the same data "
                             "folder through Redis pub/sub, e.g. redis://127.0.0.1:6379/0")
    return parser.parse_args(argv)


def cookie_secret(data_dir: str) -> str:
    """The signing key, made once and kept so sign-ins survive restarts."""
    path = os.path.join(data_dir, "cookie_secret")
    if not os.path.exists(path):
        # O_EXCL: never overwrite; 0o600: readable by us only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    with open(path) as f:
        return f.read().strip()


async def serve(args: argparse.Namespace) -> None:
    data_dir = os.path.abspath(args.data_dir)
    os.makedirs(data_dir, exist_ok=True)
    i18n.load(data_dir)
    store = Store(os.path.join(data_dir, "feed.sqlite3"))
    hub: Hub
    redis_hub = None
    if args.redis:
        # Only now: the redis package is needed with --redis only.
        from .redis_hub import RedisHub

        hub = redis_hub = RedisHub(store.events_after, store.last_event_id(),
                                   store.last_event_id, args.redis)
        await redis_hub.start()
    else:
        hub = Hub(store.events_after, store.last_event_id())
    app = FeedApplication(store, hub, cookie_secret(data_dir), debug=args.debug)
    # Room for the largest image plus the form around it; bigger is a 413.
    server = squall.httpserver.HTTPServer(app, max_body_size=MAX_IMAGE_BYTES + 64 * 1024)
    sockets = squall.netutil.bind_sockets(args.port, args.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    host = args.host if args.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    print(f"squall feed demo running at http://{host}:{port}/", flush=True)
    print(f"  data in {data_dir}; press Ctrl+C to stop", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    # Stop accepting, end the open long polls and sockets, let in-flight
    # requests finish, then close the database.
    server.stop()
    hub.close()
    await server.close_all_connections(timeout=5)
    if redis_hub is not None:
        await redis_hub.stop()
    store.close()
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    # One line per request (squall.access) and any errors, on stderr.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname).1s %(message)s",
                        datefmt="%H:%M:%S")
    asyncio.run(serve(parse_args(argv)))
