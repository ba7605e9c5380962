"""`URLSpec`: a path rule whose target is a request handler class.

`squall.web.Application` indexes URL specs whose pattern is a plain string by
`literal_path`, so the attributes read per request (``_handler``, ``kwargs``)
are plain slots.
"""

from __future__ import annotations

import re
from typing import Any

from ._matchers import PathMatches
from ._rule import Rule, import_object

__all__ = ["URLSpec", "url"]


class URLSpec(Rule):
    """A mapping from a URL pattern to a handler class (a `Rule` with `PathMatches`).

    Args:
        pattern: a regular expression matched against the whole request path
            (a ``$`` is implied at the end). Capturing groups become the
            handler method's positional arguments, named groups its keyword
            arguments; both are URL-decoded.
        handler: a `squall.web.RequestHandler` subclass, or its dotted
            import path (imported on first use).
        kwargs: keyword arguments passed to the handler's ``initialize``.
        name: a name for `squall.web.Application.reverse_url`.

    Attributes:
        regex: the compiled pattern.
        handler_class: the handler class.
        kwargs: the ``initialize`` arguments (the same dict as ``target_kwargs``).
        name: the name given, or ``None``.

    Raises:
        TypeError: ``pattern`` is neither a str nor a compiled pattern.
        ValueError: ``pattern`` is not a valid regular expression.
    """

    __slots__ = ("pattern", "regex", "_handler", "kwargs", "literal_path")

    matcher: PathMatches

    def __init__(
        self,
        pattern: str | re.Pattern[str],
        handler: Any,
        kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        matcher = PathMatches(pattern)
        self.matcher = matcher
        self.regex = matcher.regex
        self.pattern = matcher.regex.pattern
        self._handler = self.target = handler
        self.kwargs = self.target_kwargs = dict(kwargs or {})
        self.name = name
        self.literal_path: str | None = matcher.literal_path

    @property
    def handler_class(self) -> Any:
        """The handler class (a dotted name is imported on first use)."""
        handler = self._handler
        if isinstance(handler, str):
            handler = import_object(handler)
            self._handler = self.target = handler
        return handler

    def reverse(self, *args: Any) -> str:
        """Build the path this spec matches, with ``args`` in its groups.

        Raises:
            ValueError: the pattern is too complex to reverse, or the number
                of arguments differs from its number of groups.
        """
        path = self.matcher.reverse(*args)
        if path is None:
            raise ValueError(f"cannot reverse the URL pattern {self.pattern!r}: it is not simple")
        return path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.pattern!r}, {self._handler!r}, "
            f"kwargs={self.kwargs!r}, name={self.name!r})"
        )


url = URLSpec
"""Alias of `URLSpec`, the spec's spelling in handler lists."""
