"""One defined option: its type, default, current value and how text becomes a value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _types
from ._errors import Error

#: The most values one ``lo:hi`` range of a multiple int option may expand to.
#: A typo such as ``1:10000000000`` then fails at once instead of exhausting memory.
MAX_RANGE_VALUES = 1_000_000

_UNSET: Any = object()


class _Option:
    """A defined option. Built by `OptionParser.define`; not public API."""

    __slots__ = (
        "name",
        "default",
        "type",
        "help",
        "metavar",
        "multiple",
        "file_name",
        "line",
        "group_name",
        "callback",
        "_value",
    )

    def __init__(
        self,
        name: str,
        *,
        default: Any,
        type: type,
        help: str | None,
        metavar: str | None,
        multiple: bool,
        file_name: str,
        line: int,
        group_name: str,
        callback: Callable[[Any], None] | None,
    ) -> None:
        self.name = name
        self.type = type
        self.help = help
        self.metavar = metavar
        self.multiple = multiple
        self.file_name = file_name
        self.line = line
        self.group_name = group_name
        self.callback = callback
        if default is None and multiple:
            default = []
        self.default = default
        self._value: Any = _UNSET

    @property
    def where(self) -> str:
        """``file:line`` of the definition, for messages."""
        return f"{self.file_name}:{self.line}" if self.file_name else "squall.options"

    def value(self) -> Any:
        """The value set by parsing or assignment, else the default."""
        return self.default if self._value is _UNSET else self._value

    # -- from text ------------------------------------------------------------

    def _convert(self, text: str) -> Any:
        try:
            return _types.converter(self.type)(text)
        except (ValueError, TypeError, OverflowError) as exc:
            reason = str(exc)
            raise Error(
                f"Option {self.name!r} expects {_types.describe(self.type)}, got {_types.shown(text)}"
                + (f": {reason}" if reason else "")
            ) from None

    def _convert_list(self, text: str) -> list[Any]:
        values: list[Any] = []
        if not text.strip():
            return values
        for part in text.split(","):
            part = part.strip()
            if self.type is int and ":" in part[1:]:
                values.extend(self._expand_range(part))
            else:
                values.append(self._convert(part))
        return values

    def _expand_range(self, part: str) -> range:
        # ":" after the first character, so "-3:5" splits after "-3".
        cut = part.index(":", 1)
        low, high = self._convert(part[:cut]), self._convert(part[cut + 1 :])
        if high < low:
            raise Error(
                f"Option {self.name!r}: the range {_types.shown(part)} is empty; write the lower bound first"
            )
        if high - low + 1 > MAX_RANGE_VALUES:
            raise Error(
                f"Option {self.name!r}: the range {_types.shown(part)} has {high - low + 1} values, "
                f"more than the {MAX_RANGE_VALUES} allowed"
            )
        return range(low, high + 1)

    def parse(self, text: str) -> Any:
        """Convert ``text`` (comma-separated when multiple), store it, run the callback.

        Raises:
            Error: the text does not convert to the option's type.
        """
        value = self._convert_list(text) if self.multiple else self._convert(text)
        self._store(value)
        return value

    # -- from Python values ---------------------------------------------------

    def _checked(self, value: Any) -> Any:
        if value is None or _types.accepts(self.type, value):
            if self.type is float and isinstance(value, int):
                return float(value)
            return value
        raise Error(
            f"Option {self.name!r} must be {_types.describe(self.type)}, "
            f"not {type(value).__name__} {_types.cut(repr(value))}"
        )

    def validated(self, value: Any) -> Any:
        """``value`` checked against the option's type (ints become floats for floats).

        Raises:
            Error: the value (or, for a multiple option, an item) has the wrong type.
        """
        if self.multiple:
            if not isinstance(value, (list, tuple)):
                raise Error(
                    f"Option {self.name!r} holds several values: give a list of "
                    f"{_types.type_name(self.type)}, not {type(value).__name__}"
                )
            return [self._checked(item) for item in value]
        return self._checked(value)

    def set(self, value: Any) -> None:
        """Store a Python value after checking its type; run the callback.

        Raises:
            Error: the value (or, for a multiple option, an item) has the wrong type.
        """
        self._store(self.validated(value))

    def set_from_config(self, value: Any) -> None:
        """Store a value read from a config file: text is parsed, the rest checked."""
        if self.multiple and isinstance(value, (list, tuple)) and self.type is not str:
            value = [self._convert(item) if isinstance(item, str) else item for item in value]
        if isinstance(value, str) and (self.type is not str or self.multiple):
            self.parse(value)
        else:
            self.set(value)

    def _store(self, value: Any) -> None:
        self._value = value
        if self.callback is not None:
            self.callback(value)
