"""Matchers: the part of a `Rule` that decides whether a request is its.

A matcher's ``match(request)`` answers ``None`` (not mine) or a dict of
parameters for the target: ``{}`` when there is nothing to pass on,
``{"path_args": [...], "path_kwargs": {...}}`` for a path pattern with groups.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from squall.httputil import HTTPServerRequest

__all__ = [
    "Matcher",
    "AnyMatches",
    "HostMatches",
    "DefaultHostMatches",
    "PathMatches",
    "compile_anchored",
]

_REGEX_SPECIAL = frozenset(".^$*+?{}[]|()")


def compile_anchored(pattern: str | re.Pattern[str], what: str) -> re.Pattern[str]:
    """Compile ``pattern`` with an implied ``$`` at its end.

    Raises:
        TypeError: ``pattern`` is neither a str nor a compiled pattern.
        ValueError: ``pattern`` is not a valid regular expression.
    """
    if isinstance(pattern, re.Pattern):
        pattern = pattern.pattern
    if not isinstance(pattern, str):
        raise TypeError(f"a {what} pattern must be a str, not {type(pattern).__name__}")
    if not pattern.endswith("$"):
        pattern += "$"
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid {what} pattern {pattern!r}: {exc}") from exc


class Matcher:
    """Decides whether a request belongs to a rule.

    Subclasses override `match` and, when they can build a URL back from
    arguments, `reverse`.
    """

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match ``request``.

        Args:
            request: the request being routed.

        Returns:
            ``None`` when the request does not match; otherwise a dict of
            parameters handed to the rule's target (``{}`` for none; a path
            pattern gives ``path_args`` and ``path_kwargs``).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement match()")

    def reverse(self, *args: Any) -> str | None:
        """The URL this matcher matches, built from ``args``; ``None`` if it cannot say."""
        return None


class AnyMatches(Matcher):
    """Matches every request."""

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Always ``{}``."""
        return {}


class HostMatches(Matcher):
    """Matches requests whose host name (no port, lower case) fits a regex.

    Args:
        host_pattern: a regular expression (a ``$`` is implied at its end),
            compared from the start of ``request.host_name``.

    Raises:
        ValueError: ``host_pattern`` is not a valid regular expression.
    """

    def __init__(self, host_pattern: str | re.Pattern[str]) -> None:
        self.host_pattern = compile_anchored(host_pattern, "host")

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """``{}`` if the request's host name matches, else ``None``."""
        if self.host_pattern.match(request.host_name):
            return {}
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host_pattern.pattern!r})"


class _HasDefaultHost(Protocol):
    default_host: str | None


class DefaultHostMatches(Matcher):
    """Matches when the application's ``default_host`` fits a regex.

    This is how a catch-all virtual host is served for requests naming an
    unknown host. Requests carrying an ``X-Real-Ip`` header (they came
    through a proxy, whose host name is authoritative) never match.

    Args:
        application: an object with a ``default_host`` attribute (usually
            the `squall.web.Application`); read at match time.
        host_pattern: a regular expression (a ``$`` is implied at its end).

    Raises:
        ValueError: ``host_pattern`` is not a valid regular expression.
    """

    def __init__(self, application: _HasDefaultHost, host_pattern: str | re.Pattern[str]) -> None:
        self.application = application
        self.host_pattern = compile_anchored(host_pattern, "host")

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """``{}`` if there is no ``X-Real-Ip`` header and the default host matches."""
        if "X-Real-Ip" in request.headers:
            return None
        default_host = self.application.default_host
        if default_host is not None and self.host_pattern.match(default_host):
            return {}
        return None


def _unquote(value: str | None) -> bytes | None:
    if value is None:
        return None
    return urllib.parse.unquote_to_bytes(value)


class PathMatches(Matcher):
    """Matches requests whose path fits a regular expression.

    The pattern must match the whole path (a ``$`` is implied at its end).
    Named groups become ``path_kwargs``; otherwise unnamed groups become
    ``path_args``. Group values are URL-decoded to bytes (``None`` for an
    optional group that did not take part), which is what
    `squall.web.RequestHandler` decodes into its method arguments.

    Args:
        path_pattern: a regular expression, as a str or compiled.

    Attributes:
        regex: the compiled pattern.

    Raises:
        TypeError: ``path_pattern`` is neither a str nor a compiled pattern.
        ValueError: ``path_pattern`` is not a valid regular expression.
    """

    def __init__(self, path_pattern: str | re.Pattern[str]) -> None:
        self.regex = compile_anchored(path_pattern, "URL")
        self._segments, self._group_count = _reverse_template(
            self.regex.pattern, self.regex.groups
        )

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """``None``, or ``{"path_args": [...], "path_kwargs": {...}}``."""
        return self.match_path(request.path)

    def match_path(self, path: str) -> dict[str, Any] | None:
        """`match` for a bare path."""
        m = self.regex.fullmatch(path)
        if m is None:
            return None
        if self.regex.groupindex:
            return {
                "path_args": [],
                "path_kwargs": {k: _unquote(v) for k, v in m.groupdict().items()},
            }
        return {"path_args": [_unquote(g) for g in m.groups()], "path_kwargs": {}}

    @property
    def literal_path(self) -> str | None:
        """The one path this pattern matches when it has no regex syntax, else ``None``."""
        if self._segments is None or self._group_count:
            return None
        return "".join(s for s in self._segments if s is not None)

    def reverse(self, *args: Any) -> str | None:
        """The path with ``args`` (str, bytes or other, URL-quoted) in the groups.

        Returns:
            The path, or ``None`` when the pattern is not simple enough to
            reverse (regex syntax outside plain groups).

        Raises:
            ValueError: the number of arguments differs from the number of groups.
        """
        if self._segments is None:
            return None
        if len(args) != self._group_count:
            raise ValueError(
                f"URL pattern {self.regex.pattern!r} has {self._group_count} groups, "
                f"reverse got {len(args)} arguments"
            )
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
        return f"{type(self).__name__}({self.regex.pattern!r})"


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
