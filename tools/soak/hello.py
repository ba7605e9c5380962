"""The soak target: squall's hello-world application.

Usage: python tools/soak/hello.py PORT
"""

from __future__ import annotations

import sys

import squall.ioloop
import squall.web


class MainHandler(squall.web.RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


class JSONHandler(squall.web.RequestHandler):
    def get(self) -> None:
        self.write({"hello": "world", "items": list(range(10))})


def main() -> None:
    port = int(sys.argv[1])
    app = squall.web.Application([(r"/", MainHandler), (r"/json", JSONHandler)])
    app.listen(port, "127.0.0.1", idle_connection_timeout=30, max_connections=20_000)
    squall.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
