"""A small application for the deploy tests: ``squall serve probe_app:make_app()``.

It reports what the server learnt about each request (client address,
scheme, which process answered) and echoes over a WebSocket, so the tests
can see what nginx passes through. ``PROBE_STATIC_PATH`` names its static
folder (the same files nginx serves).
"""

from __future__ import annotations

import os
from typing import Any

import squall.web
import squall.websocket


class InfoHandler(squall.web.RequestHandler):
    def get(self) -> None:
        self.write({
            "pid": os.getpid(),
            "remote_ip": self.request.remote_ip,
            "protocol": self.request.protocol,
            "host": self.request.host,
            "static_url": self.static_url("hello.css"),
        })


class EchoSocket(squall.websocket.WebSocketHandler):
    def on_message(self, message: str | bytes) -> None:
        self.write_message({"pid": os.getpid(), "echo": message,
                            "remote_ip": self.request.remote_ip})


def make_app() -> squall.web.Application:
    settings: dict[str, Any] = {"static_path": os.environ["PROBE_STATIC_PATH"]}
    return squall.web.Application([(r"/", InfoHandler), (r"/echo", EchoSocket)], **settings)
