"""The squall pytest plugin, active once squall-testing is installed.

It is registered through the ``pytest11`` entry point, so there is nothing to
configure. It provides:

* ``async def`` tests run on the test's `IOLoop` (the ``io_loop`` fixture),
  with a timeout (the ``squall_timeout(seconds)`` marker, else
  `squall.testing.get_async_test_timeout`). Tests that another async plugin
  handles (marked ``asyncio``, ``anyio`` or ``trio``, or using
  ``anyio_backend``) are left to it.
* fixtures: ``io_loop``, ``unused_port``, and, for an ``app`` fixture that
  you define, ``http_server``, ``http_port``, ``base_url``, ``http_client``
  ``fetch`` and ``raw_request``; ``http_server_options`` and ``http_client_options`` (``{}``)
  to override; ``serve`` to start more servers in one test.

Errors logged by callbacks on the test's loop fail the test, and tasks or
callbacks left running when it ends are cancelled and reported as a
`squall.testing.LeakWarning`, as in `squall.testing.AsyncTestCase`. To make
leaks fail tests instead: ``squall_leaks = error`` in pytest's ini
configuration (all tests), a ``squall_leaks`` fixture returning ``"error"``
in a ``conftest.py`` (one directory), or ``@pytest.mark.squall_leaks("error")``
(a module through ``pytestmark``, a class or a test; it wins over the other
two, and ``"warn"`` relaxes one test).
"""

from __future__ import annotations

import asyncio
import inspect
import unittest
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from squall.ioloop import IOLoop

from ._errors import LoopErrorLog, check_leak_policy, leak_policy, warn_leaks
from ._fetch import Fetch
from ._ports import bind_unused_port
from ._raw import RawRequest, insecure_client_context
from ._run import finish_loop, run_with_timeout
from ._shared import close_shared_client
from ._timeout import check_timeout, get_async_test_timeout

if TYPE_CHECKING:
    from squall.httpclient import AsyncHTTPClient
    from squall.httpserver import HTTPServer

__all__ = [
    "app",
    "base_url",
    "fetch",
    "http_client",
    "http_client_options",
    "http_port",
    "http_server",
    "http_server_options",
    "io_loop",
    "raw_request",
    "serve",
    "squall_leaks",
    "unused_port",
]

_ERRORS = pytest.StashKey[LoopErrorLog]()
_PORT = pytest.StashKey[int]()
_HINT = "set by @pytest.mark.squall_timeout(seconds) or the ASYNC_TEST_TIMEOUT environment variable"
# Markers (and a fixture) by which other plugins claim an async test.
_FOREIGN_MARKERS = ("asyncio", "anyio", "trio")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "squall_leaks",
        "what squall's plugin does when a test leaves tasks or timers on its event loop: "
        "'warn' (a LeakWarning, the default) or 'error' (the test fails)",
        default="warn",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "squall_timeout(seconds): time limit of an async test run by squall's pytest plugin "
        "(default: the ASYNC_TEST_TIMEOUT environment variable, else 5 seconds)",
    )
    config.addinivalue_line(
        "markers",
        "squall_leaks(policy): 'error' fails the test when it leaves tasks or timers on its "
        "event loop, 'warn' reports them as a LeakWarning (default: the squall_leaks fixture, "
        "else the squall_leaks ini option)",
    )
    try:
        check_leak_policy(_ini_leak_policy(config), source="the squall_leaks ini option")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _ini_leak_policy(config: pytest.Config) -> object:
    value = config.getini("squall_leaks")
    return value.strip() if isinstance(value, str) else value


def _leak_policy_of(item: pytest.Item, default: object) -> str:
    """The marker's policy when the test has one, else ``default`` (checked)."""
    marker = item.get_closest_marker("squall_leaks")
    if marker is None:
        return check_leak_policy(default, source="the squall_leaks fixture")
    values = list(marker.args) + [v for k, v in marker.kwargs.items() if k == "policy"]
    if len(values) != 1 or set(marker.kwargs) - {"policy"}:
        raise TypeError(
            "use the marker as @pytest.mark.squall_leaks(policy), with 'warn' or 'error'; "
            f"got args={marker.args!r} kwargs={marker.kwargs!r}"
        )
    return check_leak_policy(values[0], source="the squall_leaks marker")


