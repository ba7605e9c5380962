"""AsyncHTTPClient (configurable, one per event loop) and the blocking HTTPClient.

How this works: `AsyncHTTPClient.fetch` checks the request (CR/LF/NUL in
the method, URL or headers are refused before anything is sent), then waits
for one of ``max_clients`` slots (a queued request fails at its own
deadline), then hands the request to the back end's `fetch_impl`, which
performs one exchange and calls back with an `HTTPResponse`. Redirects are
followed here, the same way for every back end: the credentials
(``Authorization``, ``Cookie``, ``Proxy-Authorization``) are dropped when a
redirect leaves the origin, 303 (and 301/302 after a POST) turn into a GET,
only http and https targets are followed, and ``max_redirects`` bounds the
chain. Everything runs on callbacks and futures: a fetch creates no task.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import functools
import importlib
import weakref
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urljoin

from squall.httputil import HTTPHeaders
from squall.ioloop import IOLoop

from ._errors import HTTPClientError, HTTPStreamClosedError, HTTPTimeoutError
from ._request import (
    HTTPRequest,
    _check_header_fields,
    _check_method,
    _RequestProxy,
)
from ._response import HTTPResponse

__all__ = ["AsyncHTTPClient", "HTTPClient"]

_REDIRECT_CODES = frozenset((301, 302, 303, 307, 308))
# Headers that carry credentials: never sent to another origin (CVE-2026-49853).
_CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
# Headers that describe the body: dropped when a redirect turns a request into a GET.
_BODY_HEADERS = ("Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding")

_DEFAULT_IMPL = "squall.simple_httpclient.SimpleAsyncHTTPClient"


def _import_object(name: str) -> Any:
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        raise ValueError(f"expected a dotted name such as {_DEFAULT_IMPL!r}, got {name!r}")
    return getattr(importlib.import_module(module_name), attr)


class AsyncHTTPClient:
    """A non-blocking HTTP client.

    ``AsyncHTTPClient()`` returns the instance shared by everything running
    on the current event loop (created on first use); pass
    ``force_instance=True`` for a private one. The class built is the one
    chosen with `configure` (`squall.simple_httpclient.SimpleAsyncHTTPClient`
    by default).

    Example:
        ```python
        async def main():
            client = AsyncHTTPClient()
            response = await client.fetch("http://www.example.com/")
            print(response.body)
        ```

    Args:
        force_instance: Build a new instance instead of the shared one.
        **kwargs: Passed to the back end's `initialize` (when a new instance
            is built): ``defaults``, ``max_clients``, ``max_body_size``,
            ``max_header_size`` and the back end's own options.
    """

    _impl_class: ClassVar[type[AsyncHTTPClient] | None] = None
    _impl_kwargs: ClassVar[dict[str, Any]] = {}
    # Per concrete class: asyncio loop -> shared instance.
    _instances: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncHTTPClient]]

    io_loop: IOLoop
    _loop: asyncio.AbstractEventLoop
    _closed: bool
    _shared: bool
    _active: int
    _queue: collections.deque[_Fetch]
    defaults: dict[str, Any]
    max_clients: int
    max_body_size: int
    max_header_size: int

    def __new__(cls, force_instance: bool = False, **kwargs: Any) -> AsyncHTTPClient:
        if cls is AsyncHTTPClient:
            impl = cls.configured_class()
            kwargs = {**AsyncHTTPClient._impl_kwargs, **kwargs}
        else:
            impl = cls
        io_loop = IOLoop.current()
        loop = io_loop.asyncio_loop
        if not force_instance:
            cache = impl.__dict__.get("_instances")
            if cache is None:
                cache = weakref.WeakKeyDictionary()
                impl._instances = cache
            existing: AsyncHTTPClient | None = cache.get(loop)
            if existing is not None:
                return existing
        self = object.__new__(impl)
        self.io_loop = io_loop
        self._loop = loop
        self._closed = False
        self._shared = not force_instance
        self._active = 0
        self._queue = collections.deque()
        self.initialize(**kwargs)
        if not force_instance:
            impl._instances[loop] = self
        return self

    def __init__(self, force_instance: bool = False, **kwargs: Any) -> None:
        # All the work happens once, in __new__ and initialize: __init__ would
        # otherwise run again each time the shared instance is returned.
        pass

    def initialize(
        self,
        defaults: dict[str, Any] | None = None,
        max_clients: int = 10,
        max_body_size: int | None = None,
        max_header_size: int | None = None,
        max_buffer_size: int | None = None,
    ) -> None:
        """Set up a new instance (called once, by the constructor).

        Args:
            defaults: Default values for `HTTPRequest` options (e.g.
                ``{"request_timeout": 5, "user_agent": "me"}``).
            max_clients: The most requests in progress at once; more wait in
                a queue (each until its own ``request_timeout``).
            max_body_size: The largest response body accepted, after
                decompression (100 MiB by default).
            max_header_size: The largest response head accepted (64 KiB).
            max_buffer_size: Accepted for compatibility; the body limit is
                ``max_body_size``.

        Raises:
            ValueError: An unknown key in ``defaults`` or a bad limit.
        """
        if defaults:
            unknown = [k for k in defaults if k not in _OPTION_NAMES]
            if unknown:
                raise ValueError(f"unknown HTTPRequest option(s) in defaults: {sorted(unknown)}")
        self.defaults = dict(defaults) if defaults else {}
        if not isinstance(max_clients, int) or max_clients < 1:
            raise ValueError(f"max_clients must be a positive int, not {max_clients!r}")
        self.max_clients = max_clients
        self.max_body_size = max_body_size if max_body_size is not None else 100 * 1024 * 1024
        self.max_header_size = max_header_size if max_header_size is not None else 65536

    @classmethod
    def configure(cls, impl: type[AsyncHTTPClient] | str | None, **kwargs: Any) -> None:
        """Choose the class ``AsyncHTTPClient()`` builds, and its constructor arguments.

        Example:
            ```python
            AsyncHTTPClient.configure("squall.curl_httpclient.CurlAsyncHTTPClient")
            AsyncHTTPClient.configure(None, max_clients=50)
            ```

        Args:
            impl: An `AsyncHTTPClient` subclass, its dotted name, or None to
                keep the current choice.
            **kwargs: Arguments for `initialize` (e.g. ``max_clients``,
                ``defaults``), used when ``AsyncHTTPClient()`` builds an instance.

        Raises:
            ValueError: ``impl`` is not an AsyncHTTPClient subclass.
            ImportError: A dotted name that cannot be imported (for curl:
                ``pip install squall-httpclient[curl]``).
        """
        if isinstance(impl, str):
            impl = _import_object(impl)
        if impl is not None:
            if not (isinstance(impl, type) and issubclass(impl, AsyncHTTPClient)):
                raise ValueError(f"configure() needs an AsyncHTTPClient subclass, got {impl!r}")
            AsyncHTTPClient._impl_class = impl
        AsyncHTTPClient._impl_kwargs = dict(kwargs)

    @classmethod
    def configured_class(cls) -> type[AsyncHTTPClient]:
        """Return the class ``AsyncHTTPClient()`` builds.

        Returns:
            The configured class (`SimpleAsyncHTTPClient` unless changed).
        """
        impl = AsyncHTTPClient._impl_class
        if impl is None:
            impl = _import_object(_DEFAULT_IMPL)
            AsyncHTTPClient._impl_class = impl
        return impl

    def close(self) -> None:
        """Release the client's connections; it cannot be used afterwards.

        Requests still waiting for a slot fail with `HTTPStreamClosedError`.
        Closing the shared instance is allowed: the next ``AsyncHTTPClient()``
        builds a new one.
        """
        if self._closed:
            return
        self._closed = True
        if self._shared:
            cache = type(self).__dict__.get("_instances")
            if cache is not None and cache.get(self._loop) is self:
                del cache[self._loop]
        while self._queue:
            pending = self._queue.popleft()
            pending.cancel_timer()
            pending.deliver(
                HTTPResponse(
                    pending.request,
                    599,
                    error=HTTPStreamClosedError("the client was closed before the request started"),
                )
            )

    def fetch(
        self,
        request: HTTPRequest | str,
        raise_error: bool = True,
        callback: Callable[[HTTPResponse], Any] | None = None,
        **kwargs: Any,
    ) -> asyncio.Future[HTTPResponse]:
        """Start fetching a URL; return an awaitable of the `HTTPResponse`.

        Args:
            request: An `HTTPRequest` or a URL.
            raise_error: When true (the default), a non-2xx answer raises
                `HTTPClientError`; when false it is returned as the response.
                Failures without an answer (code 599: timeouts, refused
                connections...) are always raised.
            callback: The older style: called (on the loop) with the
                response, errors included as ``response.error``; the
                returned future then always resolves to the response.
            **kwargs: `HTTPRequest` arguments, when ``request`` is a URL.

        Returns:
            A future of the response.

        Raises:
            ValueError: A bad method, URL or header (CR, LF or NUL, a name
                that is not a token...), keyword arguments with an
                `HTTPRequest`, or an invalid combination of options.
            RuntimeError: The client was closed.
        """
        if self._closed:
            raise RuntimeError("fetch() called on a closed AsyncHTTPClient; create a new one")
        if not isinstance(request, HTTPRequest):
            if self.defaults and "allow_nonstandard_methods" not in kwargs:
                allow = self.defaults.get("allow_nonstandard_methods")
                if allow is not None:
                    kwargs["allow_nonstandard_methods"] = allow
            request = HTTPRequest(url=request, **kwargs)
        elif kwargs:
            raise ValueError(
                "keyword arguments cannot be combined with an HTTPRequest object; "
                "set them on the HTTPRequest instead"
            )
        else:
            # The attributes may have been changed after construction.
            _check_method(request.method)
        if request._url_parts.scheme not in ("http", "https"):
            raise ValueError(
                f"cannot fetch {request.url[:100]!r}: only http:// and https:// URLs can be "
                "fetched (use squall.websocket.websocket_connect for ws:// and wss://)"
            )
        _check_header_fields(request.headers)
        future: asyncio.Future[HTTPResponse] = self._loop.create_future()
        job = _Fetch(self, request, raise_error, callback, future)
        future.add_done_callback(job.on_future_done)
        if self._active < self.max_clients:
            self._active += 1
            job.start()
        else:
            job.enqueue()
        return future

    def fetch_impl(
        self, request: Any, callback: Callable[[HTTPResponse], None]
    ) -> Callable[[], None] | None:
        """Perform one exchange (no redirects); implemented by the back ends.

        Args:
            request: The request, read through a proxy that applies the
                defaults (it has every `HTTPRequest` attribute).
            callback: Called exactly once with the `HTTPResponse`; failures
                are a response with code 599 and ``error`` set.

        Returns:
            Optionally, a function that aborts the exchange (called when the
            caller cancels the fetch): it must close the connection and then
            still call ``callback`` once, with a 599 response, so the slot
            is freed. A back end that returns None cannot be interrupted;
            its exchange runs to its end and the result is dropped.
        """
        raise NotImplementedError("AsyncHTTPClient subclasses implement fetch_impl()")

    def _slot_freed(self) -> None:
        queue = self._queue
        while queue:
            job = queue.popleft()
            if job.future.done():
                continue
            job.cancel_timer()
            job.start()
            return
        self._active -= 1


_OPTION_NAMES = frozenset(
    name
    for name in HTTPRequest.__init__.__code__.co_varnames[1 : HTTPRequest.__init__.__code__.co_argcount]
    if name not in ("url",)
)


class _Fetch:
    """One call to fetch: its slot in the queue, its redirects, its delivery."""

    __slots__ = (
        "client",
        "request",
        "raise_error",
        "callback",
        "future",
        "timer",
        "first",
        "redirects",
        "abort",
    )

    def __init__(
        self,
        client: AsyncHTTPClient,
        request: HTTPRequest,
        raise_error: bool,
        callback: Callable[[HTTPResponse], Any] | None,
        future: asyncio.Future[HTTPResponse],
    ) -> None:
        self.client = client
        self.request = request
        self.raise_error = raise_error
        self.callback = callback
        self.future = future
        self.timer: asyncio.TimerHandle | None = None
        self.first = request
        self.redirects = 0
        # Aborts the exchange in progress, when the back end offers it.
        self.abort: Callable[[], None] | None = None

    def start(self) -> None:
        client = self.client
        proxy = _RequestProxy(self.request, client.defaults or None)
        try:
            self.abort = client.fetch_impl(proxy, self.on_response)
        except Exception as exc:  # a bug or bad option: report it, free the slot
            self.on_response(HTTPResponse(self.request, 599, error=exc))

    def on_future_done(self, future: asyncio.Future[HTTPResponse]) -> None:
        """Abort the exchange when the caller cancels (e.g. ``asyncio.wait_for``).

        Without this, a cancelled fetch would keep its connection and its
        ``max_clients`` slot until the server answered or the request timed out.
        A fetch still waiting in the queue is dropped from it by ``_slot_freed``.
        """
        if not future.cancelled():
            return
        if self.timer is not None:  # still queued
            self.cancel_timer()
            try:
                self.client._queue.remove(self)
            except ValueError:
                pass
        abort = self.abort
        if abort is not None:
            self.abort = None
            abort()

    def enqueue(self) -> None:
        client = self.client
        proxy = _RequestProxy(self.request, client.defaults or None)
        timeout = proxy.request_timeout
        if timeout:
            self.timer = client._loop.call_later(float(timeout), self.queue_timeout, float(timeout))
        client._queue.append(self)

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def queue_timeout(self, timeout: float) -> None:
        self.timer = None
        try:
            self.client._queue.remove(self)
        except ValueError:
            return
        self.deliver(
            HTTPResponse(
                self.request,
                599,
                error=HTTPTimeoutError(
                    f"timed out after {timeout:g} seconds waiting in the queue for a free "
                    f"connection slot (max_clients={self.client.max_clients})"
                ),
            )
        )

    def on_response(self, response: HTTPResponse) -> None:
        self.abort = None
        if response.code in _REDIRECT_CODES and not self.future.done():
            follow = _redirect_target(self, response)
            if follow is not None:
                self.request = follow
                self.start()
                return
        self.client._slot_freed()
        self.deliver(response)

    def deliver(self, response: HTTPResponse) -> None:
        future = self.future
        if future.done():  # cancelled by the caller
            return
        if self.request is not self.first:
            response.request.original_request = self.first
        if self.callback is not None:
            future.set_result(response)
            self.client.io_loop.add_callback(self.callback, response)
        elif response.error is not None and (self.raise_error or not response._error_is_response_code):
            future.set_exception(response.error)
        else:
            future.set_result(response)


def _origin(request: HTTPRequest) -> tuple[str, str, int]:
    parts = request._url_parts
    return parts.scheme, parts.host.lower(), parts.port


def _redirect_target(job: _Fetch, response: HTTPResponse) -> HTTPRequest | None:
    """Return the request to make for a redirect, or None to deliver ``response``.

    Sets ``response.error`` when a redirect cannot be followed (too many,
    a non-HTTP target, a body that cannot be sent again).
    """
    request = job.request
    proxy = _RequestProxy(request, job.client.defaults or None)
    if not proxy.follow_redirects:
        return None
    location = response.headers.get("Location")
    if location is None:
        return None
    max_redirects = proxy.max_redirects
    if job.redirects >= max_redirects:
        _set_error(response, f"too many redirects: stopped after max_redirects={max_redirects}")
        return None
    new_url = urljoin(request.url, location.strip(" \t"))
    new = copy.copy(request)
    try:
        new.url = new_url
        if new._url_parts.scheme not in ("http", "https"):
            raise ValueError("only http:// and https:// targets are followed")
    except ValueError as exc:
        _set_error(response, f"refusing to follow the redirect to {location[:100]!r}: {exc}")
        return None
    new.headers = HTTPHeaders(request.headers)
    code = response.code
    method = request.method
    if code == 303 and method != "HEAD" or code in (301, 302) and method == "POST":
        # RFC 9110 section 15.4: these become a GET without a body.
        new.method = "GET"
        new.body = None
        new.body_producer = None
        for name in _BODY_HEADERS:
            if name in new.headers:
                del new.headers[name]
    elif request.body_producer is not None:
        _set_error(
            response,
            f"cannot follow a {code} redirect: the body came from body_producer and "
            "cannot be sent again; use body=, or follow_redirects=False",
        )
        return None
    if _origin(new) != _origin(request):
        for name in _CREDENTIAL_HEADERS:
            if name in new.headers:
                del new.headers[name]  # every copy of it
        if "Host" in new.headers:
            del new.headers["Host"]
        new.auth_username = None
        new.auth_password = None
        new.auth_mode = None
    new.start_time = request.start_time
    job.redirects += 1
    return new


def _set_error(response: HTTPResponse, message: str) -> None:
    response.error = HTTPClientError(response.code, message=message, response=response)
    response._error_is_response_code = False


class HTTPClient:
    """A blocking HTTP client, for scripts and programs that do not run an event loop.

    It runs its own private event loop in the calling thread for each
    `fetch`. It cannot be used while an event loop is running in the thread
    (use `AsyncHTTPClient` there).

    Example:
        ```python
        client = HTTPClient()
        try:
            print(client.fetch("http://www.example.com/").body)
        except HTTPClientError as e:
            print("Error:", e)
        finally:
            client.close()
        ```

    Args:
        async_client_class: The `AsyncHTTPClient` class to use (the
            configured one by default).
        **kwargs: Passed to its constructor (e.g. ``max_clients``, ``defaults``).

    Raises:
        RuntimeError: Called while an event loop is running in this thread.
    """

    def __init__(self, async_client_class: type[AsyncHTTPClient] | None = None, **kwargs: Any) -> None:
        self._closed = True
        _no_running_loop("HTTPClient()")
        self._loop = asyncio.new_event_loop()
        cls = async_client_class if async_client_class is not None else AsyncHTTPClient

        async def make() -> AsyncHTTPClient:
            return cls(force_instance=True, **kwargs)

        try:
            self._async_client = self._loop.run_until_complete(make())
        except BaseException:
            self._loop.close()
            raise
        self._closed = False

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            try:
                self.close()
            except RuntimeError:  # interpreter shutdown or a running loop
                pass

    def close(self) -> None:
        """Close the client and its private event loop."""
        if self._closed:
            return
        self._closed = True
        self._async_client.close()
        loop = self._loop
        loop.run_until_complete(asyncio.sleep(0))  # let closed transports finish
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def fetch(self, request: HTTPRequest | str, **kwargs: Any) -> HTTPResponse:
        """Fetch a URL and return the response, blocking until it is complete.

        Args:
            request: An `HTTPRequest` or a URL.
            **kwargs: ``raise_error`` and `HTTPRequest` arguments, as for
                `AsyncHTTPClient.fetch`.

        Returns:
            The response.

        Raises:
            HTTPClientError: A non-2xx answer (unless ``raise_error=False``)
                or a failure (code 599).
            RuntimeError: The client is closed, or an event loop is running
                in this thread.
        """
        if self._closed:
            raise RuntimeError("fetch() called on a closed HTTPClient; create a new one")
        _no_running_loop("HTTPClient.fetch()")
        return self._loop.run_until_complete(
            _await(functools.partial(self._async_client.fetch, request, **kwargs))
        )


async def _await(start: Callable[[], asyncio.Future[HTTPResponse]]) -> HTTPResponse:
    return await start()


def _no_running_loop(what: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"{what} cannot be used while an event loop is running in this thread "
        "(it would block it); use `await AsyncHTTPClient().fetch(...)` instead"
    )

