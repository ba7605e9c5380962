"""Text to typed values: the conversions behind ``--name=value``.

Each converter takes the text after ``=`` and returns the value, or raises
`ValueError` with a short reason; `_option` turns that into an `Error` that
names the option. Types not listed here are called with the text
(``type(text)``), so any class whose constructor takes one string works.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

#: The longest piece of offending text repeated in an error message.
MAX_SHOWN_TEXT = 100

_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "n", "no", "off"})

#: Formats tried in order for `datetime.datetime` options, before ISO 8601.
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%H:%M:%S",
    "%H:%M",
    "%a %b %d %H:%M:%S %Y",
)

# Unit spellings for timedelta text, all lower case, mapped to the keyword of
# datetime.timedelta. A number without a unit counts as seconds.
_UNITS: dict[str, str] = {}
for _keyword, _spellings in (
    ("weeks", ("w", "wk", "wks", "week", "weeks")),
    ("days", ("d", "day", "days")),
    ("hours", ("h", "hr", "hrs", "hour", "hours")),
    ("minutes", ("m", "min", "mins", "minute", "minutes")),
    ("seconds", ("", "s", "sec", "secs", "second", "seconds")),
    ("milliseconds", ("ms", "msec", "msecs", "millisecond", "milliseconds")),
    ("microseconds", ("us", "\u00b5s", "usec", "usecs", "microsecond", "microseconds")),
):
    for _spelling in _spellings:
        _UNITS[_spelling] = _keyword

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# One "<number> <unit>" piece; pieces may be separated by spaces or commas.
_PIECE = re.compile(r"[\s,]*(" + _NUMBER + r")\s*([a-z\u00b5]*)[\s,]*", re.IGNORECASE)


def cut(text: str) -> str:
    """``text`` cut to `MAX_SHOWN_TEXT` characters (for a value already shown as a repr)."""
    return text if len(text) <= MAX_SHOWN_TEXT else text[:MAX_SHOWN_TEXT] + "..."


def shown(text: str) -> str:
    """``repr`` of ``text``, cut to `MAX_SHOWN_TEXT` characters."""
    if len(text) > MAX_SHOWN_TEXT:
        return repr(text[:MAX_SHOWN_TEXT]) + "..."
    return repr(text)


def parse_bool(text: str) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0``, ``t/f``, ``y/n`` (any case)."""
    folded = text.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError("write true or false (also accepted: yes/no, on/off, 1/0)")


def parse_int(text: str) -> int:
    """A decimal integer (``int(text)``)."""
    return int(text)


def parse_float(text: str) -> float:
    """A decimal number (``float(text)``)."""
    return float(text)


def parse_datetime(text: str) -> datetime.datetime:
    """A date and/or time in one of `DATETIME_FORMATS`, or ISO 8601."""
    stripped = text.strip()
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.datetime.strptime(stripped, fmt)
        except ValueError:
            continue
    try:
        return datetime.datetime.fromisoformat(stripped)
    except ValueError:
        pass
    raise ValueError("write a date and time such as 2024-05-17 13:45:00, 2024-05-17 or 13:45")


def parse_timedelta(text: str) -> datetime.timedelta:
    """A duration such as ``45``, ``45s``, ``1h 30m``, ``2.5 days``, ``500ms``."""
    if not text.strip():
        raise ValueError("the duration is empty")
    total = datetime.timedelta()
    position = 0
    while position < len(text):
        match = _PIECE.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(
                "write a number with an optional unit (w, d, h, m, s, ms, us), e.g. 45s or 1h 30m"
            )
        number, unit = match.group(1), match.group(2).lower()
        if not unit and match.end() < len(text):
            raise ValueError("only the last number may leave out its unit (e.g. 1h 30m 15)")
        keyword = _UNITS.get(unit)
        if keyword is None:
            raise ValueError(f"unknown unit {unit!r} (use w, d, h, m, s, ms or us, or their full names)")
        try:
            total += datetime.timedelta(**{keyword: float(number)})
        except OverflowError:
            raise ValueError("the duration is too large") from None
        position = match.end()
    return total


_CONVERTERS: dict[type, Callable[[str], Any]] = {
    bool: parse_bool,
    int: parse_int,
    float: parse_float,
    str: str,
    datetime.datetime: parse_datetime,
    datetime.timedelta: parse_timedelta,
}

_LABELS: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    datetime.datetime: "a date/time",
    datetime.timedelta: "a duration",
}


def converter(kind: type) -> Callable[[str], Any]:
    """The function that turns text into a value of ``kind``."""
    return _CONVERTERS.get(kind, kind)


def describe(kind: type) -> str:
    """``kind`` in words for error messages: ``"an integer (int)"``."""
    label = _LABELS.get(kind)
    name = type_name(kind)
    return f"{label} ({name})" if label else f"a {name}"


def type_name(kind: type) -> str:
    """The short name of ``kind``: ``int``, ``datetime.timedelta``, ``MyType``."""
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def accepts(kind: type, value: object) -> bool:
    """Whether ``value`` may be stored as is in an option of type ``kind``.

    ``True`` is not an integer here (a flag given to a port is a mistake),
    and an `int` is accepted for a `float` option.
    """
    if isinstance(value, bool) and kind is not bool and kind is not object:
        return False
    if kind is float and isinstance(value, int):
        return True
    return isinstance(value, kind)
