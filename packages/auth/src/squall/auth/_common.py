"""What every sign-in mixin shares: provider fetches, callbacks, safe redirects.

The mixins' network methods start their work at once and return a
`Pending`: ``await`` it (the modern form), or pass ``callback=`` (the
spec's form). Work whose result nobody awaits and nobody is called back for
still reports its failure: the error goes to the handler's error page, as
an exception in a handler method would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import Callable, Coroutine, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

from ._errors import AuthError

if TYPE_CHECKING:
    from squall.web import RequestHandler

    _HandlerBase = RequestHandler
else:
    _HandlerBase = object

__all__ = [
    "AuthMixinBase",
    "Pending",
    "auth_log",
    "fetch_provider",
    "json_object",
    "provider_error",
    "public_url",
    "safe_next_url",
    "url_concat",
]

auth_log = logging.getLogger("squall.auth")

_T = TypeVar("_T")


class Pending(Generic[_T]):
    """Work a mixin started: await it for the result.

    The work runs whether or not it is awaited. If it fails and nothing
    awaits it, the error is handed to the handler (logged, and a 500 page
    sent if the response is not finished), so a forgotten ``await`` never
    hides a failure.
    """

    __slots__ = ("future", "_awaited", "_handler")

    def __init__(self, handler: Any, coro: Coroutine[Any, Any, _T]) -> None:
        self.future: asyncio.Future[_T] = asyncio.ensure_future(coro)
        self._awaited = False
        self._handler = handler
        self.future.add_done_callback(self._settled)

    def __await__(self) -> Generator[Any, None, _T]:
        self._awaited = True
        return self.future.__await__()

    def done(self) -> bool:
        """Whether the work has finished."""
        return self.future.done()

    def add_done_callback(self, fn: Callable[[asyncio.Future[_T]], object]) -> None:
        """Call ``fn(future)`` when the work finishes (the future API); counts as awaiting."""
        self._awaited = True
        self.future.add_done_callback(fn)

    def _settled(self, future: asyncio.Future[_T]) -> None:
        if future.cancelled():
            return
        error = future.exception()  # marks it retrieved either way
        if error is None or self._awaited:
            return
        handler = self._handler
        report = getattr(handler, "_handle_request_exception", None)
        if report is not None and not getattr(handler, "_finished", True):
            report(error)
        else:
            auth_log.error("unawaited sign-in step failed: %s", error)


def start(
    handler: Any,
    coro: Coroutine[Any, Any, _T],
    callback: Callable[[Any], object] | None = None,
) -> Pending[Any]:
    """Start ``coro``; with ``callback``, call it with the result (``None`` on `AuthError`)."""
    if callback is None:
        return Pending(handler, coro)
    return Pending(handler, _call_back(handler, coro, callback))


async def _call_back(
    handler: Any, coro: Coroutine[Any, Any, _T], callback: Callable[[Any], object]
) -> _T | None:
    value: _T | None
    try:
        value = await coro
    except AuthError as error:
        # The spec's callback style signals failure with None; say why in the log.
        auth_log.warning("%s: sign-in failed: %s", type(handler).__name__, error)
        value = None
    callback(value)
    return value


def url_concat(url: str, args: Mapping[str, Any] | None) -> str:
    """``url`` with ``args`` appended to its query (values ``None`` dropped)."""
    if not args:
        return url
    pairs = [(k, str(v)) for k, v in args.items() if v is not None]
    if not pairs:
        return url
    base = url.rstrip("?&")
    separator = "&" if "?" in base else "?"
    return base + separator + urllib.parse.urlencode(pairs)


def public_url(url: str) -> str:
    """``url`` without its query and fragment, for messages (queries may carry secrets)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def safe_next_url(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default``.

    Use it for a ``next=`` parameter before redirecting there after sign-in:
    only paths that start with a single ``/`` are kept. Absolute URLs,
    protocol-relative ones (``//evil.example``), backslashes (``/\\evil``),
    and whitespace or control characters (browsers drop some of them, which
    can turn ``/\\t/evil`` into ``//evil``) all give ``default``.

    Args:
        value: the untrusted target, e.g. ``self.get_argument("next", None)``.
        default: the fallback path.

    Returns:
        A local path.
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urllib.parse.urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def _clean(text: str, limit: int = 200) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text if len(text) <= limit else text[:limit] + "..."


def provider_error(response: HTTPResponse) -> str:
    """A short description of a provider's error answer (its JSON error fields if any)."""
    detail = ""
    try:
        data = json.loads(response.body.decode("utf-8")) if response.body else None
    except (UnicodeDecodeError, ValueError):
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        listed = data.get("errors")
        if isinstance(listed, list) and listed and isinstance(listed[0], dict):
            error = listed[0]  # Twitter style: {"errors": [{"code": 32, "message": ...}]}
        if isinstance(error, dict):  # Graph API style: {"error": {"message": ..., "type": ...}}
            bits = [error.get("type") or error.get("code"), error.get("message")]
        else:
            bits = [error, data.get("error_description") or data.get("message")]
        detail = ": ".join(_clean(str(b)) for b in bits if isinstance(b, (str, int)) and b != "")
    return f"HTTP {response.code}" + (f" ({detail})" if detail else "")


async def fetch_provider(
    client: AsyncHTTPClient,
    what: str,
    url: str,
    *,
    method: str = "GET",
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTTPResponse:
    """Fetch from a provider; a failure without an answer raises `AuthError`.

    Non-2xx answers are returned (check ``response.code``).
    """
    all_headers = {"User-Agent": "squall-auth", "Accept": "application/json"}
    if headers:
        all_headers.update(headers)
    try:
        return await client.fetch(
            url,
            method=method,
            body=body,
            headers=all_headers,
            raise_error=False,
            follow_redirects=False,
        )
    except HTTPClientError as error:
        raise AuthError(f"{what}: no answer from {public_url(url)}: {error.message}") from error
    except OSError as error:
        raise AuthError(f"{what}: could not reach {public_url(url)}: {error}") from error


def json_object(response: HTTPResponse, what: str) -> dict[str, Any]:
    """The JSON object a provider answered with.

    Raises:
        AuthError: the answer is not 2xx, not JSON, or not a JSON object.
    """
    if not 200 <= response.code < 300:
        raise AuthError(f"{what}: the provider answered {provider_error(response)}")
    try:
        data = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise AuthError(f"{what}: the answer is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise AuthError(f"{what}: the answer is JSON but not an object")
    return data


class AuthMixinBase(_HandlerBase):
    """What the sign-in mixins share (mixed into a `squall.web.RequestHandler`)."""

    def get_auth_http_client(self) -> AsyncHTTPClient:
        """The `AsyncHTTPClient` used to talk to the provider; override to use another."""
        return AsyncHTTPClient()

    def get_safe_next_url(self, default: str = "/") -> str:
        """The request's ``next`` argument if it is a path on this site, else ``default``.

        See `safe_next_url`.
        """
        return safe_next_url(self.get_argument("next", None), default)

    def _secure_cookie_flags(self) -> dict[str, Any]:
        return {
            "httponly": True,
            "samesite": "Lax",  # sent on the provider's top-level redirect back
            "secure": self.request.protocol == "https",
        }
