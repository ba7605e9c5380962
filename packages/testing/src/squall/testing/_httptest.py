"""AsyncHTTPTestCase and AsyncHTTPSTestCase: an application on a free port."""

from __future__ import annotations

from typing import Any

from squall.httpclient import AsyncHTTPClient, HTTPResponse
from squall.httpserver import HTTPServer

from ._asynctest import AsyncTestCase
from ._certs import get_test_ssl_options
from ._fetch import resolve_url
from ._ports import bind_unused_port
from ._timeout import get_async_test_timeout

__all__ = ["AsyncHTTPSTestCase", "AsyncHTTPTestCase"]

_FETCH_HINT = "set by the ASYNC_TEST_TIMEOUT environment variable"


class AsyncHTTPTestCase(AsyncTestCase):
    """An `AsyncTestCase` that serves the application of `get_app` over HTTP.

    Each test gets a fresh loop, an `HTTPServer` on a free port of
    127.0.0.1 (``self.http_server``) and an `AsyncHTTPClient` of its own
    (``self.http_client``). `fetch` requests a path and returns the response,
    running the loop until it arrives::

        class HelloTest(AsyncHTTPTestCase):
            def get_app(self):
                return Application([("/", HelloHandler)])

            def test_hello(self):
                response = self.fetch("/")
                self.assertEqual(response.code, 200)

            @gen_test
            async def test_hello_async(self):
                response = await self.http_client.fetch(self.get_url("/"))
                self.assertEqual(response.body, b"Hello")

    Attributes:
        http_server: the test's `HTTPServer`.
        http_client: the test's `AsyncHTTPClient`.
    """

    http_server: HTTPServer
    http_client: AsyncHTTPClient

    def setUp(self) -> None:
        """Start the server (on a free port) and the client on ``self.io_loop``."""
        super().setUp()
        sock, port = bind_unused_port()
        self.__port = port
        try:
            self._app = self.get_app()
            self.http_client = self.get_http_client()
            self.http_server = self.get_http_server()
            self.http_server.add_sockets([sock])
        except BaseException:
            sock.close()
            raise
        self.addCleanup(self.__stop_http)

    def get_app(self) -> Any:
        """Return the application to test; subclasses must override it.

        Returns:
            A ``squall.web.Application``, any `HTTPServerConnectionDelegate`,
            or a ``callback(request)``.

        Raises:
            NotImplementedError: not overridden.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override get_app() to return the application to test"
        )

    def get_http_client(self) -> AsyncHTTPClient:
        """Return the client for ``self.http_client`` (a private instance).

        Returns:
            A new `AsyncHTTPClient` on ``self.io_loop``.
        """
        return AsyncHTTPClient(force_instance=True)

    def get_http_server(self) -> HTTPServer:
        """Return the server for ``self.http_server``.

        Returns:
            An `HTTPServer` for `get_app`'s application, with
            `get_httpserver_options`.
        """
        return HTTPServer(self._app, **self.get_httpserver_options())

    def get_httpserver_options(self) -> dict[str, Any]:
        """Return extra keyword arguments for the `HTTPServer` (none by default).

        Returns:
            A dict, e.g. ``{"xheaders": True}``.
        """
        return {}

    def get_http_port(self) -> int:
        """Return the port the server listens on.

        Returns:
            The port number.
        """
        return self.__port

    def get_protocol(self) -> str:
        """Return the URL scheme of the server, ``"http"``.

        Returns:
            ``"http"`` (``"https"`` in `AsyncHTTPSTestCase`).
        """
        return "http"

    def get_url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on the test server.

        Args:
            path: a path starting with ``/`` (with its query, if any).

        Returns:
            e.g. ``http://127.0.0.1:38291/path``.

        Raises:
            ValueError: ``path`` does not start with ``/``.
        """
        return resolve_url(f"{self.get_protocol()}://127.0.0.1:{self.get_http_port()}", path)

    def fetch(self, path: str, raise_error: bool = False, **kwargs: Any) -> HTTPResponse:
        """Fetch ``path`` from the test server; return the response.

        Synchronous from the test's point of view: it runs ``self.io_loop``
        until the response arrives (or `get_async_test_timeout` expires).
        Do not call it from an ``async`` test; await
        ``self.http_client.fetch(self.get_url(path))`` there.

        Args:
            path: a path on the test server, or an absolute ``http(s)://`` URL.
            raise_error: raise `HTTPClientError` for a 4xx or 5xx answer
                instead of returning it. Failures without an answer (a
                refused connection, a timeout: code 599) always raise.
            **kwargs: `HTTPRequest` arguments (``method``, ``body``,
                ``headers``, ``follow_redirects``...).

        Returns:
            The `HTTPResponse`.

        Raises:
            TimeoutError: no response within the test timeout.
            HTTPClientError: see ``raise_error``.
        """
        __tracebackhide__ = True  # pytest: show the test's frames, not ours
        if self.io_loop.asyncio_loop.is_running():
            raise RuntimeError(
                "self.fetch() runs the loop itself and cannot be used in an async test; "
                "use 'await self.http_client.fetch(self.get_url(path))' there"
            )
        url = path if path.lower().startswith(("http://", "https://")) else self.get_url(path)
        response = self.http_client.fetch(url, raise_error=raise_error, **kwargs)
        return self._run_coroutine(
            _wait(response), get_async_test_timeout(), f"fetch({path!r})", _FETCH_HINT
        )

    def tearDown(self) -> None:
        """Stop the server and client, then do `AsyncTestCase.tearDown`."""
        self.__stop_http()
        super().tearDown()

    def __stop_http(self) -> None:
        if getattr(self, "_AsyncHTTPTestCase__stopped_http", False):
            return
        self.__stopped_http = True
        server = getattr(self, "http_server", None)
        client = getattr(self, "http_client", None)
        if server is not None:
            server.stop()
            loop = self.io_loop.asyncio_loop
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(
                    server.close_all_connections(timeout=get_async_test_timeout())
                )
        if client is not None:
            client.close()


class AsyncHTTPSTestCase(AsyncHTTPTestCase):
    """`AsyncHTTPTestCase` over HTTPS, with a test certificate.

    The server uses the self-signed certificate bundled with
    squall-testing (see `get_ssl_options`), and ``self.http_client`` does
    not verify certificates (``validate_cert=False``), as the server's is
    self-signed.
    """

    def get_http_client(self) -> AsyncHTTPClient:
        """Return a private client that does not verify certificates.

        Returns:
            An `AsyncHTTPClient` with ``defaults={"validate_cert": False}``.
        """
        return AsyncHTTPClient(force_instance=True, defaults={"validate_cert": False})

    def get_httpserver_options(self) -> dict[str, Any]:
        """Return ``{"ssl_options": self.get_ssl_options()}``.

        Returns:
            The server's options.
        """
        return {"ssl_options": self.get_ssl_options()}

    def get_ssl_options(self) -> dict[str, Any]:
        """Return the server's ``ssl_options``: the bundled test certificate and key.

        Override it to use another certificate (an `ssl.SSLContext` is
        accepted too).

        Returns:
            ``{"certfile": ..., "keyfile": ...}``.
        """
        return get_test_ssl_options()

    def get_protocol(self) -> str:
        """Return ``"https"``.

        Returns:
            ``"https"``.
        """
        return "https"


async def _wait(response: Any) -> HTTPResponse:
    result: HTTPResponse = await response
    return result