def _claimed_by_squall(item: pytest.Item) -> bool:
    """Whether this plugin runs ``item``: an ``async def`` test nobody else claims."""
    if not isinstance(item, pytest.Function):
        return False
    if item.cls is not None and issubclass(item.cls, unittest.TestCase):
        return False  # unittest runs those (AsyncTestCase + gen_test)
    if not inspect.iscoroutinefunction(item.obj):
        return False
    if any(item.get_closest_marker(name) is not None for name in _FOREIGN_MARKERS):
        return False
    return "anyio_backend" not in item.fixturenames


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and _claimed_by_squall(item)
            and "io_loop" not in item.fixturenames
        ):
            # First, so that the loop is current before the test's other
            # function-scoped fixtures are set up.
            item.fixturenames.insert(0, "io_loop")


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("squall_timeout")
    if marker is None:
        return get_async_test_timeout()
    values = list(marker.args) + [v for k, v in marker.kwargs.items() if k == "seconds"]
    if len(values) != 1 or set(marker.kwargs) - {"seconds"}:
        raise TypeError(
            "use the marker as @pytest.mark.squall_timeout(seconds), e.g. "
            f"@pytest.mark.squall_timeout(10); got args={marker.args!r} kwargs={marker.kwargs!r}"
        )
    return check_timeout(values[0], source="the squall_timeout marker")


