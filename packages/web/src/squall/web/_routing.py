"""URL specifications and the routing table of an `Application`.

How lookup works: rules are matched in the order they were given, first match
wins (as the spec says). To make the common case cheap, every rule whose
pattern is a plain string (no regex syntax) is entered in a dict keyed by that
exact path; at build time we also find which rule would *really* win for that
path (an earlier regex may match it too) and store the winner with its
already-decoded groups. A request for a literal path is then one dict lookup;
only other paths walk the regex rules.
"""

from __future__ import annotations

import importlib
import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from squall.httputil import HTTPServerRequest

    from ._handler import RequestHandler

__all__ = ["URLSpec", "url", "HandlerSpec", "RouteMatch", "HostRules", "Router"]

_REGEX_SPECIAL = frozenset(".^$*+?{}[]|()")


class URLSpec:
    """A mapping from a URL pattern to a handler class.

    Args:
        pattern: a regular expression matched against the whole request path
            (a ``$`` is implied at the end). Capturing groups become the
            handler method's positional arguments, named groups its keyword
            arguments; both are URL-decoded.
        handler: a `RequestHandler` subclass, or its dotted import path.
        kwargs: keyword arguments passed to the handler's ``initialize``.
        name: a name for `Application.reverse_url`.

    Attributes:
        regex: the compiled pattern.
        handler_class: the handler class.
        kwargs: the ``initialize`` arguments.
        name: the name given, or ``None``.
    """

    __slots__ = (
        "pattern",
        "regex",
        "_handler",
        "kwargs",
        "name",
        "_segments",
        "_group_count",
        "literal_path",
    )

    def __init__(
        self,
        pattern: str | re.Pattern[str],
        handler: type[RequestHandler] | str,
        kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(pattern, re.Pattern):
            pattern = pattern.pattern
        if not isinstance(pattern, str):
            raise TypeError(f"a URL pattern must be a str, not {type(pattern).__name__}")
        if not pattern.endswith("$"):
            pattern += "$"
        self.pattern = pattern
        try:
            self.regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid URL pattern {pattern!r}: {exc}") from exc
        self._handler = handler
        self.kwargs = dict(kwargs or {})
        self.name = name
        self._segments, self._group_count = _reverse_template(pattern, self.regex.groups)
        self.literal_path: str | None = None
        if self._segments is not None and self._group_count == 0:
            self.literal_path = "".join(s for s in self._segments if s is not None)

    @property
    def handler_class(self) -> type[RequestHandler]:
        handler = self._handler
        if isinstance(handler, str):
            handler = _import_object(handler)
            self._handler = handler
        return handler

    def reverse(self, *args: Any) -> str:
        """Build the path this spec matches, with ``args`` in its groups.

        Raises:
            ValueError: the pattern is too complex to reverse, or the number
                of arguments differs from its number of groups.
        """
        if self._segments is None:
            raise ValueError(f"cannot reverse the URL pattern {self.pattern!r}: it is not simple")
        if len(args) != self._group_count:
            raise ValueError(
                f"URL pattern {self.pattern!r} has {self._group_count} groups, "
                f"reverse got {len(args)} arguments"
            )
        if not args:
            return "".join(s for s in self._segments if s is not None)
        it = iter(args)
        out = []
        for seg in self._segments:
            if seg is None:
                arg = next(it)
                if isinstance(arg, bytes):
                    arg = arg.decode("utf-8")
                out.append(urllib.parse.quote(str(arg)))
            else:
                out.append(seg)
        return "".join(out)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.pattern!r}, {self._handler!r}, "
            f"kwargs={self.kwargs!r}, name={self.name!r})"
        )


url = URLSpec
"""Alias of `URLSpec`, the spec's spelling in handler lists."""

HandlerSpec = Union[
    URLSpec,
    Sequence[Any],
]


def _import_object(name: str) -> Any:
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        return importlib.import_module(name)
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from exc


