"""Ready-made handlers: redirects, fixed errors, and a fallback to another app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import HTTPError
from ._handler import RequestHandler

__all__ = ["ErrorHandler", "RedirectHandler", "FallbackHandler"]


class ErrorHandler(RequestHandler):
    """Answer every request with ``status_code`` (the default 404 handler).

    Args (to ``initialize``):
        status_code: the error status to send.
    """

    def initialize(self, status_code: int = 404) -> None:  # type: ignore[override]
        self.set_status(status_code)

    def prepare(self) -> None:
        raise HTTPError(self._status_code)

    def check_xsrf_cookie(self) -> None:
        # An unknown URL is a 404 whatever the method; XSRF does not apply.
        return None


class RedirectHandler(RequestHandler):
    """Redirect every GET to ``url`` (301 by default).

    Args (to ``initialize``):
        url: the target; ``{0}``, ``{1}`` (or ``{name}``) are replaced by the
            URL pattern's groups. The request's query string is appended.
        permanent: ``False`` for a 302.

    Example::

        app = Application([
            (r"/old/(.*)", RedirectHandler, {"url": "/new/{0}"}),
        ])
    """

    def initialize(self, url: str, permanent: bool = True) -> None:  # type: ignore[override]
        self._url = url
        self._permanent = permanent

    def get(self, *args: Any, **kwargs: Any) -> None:
        target = self._url.format(*args, **kwargs)
        if target.startswith(("//", "/\\")):
            # A captured group made a site-relative URL protocol-relative
            # (``/{0}`` with ``/evil.com``): refuse rather than leave the site.
            raise HTTPError(403, "redirect target %r would leave the site", target[:100])
        query = self.request.query
        if query:
            target += ("&" if "?" in target else "?") + query
        self.redirect(target, permanent=self._permanent)

    head = get


class FallbackHandler(RequestHandler):
    """Pass requests to another HTTP callable (e.g. a WSGI container).

    Args (to ``initialize``):
        fallback: a callable taking the `HTTPServerRequest`; it writes the
            response through ``request.connection`` itself.
    """

    def initialize(self, fallback: Callable[[Any], Any]) -> None:  # type: ignore[override]
        self.fallback = fallback

    def prepare(self) -> None:
        self.fallback(self.request)
        self._finished = True
        self.on_finish()
