"""Live updates: a WebSocket, with long polling as the fallback.

Both carry the same messages, ``{"events": [...]}``, and both start from the
``since`` event id the page last saw, so a client that reconnects after a
network blip, a server restart or a switch of transport gets every event it
missed (see hub.py). An event names an entry; the page then fetches that
entry's HTML (`EntryFragmentHandler`), rendered in the reader's language.
"""

from __future__ import annotations

import asyncio

import squall.web
import squall.websocket

from .handlers import BaseHandler
from .hub import Subscription


def since_argument(handler: BaseHandler) -> int:
    since = handler.get_argument("since", "0")
    if not since.isdigit() or len(since) > 18:
        raise squall.web.HTTPError(400, "bad 'since' argument %r", since)
    return int(since)


class UpdatesHandler(BaseHandler):
    """Long polling: ``POST /updates`` with ``since=<id>`` answers when there is news.

    It answers ``{"events": []}`` after ``poll_timeout`` seconds (setting,
    default 25) so that no proxy gives up on a silent request.
    """

    subscription: Subscription | None = None
    reader_gone = False

    @squall.web.authenticated
    async def post(self) -> None:
        self.subscription = self.hub.subscribe(since_argument(self))
        timeout = self.settings.get("poll_timeout", 25.0)
        try:
            events = await asyncio.wait_for(self.subscription.next(), timeout)
        except asyncio.TimeoutError:
            events = []
        finally:
            self.subscription.close()
        if not self.reader_gone:
            self.write({"events": events})

    def on_connection_close(self) -> None:
        # The reader closed the tab: stop waiting for news for them.
        self.reader_gone = True
        if self.subscription is not None:
            self.subscription.close()


class UpdatesSocket(squall.websocket.WebSocketHandler, BaseHandler):
    """``/updates/socket?since=<id>``: events pushed as they happen.

    The handshake is a GET that carries our cookies, so only signed-in users
    get in, and the default `check_origin` refuses pages of other sites.
    """

    subscription: Subscription | None = None

    def prepare(self) -> None:
        if not self.current_user:
            raise squall.web.HTTPError(403, "WebSocket without a signed-in user")
        self.since = since_argument(self)

    def open(self) -> None:
        self.subscription = self.hub.subscribe(self.since)
        asyncio.ensure_future(self.forward(self.subscription))

    async def forward(self, subscription: Subscription) -> None:
        async for events in subscription:
            try:
                # Waiting for each write slows us down to a slow reader.
                await self.write_message({"events": events})
            except squall.websocket.WebSocketClosedError:
                return
        # The hub closed (server shutting down): tell the page to reconnect.
        self.close(1001, "server going away")

    def on_message(self, message: str | bytes) -> None:
        """Pages send nothing over the socket; actions are POSTs."""

    def on_close(self) -> None:
        if self.subscription is not None:
            self.subscription.close()
