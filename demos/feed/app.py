"""The application: URL routes and settings."""

from __future__ import annotations

import os
from typing import Any

import squall.web

from . import api, handlers, live, uimodules
from .hub import Hub
from .store import Store

HERE = os.path.dirname(os.path.abspath(__file__))


class FeedApplication(squall.web.Application):
    """The feed: every handler reaches the database and the hub through it.

    Args:
        store: the database.
        hub: the event fan-out.
        cookie_secret: the key that signs the sign-in cookie.
        **settings: more `squall.web.Application` settings (``debug``...).
    """

    def __init__(self, store: Store, hub: Hub, cookie_secret: str, **settings: Any) -> None:
        self.store = store
        self.hub = hub
        routes: list[Any] = [
            (r"/", handlers.HomeHandler),
            (r"/login", handlers.LoginHandler),
            (r"/logout", handlers.LogoutHandler),
            (r"/language", handlers.LanguageHandler),
            (r"/entries", handlers.NewEntryHandler),
            squall.web.url(r"/entries/([0-9]+)", handlers.EntryHandler, name="entry"),
            (r"/entries/([0-9]+)/html", handlers.EntryFragmentHandler),
            (r"/entries/([0-9]+)/like", handlers.LikeHandler),
            (r"/entries/([0-9]+)/comments", handlers.CommentHandler),
            (r"/images/([0-9]+)", handlers.ImageHandler),
            (r"/updates", live.UpdatesHandler),
            (r"/updates/socket", live.UpdatesSocket),
            (r"/api/entries", api.EntriesApiHandler),
        ]
        defaults: dict[str, Any] = {
            "template_path": os.path.join(HERE, "templates"),
            "static_path": os.path.join(HERE, "static"),
            "ui_modules": uimodules,
            "cookie_secret": cookie_secret,
            "login_url": "/login",
            "xsrf_cookies": True,
            "xsrf_cookie_kwargs": {"samesite": "Lax"},
            "websocket_ping_interval": 30,
        }
        defaults.update(settings)
        super().__init__(routes, **defaults)
