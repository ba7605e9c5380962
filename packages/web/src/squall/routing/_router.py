"""Routers: `HTTPServerConnectionDelegate`s that pick a delegate per request.

How a request flows: the server calls `Router.start_request`, which returns a
`_RoutingDelegate`. When the head arrives, it builds the
`~squall.httputil.HTTPServerRequest`, asks `Router.find_handler` for the
delegate that will serve it, hands that delegate the same head, and from then
on forwards the body, the end and a lost connection to it. Nothing is
buffered here; a streaming target still streams.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Union

from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)

from ._matchers import Matcher, PathMatches
from ._rule import Rule

__all__ = [
    "Router",
    "ReversibleRouter",
    "RuleRouter",
    "ReversibleRuleRouter",
    "RuleSpec",
    "delegate_for_target",
    "is_plain_target",
    "reverse_in_target",
    "to_rule",
]

app_log = logging.getLogger("squall.application")

RuleSpec = Union[Rule, Sequence[Any]]
"""A rule as given to a router: a `Rule`, or ``(matcher_or_pattern, target[, target_kwargs[, name]])``."""


class Router(HTTPServerConnectionDelegate):
    """Base of routers: subclasses implement `find_handler`.

    A router is an `~squall.httputil.HTTPServerConnectionDelegate`, so it
    can be given to `squall.httpserver.HTTPServer` or be the target of
    another router's rule.
    """

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> HTTPMessageDelegate | None:
        """Pick the delegate that serves ``request``.

        Args:
            request: the request, with its head (no body yet).
            **kwargs: parameters from an outer router's matcher (e.g.
                ``path_args``), for routers that want them.

        Returns:
            An `~squall.httputil.HTTPMessageDelegate` that will receive the
            head, body and end of the request, or ``None`` (the server then
            answers 404 Not Found).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement find_handler()")

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        """Return the delegate routing one request (called by the server)."""
        return _RoutingDelegate(self, server_conn, request_conn)


