"""Conversions between ``str`` and ``bytes``, and small string helpers.

These functions sit on the request hot path, so each checks the most common
input type first and does no work it does not need.
"""

from __future__ import annotations

import re
from typing import Any, overload

__all__ = [
    "native_str",
    "recursive_unicode",
    "squeeze",
    "to_basestring",
    "to_unicode",
    "utf8",
]


def _type_error(value: object) -> TypeError:
    return TypeError(
        f"expected str, bytes or None, got {type(value).__name__}; "
        "convert the value to str (or bytes) first"
    )


@overload
def utf8(value: None) -> None: ...
@overload
def utf8(value: str | bytes) -> bytes: ...
def utf8(value: str | bytes | None) -> bytes | None:
    """Encode a string argument as UTF-8 bytes.

    ``bytes`` and ``None`` are returned unchanged; a ``str`` is encoded as UTF-8.

    Args:
        value: The value to convert.

    Returns:
        The UTF-8 bytes, or ``value`` itself when it is ``bytes`` or ``None``.

    Raises:
        TypeError: If ``value`` is of any other type (``bytearray``,
            ``memoryview`` and numbers included).
        UnicodeEncodeError: If ``value`` contains lone surrogates, which have
            no UTF-8 encoding.
    """
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes) or value is None:
        return value
    raise _type_error(value)


@overload
def to_unicode(value: None) -> None: ...
@overload
def to_unicode(value: str | bytes) -> str: ...
def to_unicode(value: str | bytes | None) -> str | None:
    """Decode a string argument from UTF-8 to ``str``.

    ``str`` and ``None`` are returned unchanged; ``bytes`` are decoded as
    strict UTF-8.

    Args:
        value: The value to convert.

    Returns:
        The decoded text, or ``value`` itself when it is ``str`` or ``None``.

    Raises:
        TypeError: If ``value`` is of any other type.
        UnicodeDecodeError: If ``value`` is ``bytes`` that are not valid UTF-8.
    """
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise _type_error(value)


_unicode = to_unicode
"""Another name for [to_unicode][squall.escape.to_unicode] (Tornado's)."""

native_str = to_unicode
"""The native string type is ``str``, so this is
[to_unicode][squall.escape.to_unicode] under Tornado's other name."""

to_basestring = to_unicode
"""Another name for [to_unicode][squall.escape.to_unicode] (Tornado's)."""


def recursive_unicode(obj: Any) -> Any:
    """Decode every ``bytes`` inside a simple data structure to ``str``.

    Dictionaries (keys and values), lists and tuples are walked recursively and
    rebuilt with the same container type; ``bytes`` are decoded as UTF-8; any
    other object is returned as it is.

    Args:
        obj: A ``dict``, ``list``, ``tuple``, ``bytes`` or any other value.

    Returns:
        A new structure of the same shape with ``bytes`` replaced by ``str``.

    Raises:
        UnicodeDecodeError: If some ``bytes`` are not valid UTF-8.
    """
    if isinstance(obj, dict):
        return {recursive_unicode(k): recursive_unicode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [recursive_unicode(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(recursive_unicode(item) for item in obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    return obj


# Tornado's squeeze treats every ASCII control character and the space as
# whitespace; we keep that definition so templates render identically.
_WHITESPACE_RUN = re.compile(r"[\x00-\x20]+")


def squeeze(value: str) -> str:
    """Collapse every run of whitespace to a single space and strip the ends.

    Whitespace here means the space and the ASCII control characters
    (``\\x00``-``\\x1f``), as in Tornado.

    Args:
        value: The text to squeeze.

    Returns:
        The squeezed text.

    Raises:
        TypeError: If ``value`` is not a ``str``.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"squeeze() expects str, got {type(value).__name__}; "
            "decode bytes with to_unicode() first"
        )
    return _WHITESPACE_RUN.sub(" ", value).strip()
