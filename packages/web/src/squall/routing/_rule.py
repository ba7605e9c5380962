"""`Rule`: a matcher, a target, the target's keyword arguments and a name."""

from __future__ import annotations

import importlib
from typing import Any

from ._matchers import Matcher

__all__ = ["Rule", "import_object"]


def import_object(name: str) -> Any:
    """Import a dotted name: ``"package.module.attribute"`` or a module.

    Raises:
        ImportError: the module cannot be imported or lacks the attribute.
    """
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        return importlib.import_module(name)
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from exc


class Rule:
    """A routing rule: when ``matcher`` matches a request, ``target`` serves it.

    Args:
        matcher: a `Matcher` (e.g. `PathMatches`, `HostMatches`).
        target: what serves matching requests: an
            `~squall.httputil.HTTPServerConnectionDelegate` (an
            `squall.web.Application`, a `Router`, a WSGI container), a
            callable taking an `~squall.httputil.HTTPServerRequest`, a list
            of rules (a nested router), or, inside an
            `squall.web.Application`, a `squall.web.RequestHandler`
            subclass. A dotted name (``"package.module.Name"``) is imported.
        target_kwargs: keyword arguments for the target (a handler's
            ``initialize`` arguments).
        name: a name for ``reverse_url``.

    Raises:
        TypeError: ``matcher`` is not a `Matcher`.
    """

    __slots__ = ("matcher", "target", "target_kwargs", "name")

    matcher: Matcher
    target: Any
    target_kwargs: dict[str, Any]
    name: str | None

    def __init__(
        self,
        matcher: Matcher,
        target: Any,
        target_kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        if not isinstance(matcher, Matcher):
            raise TypeError(
                f"a Rule's matcher must be a squall.routing.Matcher (e.g. PathMatches), "
                f"not {matcher!r}"
            )
        if isinstance(target, str):
            target = import_object(target)
        self.matcher = matcher
        self.target = target
        self.target_kwargs = dict(target_kwargs or {})
        self.name = name

    def reverse(self, *args: Any) -> str | None:
        """The URL of this rule built from ``args`` (asks the matcher); ``None`` if unknown."""
        return self.matcher.reverse(*args)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.matcher!r}, {self.target!r}, "
            f"kwargs={self.target_kwargs!r}, name={self.name!r})"
        )