class ReversibleRouter(Router):
    """A router that can build URLs back from rule names."""

    def reverse_url(self, name: str, *args: Any) -> str | None:
        """The URL of the rule named ``name``, with ``args`` in its groups.

        Returns:
            The URL, or ``None`` when no rule has that name.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement reverse_url()")


class _RoutingDelegate(HTTPMessageDelegate):
    """Routes on the head, then forwards everything to the chosen delegate."""

    __slots__ = ("router", "server_conn", "request_conn", "delegate")

    def __init__(self, router: Router, server_conn: object, request_conn: HTTPConnection) -> None:
        self.router = router
        self.server_conn = server_conn
        self.request_conn = request_conn
        self.delegate: HTTPMessageDelegate | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        # A server connection only ever passes a RequestStartLine.
        request = HTTPServerRequest(
            connection=self.request_conn,
            server_connection=self.server_conn,
            start_line=start_line,  # type: ignore[arg-type]
            headers=headers,
        )
        delegate = self.router.find_handler(request)
        if delegate is None:
            app_log.debug("no route for %s %s", request.method, request.uri)
            delegate = _NotFoundDelegate(self.request_conn)
        self.delegate = delegate
        return delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        assert self.delegate is not None
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        assert self.delegate is not None
        self.delegate.finish()

    def on_connection_close(self) -> None:
        if self.delegate is not None:
            self.delegate.on_connection_close()


_NOT_FOUND_BODY = b"<html><title>404: Not Found</title><body>404: Not Found</body></html>"


class _NotFoundDelegate(HTTPMessageDelegate):
    """Answers 404 once the request (and any body, discarded) is in."""

    __slots__ = ("connection",)

    def __init__(self, connection: HTTPConnection) -> None:
        self.connection = connection

    def finish(self) -> None:
        headers = HTTPHeaders()
        headers["Content-Type"] = "text/html; charset=UTF-8"
        headers["Content-Length"] = str(len(_NOT_FOUND_BODY))
        self.connection.write_headers(
            ResponseStartLine("HTTP/1.1", 404, "Not Found"), headers, _NOT_FOUND_BODY
        )
        self.connection.finish()


class _CallableTarget(HTTPMessageDelegate):
    """Serves a plain ``callback(request)``: reads the whole body, then calls it."""

    __slots__ = ("callback", "request", "chunks")

    def __init__(self, callback: Callable[[HTTPServerRequest], Any], request: HTTPServerRequest) -> None:
        self.callback = callback
        self.request = request
        self.chunks: list[bytes] = []

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self) -> None:
        request = self.request
        request.body = b"".join(self.chunks)
        self.chunks = []
        request._parse_body()  # an HTTPInputError becomes the server's 400
        result = self.callback(request)
        if result is not None and inspect.isawaitable(result):
            asyncio.ensure_future(result).add_done_callback(_log_failure)

    def on_connection_close(self) -> None:
        self.chunks = []


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        app_log.error("request callback failed", exc_info=future.exception())


def is_plain_target(target: object) -> bool:
    """Whether every router accepts ``target``: a delegate, a callable or a rule list."""
    if isinstance(target, (HTTPServerConnectionDelegate, list, tuple)):
        return True
    if isinstance(target, type):
        return False  # a class (e.g. a handler class) is not a request callable
    return hasattr(target, "start_request") or callable(target)


def delegate_for_target(
    target: Any, request: HTTPServerRequest, target_params: dict[str, Any]
) -> HTTPMessageDelegate | None:
    """The delegate of a router target for ``request`` (see `RuleRouter.get_target_delegate`)."""
    if isinstance(target, Router):
        return target.find_handler(request, **target_params)
    if isinstance(target, HTTPServerConnectionDelegate) or hasattr(target, "start_request"):
        delegate: HTTPMessageDelegate = target.start_request(
            request.server_connection, request.connection
        )
        return delegate
    if callable(target) and not isinstance(target, type):
        return _CallableTarget(target, request)
    return None


def reverse_in_target(target: Any, name: str, *args: Any) -> str | None:
    """Ask a nested target for a named URL: a `ReversibleRouter`, or an object
    offering ``_reverse_url_or_none`` (a `squall.web.Application`)."""
    if isinstance(target, ReversibleRouter):
        return target.reverse_url(name, *args)
    finder = getattr(target, "_reverse_url_or_none", None)
    if finder is not None:
        found: str | None = finder(name, *args)
        return found
    return None


def to_rule(item: RuleSpec) -> Rule:
    """Turn a rule tuple into a `Rule` (a str or compiled pattern becomes `PathMatches`).

    Raises:
        TypeError: ``item`` is neither a `Rule` nor a 2- to 4-item tuple,
            or its first item is neither a `Matcher` nor a pattern.
        ValueError: the pattern is not a valid regular expression.
    """
    if isinstance(item, Rule):
        return item
    if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
        matcher = item[0]
        if isinstance(matcher, (str, re.Pattern)):
            matcher = PathMatches(matcher)
        elif not isinstance(matcher, Matcher):
            raise TypeError(
                f"a rule's first item must be a Matcher or a path pattern, not {matcher!r}"
            )
        return Rule(matcher, *item[1:])
    raise TypeError(
        "a rule must be a Rule or a tuple (matcher_or_pattern, target[, target_kwargs[, name]]), "
        f"not {item!r}"
    )


class RuleRouter(Router):
    """A router trying its rules in order; the first that matches and yields a delegate wins.

    Args:
        rules: `Rule` objects or tuples ``(matcher_or_pattern, target[,
            target_kwargs[, name]])``; a str pattern becomes `PathMatches`.

    Example::

        router = RuleRouter([
            Rule(PathMatches(r"/api/.*"), api_app),
            Rule(HostMatches(r"admin\\.example\\.com"), admin_app),
            (r"/legacy", legacy_callable),
            Rule(AnyMatches(), main_app),
        ])
        HTTPServer(router).listen(8888)

    A target may be an `~squall.httputil.HTTPServerConnectionDelegate`
    (an application, another router, a WSGI container), a callable taking
    the `~squall.httputil.HTTPServerRequest` (called once the whole body is
    in), or a list of rules (a nested router of the same kind). When a nested
    `Router` finds nothing, the next rule is tried.

    Raises:
        TypeError: a rule is malformed or its target is none of the kinds above.
        ValueError: a pattern is not a valid regular expression.
    """

    def __init__(self, rules: Iterable[RuleSpec] | None = None) -> None:
        self.rules: list[Rule] = []
        if rules:
            self.add_rules(rules)

    def add_rules(self, rules: Iterable[RuleSpec]) -> None:
        """Append rules (see the class docstring for their forms).

        Raises:
            TypeError: a rule is malformed or its target is not accepted.
            ValueError: a pattern is not a valid regular expression.
        """
        for item in rules:
            self.rules.append(self.process_rule(to_rule(item)))

    def process_rule(self, rule: Rule) -> Rule:
        """Check or transform a rule before it is added (a hook for subclasses).

        The default turns a list target into a nested router (`nested_router`)
        and rejects targets that are none of the accepted kinds. A subclass
        accepting more kinds of target overrides this and
        `get_target_delegate`.

        Raises:
            TypeError: the target is not accepted.
        """
        target = rule.target
        if isinstance(target, (list, tuple)):
            return Rule(rule.matcher, self.nested_router(target), rule.target_kwargs, rule.name)
        if not is_plain_target(target):
            raise TypeError(
                f"{type(self).__name__} cannot route to {target!r}: a target must be an "
                "HTTPServerConnectionDelegate (an Application, a Router, a WSGIContainer), "
                "a callable taking the request, or a list of rules"
                + (
                    "; RequestHandler subclasses are targets of squall.web.Application only"
                    if isinstance(target, type)
                    else ""
                )
            )
        return rule

    def nested_router(self, rules: Sequence[RuleSpec]) -> Router:
        """The router made for a list target (a `RuleRouter`)."""
        return RuleRouter(rules)

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> HTTPMessageDelegate | None:
        """The delegate of the first rule that matches and yields one, or ``None``."""
        for rule in self.rules:
            params = rule.matcher.match(request)
            if params is None:
                continue
            if rule.target_kwargs:
                params["target_kwargs"] = rule.target_kwargs
            delegate = self.get_target_delegate(rule.target, request, **params)
            if delegate is not None:
                return delegate
        return None

    def get_target_delegate(
        self, target: Any, request: HTTPServerRequest, **target_params: Any
    ) -> HTTPMessageDelegate | None:
        """The delegate of a matched rule's target (a hook for subclasses).

        Args:
            target: the rule's target.
            request: the request being routed.
            **target_params: the matcher's parameters (``path_args``,
                ``path_kwargs``) and the rule's ``target_kwargs``.

        Returns:
            A `Router` target's `find_handler` result; a delegate target's
            ``start_request`` result; for a callable, a delegate that reads
            the body and calls it; ``None`` for anything else.
        """
        return delegate_for_target(target, request, target_params)


class ReversibleRuleRouter(ReversibleRouter, RuleRouter):
    """A `RuleRouter` whose named rules can be reversed with `reverse_url`.

    Raises:
        TypeError: as `RuleRouter`.
        ValueError: as `RuleRouter`, or two rules have the same name.
    """

    def __init__(self, rules: Iterable[RuleSpec] | None = None) -> None:
        self.named_rules: dict[str, Rule] = {}
        super().__init__(rules)

    def process_rule(self, rule: Rule) -> Rule:
        """As `RuleRouter.process_rule`, and record a named rule.

        Raises:
            TypeError: the target is not accepted.
            ValueError: another rule already has this name.
        """
        rule = super().process_rule(rule)
        if rule.name:
            if rule.name in self.named_rules:
                raise ValueError(f"two rules are named {rule.name!r}; names must be unique")
            self.named_rules[rule.name] = rule
        return rule

    def nested_router(self, rules: Sequence[RuleSpec]) -> Router:
        """The router made for a list target (a `ReversibleRuleRouter`)."""
        return ReversibleRuleRouter(rules)

    def reverse_url(self, name: str, *args: Any) -> str | None:
        """The URL of the rule named ``name`` here or in a nested reversible target.

        Returns:
            The URL, or ``None`` when no rule has that name or its matcher
            cannot build one.
        """
        rule = self.named_rules.get(name)
        if rule is not None:
            return rule.reverse(*args)
        for rule in self.rules:
            found = reverse_in_target(rule.target, name, *args)
            if found is not None:
                return found
        return None
