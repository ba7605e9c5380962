"""The exceptions of squall.template."""

from __future__ import annotations

__all__ = ["ParseError", "TemplateNotFound"]


class ParseError(Exception):
    """A template could not be compiled.

    Raised for template syntax errors (an unknown directive, a missing
    `{% end %}`, an empty expression), for Python syntax errors inside
    expressions and statements, and for inheritance or include loops. The
    string form names the template and the line, so the message alone is
    enough to find the mistake.

    Args:
        message: What was wrong, and where possible what was expected.
        filename: The template's name, if known.
        lineno: The 1-based line in that template, or 0 if unknown.
    """

    def __init__(self, message: str, filename: str | None = None, lineno: int = 0) -> None:
        super().__init__(message, filename, lineno)
        self.message = message
        self.filename = filename
        self.lineno = lineno

    def __str__(self) -> str:
        if self.filename is None:
            return self.message
        return f"{self.message} at {self.filename}:{self.lineno}"


class TemplateNotFound(ParseError):
    """A loader has no template of the requested name.

    Raised by `BaseLoader.load` and, with the including template's name and
    line, by `{% include %}` and `{% extends %}` directives that name a
    template the loader cannot find.

    Compatibility: Tornado lets the loader's own `OSError` or `KeyError`
    escape; squall raises this `ParseError` subclass, whose message names the
    missing template (`.template_name`).

    Args:
        template_name: The name that could not be found.
        detail: Why, in a few words (for example the path that was tried).
        filename: The template whose directive named it, if any.
        lineno: The line of that directive.
    """

    def __init__(
        self,
        template_name: str,
        detail: str = "",
        filename: str | None = None,
        lineno: int = 0,
    ) -> None:
        message = f"template {template_name!r} not found"
        if detail:
            message += f" ({detail})"
        super().__init__(message, filename, lineno)
        self.template_name = template_name
        self.detail = detail
