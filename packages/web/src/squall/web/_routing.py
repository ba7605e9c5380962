"""URL specifications and the routing table of an `Application`.

How lookup works: rules are matched in the order they were given, first match
wins (as the spec says). To make the common case cheap, every rule whose
pattern is a plain string (no regex syntax) is entered in a dict keyed by that
exact path; at build time we also find which rule would *really* win for that
path (an earlier regex may match it too) and store the winner with its
already-decoded groups. A request for a literal path is then one dict lookup;
only other paths walk the regex rules.

General rules (`squall.routing.Rule` objects with other matchers, or targets
that are not handler classes: applications, routers, callables, nested rule
lists) make a host's rule list "general": it is then split into runs of URL
specs (each run indexed as above) and general rules, walked in order with the
whole request. An application without general rules never takes that path.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

from squall.routing._matchers import PathMatches
from squall.routing._router import delegate_for_target, is_plain_target, reverse_in_target, to_rule
from squall.routing._rule import Rule
from squall.routing._urlspec import URLSpec, url

if TYPE_CHECKING:
    from squall.httputil import HTTPMessageDelegate, HTTPServerRequest

__all__ = [
    "URLSpec",
    "url",
    "HandlerSpec",
    "HandlerTarget",
    "RouteMatch",
    "HostRules",
    "Router",
]

HandlerSpec = Union[URLSpec, Rule, Sequence[Any]]
"""An item of a handler list: a `URLSpec`, a `Rule` or a tuple."""


class HandlerTarget:
    """A handler class and its ``initialize`` arguments, as target of a general rule."""

    __slots__ = ("_handler", "kwargs")

    def __init__(self, handler: Any, kwargs: dict[str, Any]) -> None:
        self._handler = handler
        self.kwargs = kwargs

    @property
    def handler_class(self) -> Any:
        return self._handler


def _unquote(value: str | None) -> bytes | None:
    if value is None:
        return None
    return urllib.parse.unquote_to_bytes(value)


class RouteMatch:
    """The outcome of a lookup: the spec (or handler target) and its URL-decoded groups."""

    __slots__ = ("spec", "args", "kwargs")

    def __init__(
        self,
        spec: URLSpec | HandlerTarget,
        args: list[bytes | None],
        kwargs: dict[str, bytes | None],
    ) -> None:
        self.spec = spec
        self.args = args
        self.kwargs = kwargs


def _match(spec: URLSpec, path: str) -> RouteMatch | None:
    m = spec.regex.fullmatch(path)
    if m is None:
        return None
    if spec.regex.groupindex:
        return RouteMatch(spec, [], {k: _unquote(v) for k, v in m.groupdict().items()})
    if spec.regex.groups:
        return RouteMatch(spec, [_unquote(g) for g in m.groups()], {})
    return RouteMatch(spec, [], {})


Target = Union[RouteMatch, "HTTPMessageDelegate"]
"""What a general lookup finds: a handler route, or the delegate of another target."""


class HostRules:
    """The rules of one virtual host pattern, with the literal-path index.

    ``specs`` holds every rule in order. While all are `URLSpec` objects
    (``general`` is false) lookups use the literal index and the regex list;
    otherwise ``_chunks`` holds runs of URL specs (as plain `HostRules`) and
    general rules, walked in order by `find_target`.
    """

    __slots__ = (
        "host_pattern",
        "host_regex",
        "specs",
        "general",
        "_literal",
        "_regex_specs",
        "_chunks",
        "_dirty",
    )

    def __init__(self, host_pattern: str) -> None:
        if not host_pattern.endswith("$"):
            host_pattern += "$"
        self.host_pattern = host_pattern
        try:
            self.host_regex = re.compile(host_pattern)
        except re.error as exc:
            raise ValueError(f"invalid host pattern {host_pattern!r}: {exc}") from exc
        self.specs: list[Rule] = []
        self.general = False
        self._literal: dict[str, RouteMatch] = {}
        self._regex_specs: list[URLSpec] = []
        self._chunks: list[HostRules | Rule] = []
        self._dirty = False

    def add(self, spec: Rule) -> None:
        self.specs.append(spec)
        if not isinstance(spec, URLSpec):
            self.general = True
        self._dirty = True

    def _build(self) -> None:
        if self.general:
            self._build_general()
            return
        literal: dict[str, RouteMatch] = {}
        regex_specs: list[URLSpec] = []
        for spec in self.specs:
            assert isinstance(spec, URLSpec)
            path = spec.literal_path
            if path is None:
                regex_specs.append(spec)
            elif path not in literal:
                # The first rule matching this exact path wins; it may be a
                # regex listed earlier.
                for earlier in regex_specs:
                    found = _match(earlier, path)
                    if found is not None:
                        literal[path] = found
                        break
                else:
                    literal[path] = RouteMatch(spec, [], {})
        self._literal = literal
        self._regex_specs = regex_specs
        self._dirty = False

    def _build_general(self) -> None:
        # The literal index and regex list stay empty: a path alone cannot
        # decide a general host's route, so the path-only lookups find nothing.
        chunks: list[HostRules | Rule] = []
        run: HostRules | None = None
        for spec in self.specs:
            if isinstance(spec, URLSpec):
                if run is None:
                    run = HostRules(".*$")
                    chunks.append(run)
                run.add(spec)
            else:
                run = None
                chunks.append(spec)
        self._chunks = chunks
        self._literal = {}
        self._regex_specs = []
        self._dirty = False

    def find(self, path: str) -> RouteMatch | None:
        if self._dirty:
            self._build()
        hit = self._literal.get(path)
        if hit is not None:
            return hit
        for spec in self._regex_specs:
            found = _match(spec, path)
            if found is not None:
                return found
        return None

    def find_target(self, request: HTTPServerRequest) -> Target | None:
        """Route ``request`` through every rule in order (general rules included)."""
        if self._dirty:
            self._build()
        if not self.general:
            return self.find(request.path)
        for chunk in self._chunks:
            if isinstance(chunk, HostRules):
                found: Target | None = chunk.find(request.path)
                if found is not None:
                    return found
                continue
            params = chunk.matcher.match(request)
            if params is None:
                continue
            target = chunk.target
            if isinstance(target, HandlerTarget):
                return RouteMatch(
                    target, params.get("path_args", []), params.get("path_kwargs", {})
                )
            if isinstance(target, HostRules):
                found = target.find_target(request)
            else:
                if chunk.target_kwargs:
                    params["target_kwargs"] = chunk.target_kwargs
                found = delegate_for_target(target, request, params)
            if found is not None:
                return found
        return None


class Router:
    """Virtual hosts, each with its ordered rules; named rules for reversal.

    ``general`` is true once any host holds a general rule (see the module
    docstring); ``reversible`` lists the general rules' targets that may
    know named URLs of their own (routers, applications).
    """

    __slots__ = ("hosts", "named", "default_host", "general", "reversible")

    def __init__(self, default_host: str | None = None) -> None:
        self.hosts: list[HostRules] = []
        self.named: dict[str, Rule] = {}
        self.default_host = default_host
        self.general = False
        self.reversible: list[Any] = []

    def add(self, host_pattern: str, handlers: Sequence[HandlerSpec]) -> None:
        """Add a virtual host's rules.

        Raises:
            TypeError: a rule is malformed or its target is not accepted.
            ValueError: a pattern is not a valid regular expression, or a
                name is used twice.
        """
        rules = HostRules(host_pattern)
        self._fill(rules, handlers)
        # A catch-all host stays last, so later virtual hosts are consulted first.
        if self.hosts and self.hosts[-1].host_pattern == ".*$":
            self.hosts.insert(-1, rules)
        else:
            self.hosts.append(rules)

    def _fill(self, rules: HostRules, handlers: Sequence[HandlerSpec]) -> None:
        if isinstance(handlers, (str, bytes)) or not isinstance(handlers, Sequence):
            raise TypeError(f"handlers must be a list of rules, not {handlers!r}")
        for item in handlers:
            spec = self._to_rule(item)
            rules.add(spec)
            if not isinstance(spec, URLSpec):
                self.general = True
            if spec.name:
                if spec.name in self.named:
                    raise ValueError(f"two URL specs are named {spec.name!r}")
                self.named[spec.name] = spec

    def _to_rule(self, item: HandlerSpec) -> Rule:
        """A `URLSpec` for handler-class rules on a path (the fast kind), else a general rule."""
        if isinstance(item, URLSpec):
            return item
        if isinstance(item, Rule):
            matcher, target = item.matcher, item.target
            if type(matcher) is PathMatches and _is_handler(target):
                return URLSpec(matcher.regex, target, item.target_kwargs, item.name)
            return self._general(item)
        if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
            if isinstance(item[0], (str, re.Pattern)) and _is_handler(item[1]):
                return URLSpec(*item)
            return self._general(to_rule(item))
        raise TypeError(
            "a handler must be a URLSpec, a squall.routing.Rule or a tuple "
            f"(pattern, handler[, kwargs[, name]]), not {item!r}"
        )

    def _general(self, rule: Rule) -> Rule:
        target = rule.target
        if isinstance(target, type) and _is_handler(target):
            # (A str target here is a value a dotted name imported to, not a class.)
            return Rule(rule.matcher, HandlerTarget(target, rule.target_kwargs), None, rule.name)
        if isinstance(target, (list, tuple)):
            nested = HostRules(".*$")
            self._fill(nested, target)
            return Rule(rule.matcher, nested, rule.target_kwargs, rule.name)
        if not is_plain_target(target):
            raise TypeError(
                f"cannot route to {target!r}: a target must be a RequestHandler subclass, "
                "an HTTPServerConnectionDelegate (an Application, a Router, a WSGIContainer), "
                "a callable taking the request, or a list of rules"
            )
        if hasattr(target, "reverse_url"):
            self.reversible.append(target)
        return rule

    def reverse_nested(self, name: str, *args: Any) -> str | None:
        """Ask the general rules' targets (routers, applications) for a named URL."""
        for target in self.reversible:
            found = reverse_in_target(target, name, *args)
            if found is not None:
                return found
        return None

    def find_target(self, request: HTTPServerRequest) -> Target | None:
        """Route ``request`` through hosts and every kind of rule."""
        host_name = request.host_name
        for rules in self.hosts:
            if rules.host_regex.match(host_name):
                found = rules.find_target(request)
                if found is not None:
                    return found
        if self.default_host is not None and "X-Real-Ip" not in request.headers:
            for rules in self.hosts:
                if rules.host_regex.match(self.default_host):
                    found = rules.find_target(request)
                    if found is not None:
                        return found
        return None

    def find_for(self, request: HTTPServerRequest) -> RouteMatch | None:
        """Route ``request`` (its host name and path) through URL specs."""
        hosts = self.hosts
        if len(hosts) == 1:
            rules = hosts[0]
            if rules.host_pattern == ".*$":
                # One catch-all host: the host name is never needed.
                if not rules._dirty:
                    hit = rules._literal.get(request.path)
                    if hit is not None:
                        return hit
                return rules.find(request.path)
        return self.find(
            request.host_name, request.path, lambda: "X-Real-Ip" in request.headers
        )

    def find(
        self, host_name: str, path: str, has_real_ip: Callable[[], bool]
    ) -> RouteMatch | None:
        hosts = self.hosts
        if len(hosts) == 1 and hosts[0].host_pattern == ".*$":
            return hosts[0].find(path)
        for rules in hosts:
            if rules.host_regex.match(host_name):
                found = rules.find(path)
                if found is not None:
                    return found
        if self.default_host is not None and not has_real_ip():
            for rules in hosts:
                if rules.host_regex.match(self.default_host):
                    found = rules.find(path)
                    if found is not None:
                        return found
        return None


def _is_handler(target: object) -> bool:
    """A handler class (or a dotted name, which URL specs import on first use)."""
    if isinstance(target, str):
        return True
    if not isinstance(target, type):
        return False
    from ._handler import RequestHandler

    return issubclass(target, RequestHandler)


def to_spec(item: HandlerSpec) -> URLSpec:
    """Turn a handler tuple ``(pattern, handler[, kwargs[, name]])`` into a `URLSpec`."""
    if isinstance(item, URLSpec):
        return item
    if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
        return URLSpec(*item)
    raise TypeError(
        f"a handler must be a URLSpec or a tuple (pattern, handler[, kwargs[, name]]), not {item!r}"
    )
