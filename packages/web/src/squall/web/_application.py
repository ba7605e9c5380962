"""`Application`: settings, the routing table, and the per-request dispatcher.

The server calls `Application.start_request` for each request and feeds the
returned `_RequestDispatcher` the headers, body and end of the message. The
dispatcher routes as soon as the headers are in (so a streaming handler can
start early), buffers the body, then creates the handler and runs it.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
    parse_body_arguments,
)

from ._accesslog import AccessRecords
from ._handler import RequestHandler, _log_safe
from ._handlers import ErrorHandler
from ._routing import HandlerSpec, RouteMatch, Router, Target
from ._transforms import GZipContentEncoding, OutputTransform
from ._uimodule import BUILTIN_UI_MODULES, UIModule, load_ui_methods, load_ui_modules

if TYPE_CHECKING:
    from squall.httpserver import HTTPServer
    from squall.template import BaseLoader

__all__ = ["Application"]

access_log = logging.getLogger("squall.access")
app_log = logging.getLogger("squall.application")
_INFO = logging.INFO
_WARNING = logging.WARNING
_ERROR = logging.ERROR
_time = time.time
gen_log = logging.getLogger("squall.general")


class Application(HTTPServerConnectionDelegate):
    """A collection of request handlers that make up a web application.

    Args:
        handlers: tuples ``(pattern, handler_class[, kwargs[, name]])``,
            `URLSpec` objects or `squall.routing.Rule` objects, tried in
            order. A rule's target is usually a `RequestHandler` subclass; it
            may also be another application or router (any
            `~squall.httputil.HTTPServerConnectionDelegate`, e.g. a WSGI
            container), a callable taking the request, or a nested list of
            rules. A rule may match on something other than the path
            (`squall.routing.HostMatches`, your own `squall.routing.Matcher`).
        default_host: the host whose handlers serve requests for unknown
            hosts (see `add_handlers`).
        transforms: `OutputTransform` classes (or factories taking the
            request) applied to every response, in order. The
            ``compress_response`` (legacy ``gzip``) setting adds
            `GZipContentEncoding`.
        **settings: application settings, e.g. ``cookie_secret``,
            ``login_url``, ``xsrf_cookies``, ``template_path``,
            ``autoescape``, ``ui_modules``, ``ui_methods``, ``debug``,
            ``static_path``, ``static_url_prefix``, ``static_handler_class``,
            ``static_handler_args``, ``static_hash_cache``,
            ``compress_response``, ``default_handler_class``,
            ``log_function``.

    Example::

        app = Application([(r"/", MainHandler)], cookie_secret="...")
        app.listen(8888)

    ``debug=True`` turns on ``autoreload`` (when `squall.autoreload` is
    installed), ``serve_traceback`` and turns off the template cache. Debug
    mode is not compatible with the server's multi-process mode.
    """

    def __init__(
        self,
        handlers: Sequence[HandlerSpec] | None = None,
        default_host: str | None = None,
        transforms: Sequence[Callable[[HTTPServerRequest], OutputTransform]] | None = None,
        **settings: Any,
    ) -> None:
        self.settings: dict[str, Any] = settings
        self.default_host = default_host
        self.transforms: list[Callable[[HTTPServerRequest], OutputTransform]] = list(
            transforms or []
        )
        if (settings.get("compress_response") or settings.get("gzip")) and (
            GZipContentEncoding not in self.transforms
        ):
            self.transforms.append(GZipContentEncoding)
        self.ui_modules: dict[str, type[UIModule]] = dict(BUILTIN_UI_MODULES)
        self.ui_methods: dict[str, Callable[..., Any]] = {}
        load_ui_modules(settings.get("ui_modules"), self.ui_modules)
        load_ui_methods(settings.get("ui_methods"), self.ui_methods)
        if settings.get("debug"):
            settings.setdefault("autoreload", True)
            settings.setdefault("compiled_template_cache", False)
            settings.setdefault("static_hash_cache", False)
            settings.setdefault("serve_traceback", True)
        self.wildcard_router = self.router = Router(default_host)
        self._template_loaders: dict[str, BaseLoader] = {}
        self._log_function: Callable[[RequestHandler], None] | None = settings.get(
            "log_function"
        )
        # Read once per request on the hot path; settings are fixed after start-up.
        self._xsrf_cookies = bool(settings.get("xsrf_cookies"))
        default_class = settings.get("default_handler_class")
        self._default_handler: tuple[type[RequestHandler], dict[str, Any]] = (
            (default_class, dict(settings.get("default_handler_args") or {}))
            if default_class is not None
            else (ErrorHandler, {"status_code": 404})
        )
        self.router.add(".*$", list(self._static_handlers()) + list(handlers or []))
        if self.router.general:
            self._use_general_routing()
        if settings.get("autoreload"):
            try:
                from squall import autoreload
            except ImportError:
                gen_log.warning("autoreload requested but squall.autoreload is not installed")
            else:
                autoreload.start()

    def _static_handlers(self) -> list[HandlerSpec]:
        """Routes for the ``static_path`` setting, tried before the app's own.

        ``static_url_prefix`` (default ``/static/``) plus ``/favicon.ico`` and
        ``/robots.txt``, served by ``static_handler_class`` (default
        `StaticFileHandler`) with ``static_handler_args`` and ``path``.
        """
        settings = self.settings
        path = settings.get("static_path")
        if not path:
            return []
        from ._static import StaticFileHandler

        prefix = settings.get("static_url_prefix", "/static/")
        handler_class = settings.get("static_handler_class", StaticFileHandler)
        handler_args = dict(settings.get("static_handler_args") or {})
        handler_args["path"] = path
        return [
            (re.escape(prefix) + r"(.*)", handler_class, handler_args),
            (r"/(favicon\.ico)", handler_class, handler_args),
            (r"/(robots\.txt)", handler_class, handler_args),
        ]

    def listen(
        self,
        port: int,
        address: str | None = "",
        *,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int | None = None,
        flags: int | None = None,
        reuse_port: bool = False,
        **kwargs: Any,
    ) -> HTTPServer:
        """Start an `HTTPServer` for this application on ``port``.

        The socket keywords go to `HTTPServer.listen`; every other keyword
        goes to the `HTTPServer` constructor. For more control (several
        processes, sockets bound elsewhere) create the server yourself.

        Args:
            port: the TCP port (0 picks a free one).
            address: the address to bind (``""`` or ``None`` for all
                interfaces).
            family: ``socket.AF_INET`` or ``AF_INET6`` to bind one family
                only (default: every family ``address`` resolves to).
            backlog: the listen queue length (the server's default if
                ``None``).
            flags: ``getaddrinfo`` flags (e.g. ``socket.AI_NUMERICHOST``).
            reuse_port: set ``SO_REUSEPORT`` so several processes can bind
                the same port.
            **kwargs: `HTTPServer` constructor arguments (``xheaders``,
                ``ssl_options``, ``max_body_size``, ``idle_connection_timeout``...).

        Returns:
            The server, so it can be stopped later.

        Raises:
            TypeError: a keyword is neither a socket option above nor an
                `HTTPServer` argument.
        """
        from squall.httpserver import HTTPServer

        server = HTTPServer(self, **kwargs)
        server.listen(
            port, address, family=family, backlog=backlog, flags=flags, reuse_port=reuse_port
        )
        return server

    def add_handlers(self, host_pattern: str, host_handlers: Sequence[HandlerSpec]) -> None:
        """Add handlers for a virtual host (a regex on the request's host name).

        Hosts are tried in the order added; the catch-all of the
        constructor's handlers is tried last.
        """
        self.router.add(host_pattern, host_handlers)
        if self.router.general:
            self._use_general_routing()

    def _use_general_routing(self) -> None:
        # Rules beyond handler classes on paths (see squall.web._routing)
        # need the whole request and may pick a delegate rather than a
        # handler. Only such an application swaps in the general entry
        # points, as instance attributes: the plain case keeps the class's
        # start_request and its inlined fast path, at no cost per request.
        self.start_request = self._start_general_request  # type: ignore[method-assign]
        if type(self).find_handler is _BASE_FIND_HANDLER:
            self.find_handler = self._find_handler_general  # type: ignore[method-assign]

    def reverse_url(self, name: str, *args: Any) -> str:
        """The path of the rule named ``name``, with ``args`` in its groups.

        Names are looked up in this application's rules (nested rule lists
        included), then in the routers and applications that are targets of
        its rules.

        Raises:
            KeyError: no rule has that name.
            ValueError: the rule cannot be reversed with these arguments.
        """
        spec = self.router.named.get(name)
        if spec is not None:
            path = spec.reverse(*args)
            if path is None:
                raise ValueError(f"the rule named {name!r} cannot build a URL: {spec!r}")
            return path
        path = self.router.reverse_nested(name, *args)
        if path is None:
            raise KeyError(f"{name} not found in named urls")
        return path

    def _reverse_url_or_none(self, name: str, *args: Any) -> str | None:
        """`reverse_url`, with ``None`` for an unknown name (for outer routers)."""
        spec = self.router.named.get(name)
        if spec is not None:
            return spec.reverse(*args)
        return self.router.reverse_nested(name, *args)

    def find_handler(
        self, request: HTTPServerRequest
    ) -> tuple[type[RequestHandler], dict[str, Any], list[bytes | None], dict[str, bytes | None]]:
        """Route ``request``: the handler class, its kwargs, and the path groups."""
        hosts = self.router.hosts
        rules = hosts[0] if len(hosts) == 1 else None
        match: RouteMatch | None
        if rules is not None and not rules._dirty and rules.host_pattern == ".*$":
            # One catch-all host (the usual case): a literal path is one
            # dict lookup, and the host name is never needed.
            match = rules._literal.get(request.path) or rules.find(request.path)
        else:
            match = self.router.find_for(request)
        if match is None:
            cls, kwargs = self._default_handler
            return cls, kwargs, [], {}
        spec = match.spec
        handler_class = spec._handler
        if handler_class.__class__ is str:  # a dotted name, imported on first use
            handler_class = spec.handler_class
        return handler_class, spec.kwargs, match.args, match.kwargs

    # -- HTTPServerConnectionDelegate -------------------------------------

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        """Return the delegate that receives one request (called by the server)."""
        # _RequestDispatcher(self, request_conn, server_conn), without the
        # __init__ frame: this runs for every request.
        dispatcher = _new_dispatcher(_RequestDispatcher)
        dispatcher.application = self
        dispatcher.connection = request_conn
        dispatcher.server_conn = server_conn
        dispatcher.chunks = []
        dispatcher.handler = None
        dispatcher.stream_future = None
        return dispatcher

    def __call__(self, request: HTTPServerRequest) -> Awaitable[None] | None:
        """Handle a complete request (legacy plain-callable style)."""
        dispatcher = _RequestDispatcher(self, request.connection, request.server_connection)
        dispatcher.request = request
        if self.router.general and type(self).find_handler is _BASE_FIND_HANDLER:
            found = self.router.find_target(request)
            if found is not None and found.__class__ is not RouteMatch:
                # Another application, router or callable: replay the request.
                delegate = cast(HTTPMessageDelegate, found)
                start_line = RequestStartLine(
                    request.method or "GET", request.uri or "/", request.version
                )
                delegate.headers_received(start_line, request.headers)
                if request.body:
                    delegate.data_received(request.body)
                delegate.finish()
                return None
            dispatcher._set_route(found)
        else:
            dispatcher._route()
        return dispatcher.execute()

    # -- general routing (applications with squall.routing rules) ---------

    def _start_general_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        return _GeneralDispatcher(self, request_conn, server_conn)

    def _find_handler_general(
        self, request: HTTPServerRequest
    ) -> tuple[type[RequestHandler], dict[str, Any], list[bytes | None], dict[str, bytes | None]]:
        # Application.find_handler for an application with general rules.
        # Compatibility: a rule whose target is not a handler class is
        # reported as the default handler (only the dispatcher can serve it).
        found = self.router.find_target(request)
        match = found if found.__class__ is RouteMatch else None
        if match is None:
            cls, kwargs = self._default_handler
            return cls, kwargs, [], {}
        assert isinstance(match, RouteMatch)
        return match.spec.handler_class, match.spec.kwargs, match.args, match.kwargs

    # -- helpers used by handlers ---------------------------------------

    def _transforms_for(self, request: HTTPServerRequest) -> list[OutputTransform] | None:
        """One instance of each transform class for ``request`` (None if none)."""
        if not self.transforms:
            return None
        return [transform(request) for transform in self.transforms]

    def _template_loader_for(self, handler: RequestHandler, template_path: str) -> BaseLoader:
        loader = self._template_loaders.get(template_path)
        if loader is None:
            loader = self._template_loaders[template_path] = handler.create_template_loader(
                template_path
            )
        elif not self.settings.get("compiled_template_cache", True):
            loader.reset()
        return loader

    def log_request(self, handler: RequestHandler) -> None:
        """Write the access-log line of a finished request.

        Uses the ``log_function`` setting if given; otherwise logs to
        ``squall.access`` at INFO (status < 400), WARNING (< 500) or ERROR.
        Control characters of the URI are escaped.
        """
        if self._log_function is not None:
            self._log_function(handler)
            return
        status = (
            handler._status_code
            if type(handler).get_status is _BASE_GET_STATUS
            else handler.get_status()
        )
        level = _INFO if status < 400 else _WARNING if status < 500 else _ERROR
        logger = access_log
        if not logger.isEnabledFor(level):
            return
        request = handler.request
        uri = request.uri or ""
        if not uri.isprintable():
            uri = _log_safe(uri)
        now = _time()
        if type(request) is HTTPServerRequest:
            # request.remote_ip and request.request_time(), without the
            # first-use lookup of remote_ip (HTTPServerRequest computes it
            # from the connection's context, which is what is read here when
            # nobody has read or set it yet) and with one clock reading.
            fields = request.__dict__
            if "remote_ip" in fields:
                remote_ip = fields["remote_ip"]
            else:
                remote_ip = getattr(getattr(request.connection, "context", None), "remote_ip", None)
            finished = request.finish_time
            elapsed = (now if finished is None else finished) - request.start_time
        else:
            remote_ip = request.remote_ip
            elapsed = request.request_time()
        # What ``logger.log`` does, minus its walk up the stack to find the
        # caller (a good part of the cost of a line, and the caller is
        # known) and with the record made by copying (see _accesslog).
        record = _access_records.make(
            logger,
            level,
            "%d %s %s (%s) %.2fms",
            (status, request.method, uri, remote_ip, 1000.0 * elapsed),
            now,
        )
        if logger.filters or type(logger).handle is not _BASE_LOGGER_HANDLE:
            logger.handle(record)
        else:
            # Logger.handle() for a logger without filters (isEnabledFor
            # above already returned False if it is disabled).
            logger.callHandlers(record)


_BASE_FIND_HANDLER = Application.find_handler
_new_dispatcher = object.__new__
_BASE_GET_STATUS = RequestHandler.get_status
_BASE_LOGGER_HANDLE = logging.Logger.handle

# Access-log records say they come from ``Application.log_request``.
_access_records = AccessRecords(
    Application.log_request.__code__.co_filename,
    Application.log_request.__code__.co_firstlineno,
    "log_request",
)


class _RequestDispatcher(HTTPMessageDelegate):
    """Receives one request from the server and runs its handler."""

    __slots__ = (
        "application",
        "connection",
        "server_conn",
        "request",
        "chunks",
        "handler_class",
        "handler_kwargs",
        "path_args",
        "path_kwargs",
        "handler",
        "stream_future",
    )

    request: HTTPServerRequest
    handler_class: type[RequestHandler]
    handler_kwargs: dict[str, Any]
    path_args: list[bytes | None]
    path_kwargs: dict[str, bytes | None]

    def __init__(
        self, application: Application, connection: HTTPConnection | None, server_conn: object
    ) -> None:
        self.application = application
        self.connection = connection
        self.server_conn = server_conn
        self.chunks: list[bytes] | None = []
        self.handler: RequestHandler | None = None
        self.stream_future: Any = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        # Positional (Tornado's documented order): cheaper than keywords.
        self.request = request = HTTPServerRequest(
            None,
            None,
            "HTTP/1.0",
            headers,
            None,
            None,
            None,
            self.connection,
            start_line,  # type: ignore[arg-type]
            self.server_conn,
        )
        application = self.application
        hosts = application.router.hosts
        if type(application).find_handler is _BASE_FIND_HANDLER and len(hosts) == 1:
            # find_handler(), inlined for one catch-all host (the usual
            # case): a literal path is one dict lookup.
            rules = hosts[0]
            if not rules._dirty and rules.host_pattern == ".*$":
                path = request.path
                match = rules._literal.get(path) or rules.find(path)
                if match is not None:
                    spec = match.spec
                    handler_class: Any = spec._handler
                    if handler_class.__class__ is str:  # a dotted name
                        handler_class = spec.handler_class
                    self.handler_class = handler_class
                    self.handler_kwargs = spec.kwargs
                    self.path_args = match.args
                    self.path_kwargs = match.kwargs
                    if handler_class._stream_request_body:
                        return self._start_streaming()
                    return None
        self._route()
        if self.handler_class._stream_request_body:
            return self._start_streaming()
        return None

    def _set_route(self, match: RouteMatch | None) -> None:
        if match is None:
            self.handler_class, self.handler_kwargs = self.application._default_handler
            self.path_args = []
            self.path_kwargs = {}
            return
        spec = match.spec
        self.handler_class = spec.handler_class
        self.handler_kwargs = spec.kwargs
        self.path_args = match.args
        self.path_kwargs = match.kwargs

    def _route(self) -> None:
        (
            self.handler_class,
            self.handler_kwargs,
            self.path_args,
            self.path_kwargs,
        ) = self.application.find_handler(self.request)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self.handler is not None and self.handler._stream_request_body:
            if self.handler._finished:
                return None
            try:
                result = self.handler.data_received(chunk)
            except Exception as error:
                self.handler._handle_request_exception(error)
                return None
            if result is not None:
                # The server reads no more body until this completes
                # (back-pressure); an error goes to the handler's error page.
                return _guard_body_step(self.handler, result)
            return None
        if self.chunks is not None:
            self.chunks.append(chunk)
        return None

    def finish(self) -> None:
        handler = self.handler
        if handler is not None:
            # Streaming: prepare() already ran; now run the HTTP method.
            if not handler._finished:
                try:
                    handler._run_method()
                except Exception as error:
                    handler._handle_request_exception(error)
            return
        request = self.request
        if self.chunks:
            request.body = b"".join(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
            self.chunks = None
            try:
                parse_body_arguments(
                    request.headers.get("Content-Type", ""),
                    request.body,
                    request.body_arguments,
                    request.files,
                    request.headers,
                )
            except HTTPInputError as error:
                self._reject(error)
                return
            for name, values in request.body_arguments.items():
                request.arguments.setdefault(name, []).extend(values)
        # execute(), inlined: this runs for every request.
        application = self.application
        kwargs = self.handler_kwargs
        try:
            handler = self.handler = (
                self.handler_class(application, request, **kwargs)
                if kwargs
                else self.handler_class(application, request)
            )
        except Exception:
            app_log.error("error creating %s", self.handler_class.__name__, exc_info=True)
            handler = self.handler = ErrorHandler(application, request, status_code=500)
        transforms = application.transforms
        handler._execute(
            [transform(request) for transform in transforms] if transforms else None,
            self.path_args,
            self.path_kwargs,
        )

    def _reject(self, error: HTTPInputError) -> None:
        gen_log.info("malformed request body: %s", error)
        handler = ErrorHandler(self.application, self.request, status_code=error.status_code)
        handler._execute(self.application._transforms_for(self.request), [], {})

    def execute(self) -> Awaitable[None] | None:
        application = self.application
        request = self.request
        try:
            handler = self.handler = self.handler_class(
                application, request, **self.handler_kwargs
            )
        except Exception:
            app_log.error("error creating %s", self.handler_class.__name__, exc_info=True)
            handler = self.handler = ErrorHandler(application, request, status_code=500)
        transforms = application.transforms
        return handler._execute(
            [transform(request) for transform in transforms] if transforms else None,
            self.path_args,
            self.path_kwargs,
        )

    def _start_streaming(self) -> Awaitable[None] | None:
        # prepare() runs now; the method runs in finish() once the body is in.
        # An async prepare() is returned, so the server reads no body until
        # it is done.
        handler = self.handler = self.handler_class(
            self.application, self.request, **self.handler_kwargs
        )
        return handler._execute(
            self.application._transforms_for(self.request), self.path_args, self.path_kwargs, run_method=False
        )

    def on_connection_close(self) -> None:
        if self.handler is not None:
            self.handler._on_connection_lost()
        self.chunks = None


class _GeneralDispatcher(_RequestDispatcher):
    """The dispatcher of an application with general rules.

    Routes through every kind of rule when the head is in: a handler route
    runs as in `_RequestDispatcher`; any other target's delegate gets the
    head and, from then on, the body, the end and a lost connection.
    """

    __slots__ = ("delegate",)

    def __init__(
        self, application: Application, connection: HTTPConnection | None, server_conn: object
    ) -> None:
        super().__init__(application, connection, server_conn)
        self.delegate: HTTPMessageDelegate | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        self.request = request = HTTPServerRequest(
            None,
            None,
            "HTTP/1.0",
            headers,
            None,
            None,
            None,
            self.connection,
            start_line,  # type: ignore[arg-type]
            self.server_conn,
        )
        application = self.application
        found: Target | None
        if type(application).find_handler is _BASE_FIND_HANDLER:
            found = application.router.find_target(request)
        else:
            found = None
            self._route()  # a subclass's own find_handler decides
        if found is not None and found.__class__ is not RouteMatch:
            delegate = self.delegate = cast(HTTPMessageDelegate, found)
            return delegate.headers_received(start_line, headers)
        if found is not None or type(application).find_handler is _BASE_FIND_HANDLER:
            self._set_route(found)
        if self.handler_class._stream_request_body:
            return self._start_streaming()
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        delegate = self.delegate
        if delegate is not None:
            return delegate.data_received(chunk)
        return super().data_received(chunk)

    def finish(self) -> None:
        delegate = self.delegate
        if delegate is not None:
            delegate.finish()
            return
        super().finish()

    def on_connection_close(self) -> None:
        delegate = self.delegate
        if delegate is not None:
            delegate.on_connection_close()
            return
        super().on_connection_close()


async def _guard_body_step(handler: RequestHandler, step: Awaitable[None]) -> None:
    try:
        await step
    except Exception as error:
        handler._handle_request_exception(error)
