"""The `Template` class: compile once, render many times."""

from __future__ import annotations

import datetime
import enum
import inspect
import itertools
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._codegen import describe, generate
from ._errors import ParseError
from ._escape import (
    apply_escape,
    json_encode,
    squeeze,
    to_str,
    url_escape,
    utf8,
    wrap_escaper,
    xhtml_escape,
)
from ._parser import UNSET, ParsedFile, parse
from ._whitespace import WHITESPACE_MODES, default_whitespace

if TYPE_CHECKING:
    from ._loader import BaseLoader

__all__ = ["DEFAULT_AUTOESCAPE", "Template", "Unset"]

DEFAULT_AUTOESCAPE = "xhtml_escape"


class Unset(enum.Enum):
    """The type of the "argument not given" marker of `Template`."""

    UNSET = "unset"


_UNSET = Unset.UNSET

# Each compiled template gets a distinct code file name, so that the
# traceback machinery's line cache never shows one template's generated
# source for another (or for an older version of the same file).
_serial = itertools.count(1)


class _SourceLoader:
    """Gives `linecache` the generated source, for readable tracebacks."""

    __slots__ = ("_source",)

    def __init__(self, source: str) -> None:
        self._source = source

    def get_source(self, name: str) -> str:
        return self._source


_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR | inspect.CO_COROUTINE


def _code_objects(code: types.CodeType) -> set[types.CodeType]:
    found = {code}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _code_objects(const)
    return found


def _decode(template_string: str | bytes, name: str) -> str:
    if isinstance(template_string, str):
        return template_string
    try:
        return template_string.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = template_string.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"template is not valid UTF-8 (byte {exc.start}: {exc.reason}); save it as UTF-8",
            name,
            line,
        ) from None