def _asyncio_loop(loop: object) -> asyncio.AbstractEventLoop:
    if isinstance(loop, IOLoop):
        return loop.asyncio_loop
    if isinstance(loop, asyncio.AbstractEventLoop):
        return loop
    raise TypeError(
        f"the io_loop fixture must give an IOLoop or an asyncio loop, not {type(loop).__name__}"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not _claimed_by_squall(pyfuncitem):
        return None
    __tracebackhide__ = True  # pytest: show the test's frames, not ours
    if "io_loop" in pyfuncitem.funcargs:
        io_loop = pyfuncitem.funcargs["io_loop"]
    else:  # an item made after collection: ask for the fixture now
        io_loop = pyfuncitem._request.getfixturevalue("io_loop")
    loop = _asyncio_loop(io_loop)
    timeout = _timeout_of(pyfuncitem)
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    errors = pyfuncitem.stash.get(_ERRORS, None)
    own_errors = errors is None
    if errors is None:  # an io_loop fixture that is not this plugin's
        errors = LoopErrorLog()
        errors.install()
    try:
        result = run_with_timeout(
            loop,
            pyfuncitem.obj(**kwargs),
            timeout,
            label=pyfuncitem.nodeid,
            hint=_HINT,
            errors=errors,
        )
    finally:
        if own_errors:
            errors.uninstall()
    if result is not None:
        raise TypeError(f"{pyfuncitem.nodeid} returned {result!r}; a test should return None")
    return True


@pytest.fixture
def squall_leaks(request: pytest.FixtureRequest) -> str:
    """What to do when a test leaves work on its loop: ``"warn"`` or ``"error"``.

    It returns the ``squall_leaks`` ini option (``"warn"`` unless set).
    Override it in a ``conftest.py`` to make leaks fail the tests of one
    directory; a ``@pytest.mark.squall_leaks(...)`` marker on a test, class
    or module (``pytestmark``) takes precedence over it.
    """
    return check_leak_policy(_ini_leak_policy(request.config), source="the squall_leaks ini option")


@pytest.fixture(autouse=True)
def _squall_leak_policy(request: pytest.FixtureRequest, squall_leaks: str) -> Iterator[None]:
    """Make the test's leak policy current (for AsyncTestCase, which reports its own)."""
    token = leak_policy.set(_leak_policy_of(request.node, squall_leaks))
    try:
        yield
    finally:
        leak_policy.reset(token)


@pytest.fixture
def io_loop(request: pytest.FixtureRequest, squall_leaks: str) -> Iterator[IOLoop]:
    """A fresh `IOLoop` (and asyncio loop), current during the test.

    At the end of the test, tasks still running and callbacks still
    scheduled are cancelled and reported as a `LeakWarning` (raised, so
    that the test fails, when its leak policy is ``"error"``: see the
    ``squall_leaks`` fixture), the loop is closed, and an error logged by a
    callback on it fails the test.
    """
    policy = _leak_policy_of(request.node, squall_leaks)
    loop = IOLoop(make_current=True)
    errors = LoopErrorLog()
    errors.install()
    request.node.stash[_ERRORS] = errors
    leaks: list[str] = []
    try:
        yield loop
    finally:
        try:
            if not loop.asyncio_loop.is_closed() and not loop.asyncio_loop.is_running():
                try:
                    close_shared_client(loop)
                    leaks = finish_loop(loop.asyncio_loop)
                finally:
                    loop.close(all_fds=True)
        finally:
            IOLoop.clear_current()
            asyncio.set_event_loop(None)
            errors.uninstall()
            del request.node.stash[_ERRORS]
    error = errors.pop_error()
    if error is not None:
        # The callback error fails the test and says more than the leftovers:
        # they go in a note, not in a warning that an error filter would raise.
        if leaks:
            add_note = getattr(error, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note("the test also left work on its event loop:\n  " + "\n  ".join(leaks))
        raise error
    if leaks:
        warn_leaks(request.node.nodeid, leaks, getattr(request.node, "obj", None), policy)


@pytest.fixture
def unused_port() -> int:
    """A TCP port on 127.0.0.1 that was free when the fixture ran.

    Prefer ``http_server`` (or `squall.testing.bind_unused_port`, which
    keeps the socket open) where possible: another process may take a
    free port before the test binds it.
    """
    sock, port = bind_unused_port()
    sock.close()
    return port


@pytest.fixture
def http_server_options() -> dict[str, Any]:
    """Keyword arguments for the ``http_server`` fixture's `HTTPServer` (``{}``).

    Override it to test with other settings, e.g.
    ``{"xheaders": True}`` or ``{"ssl_options": ...}`` (then ``base_url``
    is ``https://`` and ``fetch`` does not verify the certificate).
    """
    return {}


class _NoApp:
    """What the plugin's ``app`` fixture gives: no application was defined."""

    def __repr__(self) -> str:
        return "<no app fixture defined>"


_NO_APP = _NoApp()


@pytest.fixture
def app() -> Any:
    """The application to serve: **define this fixture yourself**.

    Return a ``squall.web.Application``, an `HTTPServerConnectionDelegate`
    or a ``callback(request)`` from an ``app`` fixture in your test module
    or ``conftest.py`` (or parametrize ``app``). The plugin's own stands for
    "none": ``http_server`` then fails with a message saying so, while
    ``fetch`` of absolute URLs works without one.
    """
    return _NO_APP


@pytest.fixture
def http_server(
    request: pytest.FixtureRequest,
    io_loop: IOLoop,
    app: Any,
    http_server_options: dict[str, Any],
) -> Iterator[HTTPServer]:
    """An `HTTPServer` serving the ``app`` fixture on 127.0.0.1 on the test's loop.

    Define ``app`` (a ``squall.web.Application``, an
    `HTTPServerConnectionDelegate` or a ``callback(request)``) in your test
    module or ``conftest.py``. The server stops at the end of the test,
    after the requests in flight finish.

    Raises:
        LookupError: no ``app`` fixture is defined.
    """
    if app is _NO_APP:
        raise LookupError(
            f"{request.node.nodeid} needs the http_server fixture (through fetch of a path, "
            "raw_request, http_port or base_url), which serves your 'app' fixture, and there "
            "is none: define an 'app' fixture (in the test module or a conftest.py) returning "
            "the application; fetch() also takes an absolute URL (http://127.0.0.1:<port>/path), "
            "which needs no app"
        )
    server, port = _start_server(app, http_server_options)
    request.node.stash[_PORT] = port
    try:
        yield server
    finally:
        _stop_server(io_loop, server)


def _start_server(app: Any, options: dict[str, Any]) -> tuple[HTTPServer, int]:
    from squall.httpserver import HTTPServer

    sock, port = bind_unused_port()
    try:
        server = HTTPServer(app, **options)
        server.add_sockets([sock])
    except BaseException:
        sock.close()
        raise
    return server, port


def _stop_server(io_loop: IOLoop, server: HTTPServer) -> None:
    server.stop()
    loop = io_loop.asyncio_loop
    if not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(server.close_all_connections(timeout=get_async_test_timeout()))


@pytest.fixture
def http_port(request: pytest.FixtureRequest, http_server: HTTPServer) -> int:
    """The port of the ``http_server`` fixture."""
    port: int = request.node.stash[_PORT]
    return port


@pytest.fixture
def base_url(http_port: int, http_server_options: dict[str, Any]) -> str:
    """``http://127.0.0.1:<port>`` of the ``http_server`` fixture (``https`` with TLS)."""
    scheme = "https" if http_server_options.get("ssl_options") is not None else "http"
    return f"{scheme}://127.0.0.1:{http_port}"


@pytest.fixture
def http_client_options() -> dict[str, Any]:
    """Keyword arguments for the ``http_client`` fixture's `AsyncHTTPClient` (``{}``).

    Override it for other client settings, e.g. ``{"max_body_size": 2**30}``
    to fetch a body over the default limit (100 MiB), or
    ``{"defaults": {"request_timeout": 60}}``. ``fetch`` and ``serve`` use
    that client too.
    """
    return {}


@pytest.fixture
def http_client(
    io_loop: IOLoop, http_client_options: dict[str, Any]
) -> Iterator[AsyncHTTPClient]:
    """An `AsyncHTTPClient` of its own, on the test's loop, closed after the test.

    It is built with ``http_client_options`` (``max_body_size``,
    ``max_clients``, ``defaults``...).
    """
    from squall.httpclient import AsyncHTTPClient

    if not isinstance(http_client_options, dict):
        raise TypeError(
            "the http_client_options fixture must return a dict of AsyncHTTPClient "
            f"arguments, not {type(http_client_options).__name__}"
        )
    client = AsyncHTTPClient(force_instance=True, **http_client_options)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def fetch(
    request: pytest.FixtureRequest,
    io_loop: IOLoop,
    http_client: AsyncHTTPClient,
    app: Any,
    http_server_options: dict[str, Any],
) -> Fetch:
    """Fetch a path from the ``http_server`` fixture: ``await fetch("/path", **kwargs)``.

    The keyword arguments are those of ``AsyncHTTPClient.fetch`` (``method``,
    ``body``, ``headers``...). The response is the application's answer as
    it is: a 4xx or 5xx answer is returned, not raised, unless
    ``raise_error=True``; redirects are not followed unless
    ``follow_redirects=True``; a compressed body stays compressed unless
    ``decompress_response=True``. Called from a plain (not ``async``) test,
    ``fetch`` runs the loop itself and returns the response directly.

    An absolute URL (``http://127.0.0.1:8001/x``) is fetched as it is, with
    the same defaults, and needs no ``app`` fixture: ``http_server`` starts
    only when a path (or ``fetch.port``, ``fetch.base_url``) needs it.
    """
    # ``app`` and ``http_server_options`` are parameters so that a test may
    # parametrize them (pytest wants them in the fixture closure); the
    # server itself starts on first use.

    def start_server() -> str:
        url: str = request.getfixturevalue("base_url")
        return url

    return Fetch(
        io_loop,
        http_client,
        start_server,
        timeout=_timeout_of(request.node),
        hint=_HINT,
        errors=request.node.stash.get(_ERRORS, None),
    )


@pytest.fixture
def raw_request(
    request: pytest.FixtureRequest,
    io_loop: IOLoop,
    http_port: int,
    http_server_options: dict[str, Any],
) -> RawRequest:
    """Send raw bytes to the ``http_server`` fixture: ``await raw_request(data)``.

    Opens a new connection, sends ``data`` as it is and returns the bytes
    of the answer: one whole HTTP/1.1 response (by its framing), or all
    until the server closes the connection with ``until_close=True``. The
    exchange is bounded by ``timeout`` (default: half the test's timeout);
    on expiry it fails with a `squall.testing.ResponseTimeoutError` showing
    what arrived. Over TLS when ``http_server_options`` has ``ssl_options``
    (the certificate is not verified). Called from a plain (not ``async``)
    test, it runs the loop itself and returns the bytes directly. See
    `squall.testing.raw_exchange`, which it calls.
    """
    tls = http_server_options.get("ssl_options") is not None
    return RawRequest(
        io_loop,
        http_port,
        ssl=insecure_client_context() if tls else None,
        timeout=_timeout_of(request.node),
        hint=_HINT,
        errors=request.node.stash.get(_ERRORS, None),
    )


@pytest.fixture
def serve(
    request: pytest.FixtureRequest, io_loop: IOLoop, http_client: AsyncHTTPClient
) -> Iterator[Callable[..., Fetch]]:
    """Serve more applications in one test: ``fetch = serve(app, **server_options)``.

    Each call starts an `HTTPServer` for ``app`` on a free port of
    127.0.0.1 (``server_options`` as for `HTTPServer`) and returns a
    ``fetch`` function for it, like the ``fetch`` fixture, with ``.port``
    and ``.base_url`` attributes. The servers stop at the end of the test.
    """
    servers: list[HTTPServer] = []
    timeout = _timeout_of(request.node)
    errors = request.node.stash.get(_ERRORS, None)

    def start(app: Any, **server_options: Any) -> Fetch:
        server, port = _start_server(app, server_options)
        servers.append(server)
        scheme = "https" if server_options.get("ssl_options") is not None else "http"
        return Fetch(
            io_loop,
            http_client,
            f"{scheme}://127.0.0.1:{port}",
            timeout=timeout,
            hint=_HINT,
            errors=errors,
        )

    try:
        yield start
    finally:
        for server in servers:
            _stop_server(io_loop, server)
