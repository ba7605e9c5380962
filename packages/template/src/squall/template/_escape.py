"""The small escaping helpers that every template namespace provides.

squall-template carries its own copies so that it depends on nothing; they
behave like `squall.escape`'s functions of the same names. Each accepts any
value: `str` is used as is, `bytes` is decoded as UTF-8 and anything else is
converted with `str()` first.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

__all__ = [
    "json_encode",
    "squeeze",
    "to_str",
    "url_escape",
    "utf8",
    "wrap_escaper",
    "xhtml_escape",
]


def to_str(value: object) -> str:
    """Returns `value` as an exact `str` (bytes are decoded as UTF-8)."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        # A str subclass: copy to an exact str so that no overridden
        # __str__/__format__ changes what is written.
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    return str(value)


def xhtml_escape(value: object) -> str:
    """Escapes a value for use in HTML or XML text and attribute values.

    Replaces `&`, `<`, `>`, `"` and `'` with character references.

    Args:
        value: The value; `bytes` are decoded as UTF-8 and other non-strings
            are converted with `str()`.

    Returns:
        The escaped text.
    """
    if type(value) is not str:
        if type(value) is int:
            # The decimal form of an int never needs escaping.
            return str(value)
        value = to_str(value)
    # Most values have nothing to escape; five substring tests are much
    # cheaper than five replace() calls that each copy the string.
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return (
            value.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&#x27;")
        )
    return value


def url_escape(value: object, plus: bool = True) -> str:
    """Percent-encodes a value for use in a URL.

    Args:
        value: The value; text is encoded as UTF-8 first.
        plus: If true (the default), spaces become `+` and `/` is encoded
            (query-string style); if false, spaces become `%20` and `/` is
            kept (path style).

    Returns:
        The encoded text.
    """
    data = value if isinstance(value, bytes) else to_str(value).encode("utf-8")
    if plus:
        return urllib.parse.quote_plus(data)
    return urllib.parse.quote(data)


def json_encode(value: Any) -> str:
    """Encodes a value as JSON that is safe to embed in an HTML `<script>`.

    `</` is written as `<\\/` so that a string cannot close the script
    element.

    Args:
        value: Any value `json.dumps` accepts.

    Returns:
        The JSON text.
    """
    return json.dumps(value).replace("</", "<\\/")


_SQUEEZE_RE = re.compile(r"[\x00-\x20]+")


def squeeze(value: object) -> str:
    """Replaces each run of whitespace and control characters with one space.

    Args:
        value: The text.

    Returns:
        The squeezed text, with leading and trailing spaces removed.
    """
    return _SQUEEZE_RE.sub(" ", to_str(value)).strip()


def utf8(value: str | bytes | None) -> bytes | None:
    """Encodes `str` as UTF-8; returns `bytes` and `None` unchanged.

    Args:
        value: The value to encode.

    Returns:
        The bytes, or `None`.

    Raises:
        TypeError: If `value` is neither `str`, `bytes` nor `None`.
    """
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"expected str, bytes or None, got {type(value).__name__}")


def wrap_escaper(func: Callable[..., Any]) -> Callable[[object], str]:
    """Returns `func` adapted to take any value and return an exact `str`.

    The template's own `xhtml_escape` already does both and is returned
    unchanged, which keeps the usual case free of an extra call.
    """
    if func is xhtml_escape:
        return xhtml_escape

    def escaper(value: object) -> str:
        return to_str(func(to_str(value)))

    return escaper


def apply_escape(func: Callable[..., Any], value: object) -> str:
    """Escapes `value` with a user-named escaping function."""
    return to_str(func(to_str(value)))