class Template:
    """A compiled template.

    The source is parsed and compiled to a Python function once, when the
    template is created; `generate` then runs that function.

    Templates are Python: expressions and statements run with the full power
    of the language. They are not a sandbox; never compile a template from
    untrusted input.

    Args:
        template_string: The template source (`bytes` are decoded as UTF-8).
        name: The template's name, used in error messages, to resolve
            relative `{% include %}` and `{% extends %}` paths, and to pick
            the default whitespace mode.
        loader: The `BaseLoader` that loads the templates this one includes
            or extends; it also supplies defaults for `autoescape`,
            `whitespace` and the namespace.
        compress_whitespace: Deprecated spelling of `whitespace`: true means
            `"single"`, false means `"all"`.
        autoescape: The name of the escaping function for `{{ }}`
            expressions, or `None` for no escaping. Defaults to the loader's
            setting, else `"xhtml_escape"`. An `{% autoescape %}` directive
            in the template overrides it.
        whitespace: `"all"`, `"single"` or `"oneline"` (see
            `filter_whitespace`). Defaults to the loader's setting, else
            `"single"` for names ending in `.html` or `.js` and `"all"`
            otherwise.

    Raises:
        ParseError: If the template (or one it includes or extends) has a
            syntax error, a loop of includes or extends, or names a template
            the loader cannot find (`TemplateNotFound`).
        ValueError: If both `whitespace` and `compress_whitespace` are given,
            or `whitespace` is not a known mode.

    Attributes:
        name: The template's name.
        code: The generated Python source, useful when debugging.
        autoescape: The escaping function name in effect, or `None`.
        whitespace: The whitespace mode the template started with.
        namespace: Extra names for every render (the loader's `namespace`).
        loader: The loader, or `None`.
    """

    def __init__(
        self,
        template_string: str | bytes,
        name: str = "<string>",
        loader: BaseLoader | None = None,
        compress_whitespace: bool | Unset = _UNSET,
        autoescape: str | None | Unset = _UNSET,
        whitespace: str | None = None,
    ) -> None:
        self.name = name
        if compress_whitespace is not _UNSET:
            if whitespace is not None:
                raise ValueError("cannot set both whitespace and compress_whitespace; use whitespace")
            whitespace = "single" if compress_whitespace else "all"
        if whitespace is None:
            if loader is not None and loader.whitespace is not None:
                whitespace = loader.whitespace
            else:
                whitespace = default_whitespace(name)
        if whitespace not in WHITESPACE_MODES:
            raise ValueError(
                f"invalid whitespace mode {whitespace!r}; expected 'all', 'single' or 'oneline'"
            )
        self.whitespace: str = whitespace
        if not isinstance(autoescape, Unset):
            self.autoescape: str | None = autoescape
        elif loader is not None:
            self.autoescape = loader.autoescape
        else:
            self.autoescape = DEFAULT_AUTOESCAPE
        self.loader = loader
        self.namespace: dict[str, Any] = loader.namespace if loader is not None else {}
        self.file: ParsedFile = parse(_decode(template_string, name), name, whitespace)
        if self.file.autoescape != UNSET:
            self.autoescape = self.file.autoescape
        self.code, self._locations = generate(self)
        self._filename = f"{name}.generated-{next(_serial)}.py"
        self.compiled = self._compile()
        execute = next(c for c in self.compiled.co_consts if isinstance(c, types.CodeType))
        self._execute: types.CodeType = execute
        self._own_code = _code_objects(execute)
        self._defaults: dict[str, Any] = {
            "escape": xhtml_escape,
            "xhtml_escape": xhtml_escape,
            "url_escape": url_escape,
            "json_encode": json_encode,
            "squeeze": squeeze,
            "datetime": datetime,
            "_tt_utf8": utf8,
            "_tt_string_types": (str, bytes),
            "_tt_to_str": to_str,
            "_tt_escaper": wrap_escaper,
            "_tt_apply_escape": apply_escape,
            "__name__": self._filename[:-3],
            "__loader__": _SourceLoader(self.code),
        }

    def _compile(self) -> types.CodeType:
        source = self.code
        if "\x00" in source:
            raise self._error_at(
                source.count("\n", 0, source.index("\x00")) + 1,
                "NUL character in the Python code of a template tag",
            )
        try:
            compiled = compile(source, self._filename, "exec", dont_inherit=True)
        except SyntaxError as exc:
            detail = exc.msg
            if exc.text:
                detail += f" (in generated code: {exc.text.strip()})"
            raise self._error_at(exc.lineno, f"invalid Python syntax: {detail}") from None
        except UnicodeEncodeError as exc:
            # A lone surrogate in a tag's code cannot be compiled.
            raise self._error_at(
                source.count("\n", 0, exc.start) + 1,
                f"invalid character {source[exc.start]!r} in the Python code of a template tag",
            ) from None
        except (RecursionError, MemoryError):
            raise ParseError(
                "Python code in a template tag is too deeply nested to compile", self.name
            ) from None
        for code in _code_objects(compiled):
            if code.co_flags & _GENERATOR_FLAGS:
                raise self._error_at(
                    source.count("\n", 0, source.find("yield")) + 1,
                    "yield is not allowed in a template (it would make the render a generator)",
                )
        return compiled

    def _error_at(self, code_line: int | None, message: str) -> ParseError:
        """A ParseError located at the template line of generated `code_line`."""
        # Python reports a line of the generated code; clamp defensively.
        index = min(max(code_line or 1, 1), len(self._locations)) - 1
        # An error found only at the closing lines (an unclosed bracket, a
        # trailing backslash) belongs to the last template line before them.
        while index > 0 and self._locations[index][1] == 0:
            index -= 1
        name, line, chain = self._locations[index]
        return ParseError(message + chain, name, line)

    def generate(self, **kwargs: Any) -> bytes:
        """Renders the template.

        Args:
            **kwargs: Names for the template's expressions and statements, on
                top of the standard namespace and the loader's `namespace`.

        Returns:
            The output, encoded as UTF-8.

        Raises:
            Exception: Whatever the template's code raises. The exception
                gets a note naming the template file and line that failed.
        """
        namespace = self._defaults.copy()
        namespace.update(self.namespace)
        namespace.update(kwargs)
        execute = types.FunctionType(self._execute, namespace)
        try:
            result: bytes = execute()
        except Exception as exc:
            self._annotate(exc)
            raise
        return result

    def _annotate(self, exc: BaseException) -> None:
        # The innermost frame running this template's code is the failing line
        # (the execute function always is in the traceback).
        line = 0
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in self._own_code:
                line = tb.tb_lineno
            tb = tb.tb_next
        note = f"in {describe(self._locations[line - 1])}"
        notes = getattr(exc, "__notes__", None)
        if notes is None:
            notes = []
            exc.__notes__ = notes  # type: ignore[attr-defined]  # add_note is 3.11+
        notes.append(note)

    def __repr__(self) -> str:
        return f"<Template {self.name!r}>"