def _reverse_template(pattern: str, groups: int) -> tuple[list[str | None] | None, int]:
    """Split a simple pattern into literal text and group slots (``None``).

    Returns ``(None, groups)`` when the pattern uses regex syntax outside its
    groups or nested groups, which cannot be turned back into a path.
    """
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    segments: list[str | None] = []
    literal: list[str] = []
    count = 0
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            if i + 1 >= n or body[i + 1].isalnum():
                return None, groups  # \d, \w, ... are classes, not literals
            literal.append(body[i + 1])
            i += 2
        elif ch == "(":
            depth = 1
            j = i + 1
            if body.startswith("?", j) and not body.startswith("?P<", j):
                return None, groups  # (?:...), lookarounds: not a plain group
            while j < n and depth:
                if body[j] == "\\":
                    j += 2
                    continue
                if body[j] == "(":
                    return None, groups
                if body[j] == ")":
                    depth -= 1
                j += 1
            if depth:
                return None, groups
            if literal:
                segments.append("".join(literal))
                literal = []
            segments.append(None)
            count += 1
            i = j
        elif ch in _REGEX_SPECIAL:
            return None, groups
        else:
            literal.append(ch)
            i += 1
    if literal:
        segments.append("".join(literal))
    if count != groups:
        return None, groups
    return segments, count


def _unquote(value: str | None) -> bytes | None:
    if value is None:
        return None
    return urllib.parse.unquote_to_bytes(value)


class RouteMatch:
    """The outcome of a lookup: the spec and its URL-decoded groups."""

    __slots__ = ("spec", "args", "kwargs")

    def __init__(
        self, spec: URLSpec, args: list[bytes | None], kwargs: dict[str, bytes | None]
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


class HostRules:
    """The rules of one virtual host pattern, with the literal-path index."""

    __slots__ = ("host_pattern", "host_regex", "specs", "_literal", "_regex_specs", "_dirty")

    def __init__(self, host_pattern: str) -> None:
        if not host_pattern.endswith("$"):
            host_pattern += "$"
        self.host_pattern = host_pattern
        self.host_regex = re.compile(host_pattern)
        self.specs: list[URLSpec] = []
        self._literal: dict[str, RouteMatch] = {}
        self._regex_specs: list[URLSpec] = []
        self._dirty = False

    def add(self, spec: URLSpec) -> None:
        self.specs.append(spec)
        self._dirty = True

    def _build(self) -> None:
        literal: dict[str, RouteMatch] = {}
        regex_specs: list[URLSpec] = []
        for spec in self.specs:
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


class Router:
    """Virtual hosts, each with its ordered rules; named specs for reversal."""

    __slots__ = ("hosts", "named", "default_host")

    def __init__(self, default_host: str | None = None) -> None:
        self.hosts: list[HostRules] = []
        self.named: dict[str, URLSpec] = {}
        self.default_host = default_host

    def add(self, host_pattern: str, handlers: Sequence[HandlerSpec]) -> None:
        rules = HostRules(host_pattern)
        # A catch-all host stays last, so later virtual hosts are consulted first.
        if self.hosts and self.hosts[-1].host_pattern == ".*$":
            self.hosts.insert(-1, rules)
        else:
            self.hosts.append(rules)
        for item in handlers:
            spec = to_spec(item)
            rules.add(spec)
            if spec.name:
                if spec.name in self.named:
                    raise ValueError(f"two URL specs are named {spec.name!r}")
                self.named[spec.name] = spec

    def find_for(self, request: HTTPServerRequest) -> RouteMatch | None:
        """Route ``request`` (its host name and path)."""
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


def to_spec(item: HandlerSpec) -> URLSpec:
    """Turn a handler tuple ``(pattern, handler[, kwargs[, name]])`` into a `URLSpec`."""
    if isinstance(item, URLSpec):
        return item
    if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
        return URLSpec(*item)
    raise TypeError(
        f"a handler must be a URLSpec or a tuple (pattern, handler[, kwargs[, name]]), not {item!r}"
    )
