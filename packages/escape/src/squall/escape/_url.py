"""Percent-encoding of URL components and query-string parsing."""

from __future__ import annotations

import codecs
import re
import urllib.parse
from typing import overload

__all__ = ["parse_qs_bytes", "url_escape", "url_unescape"]

# RFC 3986 section 2.3 unreserved characters: never percent-encoded.
_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def _quote_table(extra_safe: bytes, space: str) -> list[str]:
    table = [f"%{byte:02X}" for byte in range(256)]
    for byte in _UNRESERVED + extra_safe:
        table[byte] = chr(byte)
    table[0x20] = space
    return table


# One output string per input byte. In a query component ("plus" mode) "/" is
# encoded and a space is "+"; in a path segment "/" is kept and a space is %20.
_QUOTE_PLUS = _quote_table(b"", "+")
_QUOTE_PATH = _quote_table(b"/", "%20")
_ALL_SAFE_PLUS = re.compile(r"[A-Za-z0-9._~\-]*").fullmatch
_ALL_SAFE_PATH = re.compile(r"[A-Za-z0-9._~/\-]*").fullmatch


def url_escape(value: str | bytes, plus: bool = True) -> str:
    """Percent-encode a value for use in a URL.

    The value is encoded as UTF-8 and every byte outside the RFC 3986
    unreserved set (``A-Z a-z 0-9 - . _ ~``) becomes ``%XX``.

    With ``plus=True`` (the default) a space becomes ``+`` and ``/`` is
    encoded, which suits query-string names and values. With ``plus=False`` a
    space becomes ``%20`` and ``/`` is kept, which suits URL paths. (This
    default is the opposite of ``urllib.parse.quote``'s.)

    Args:
        value: The text (encoded as UTF-8) or bytes to encode.
        plus: Encode for a query string (``True``) or a path (``False``).

    Returns:
        The encoded ASCII text.

    Raises:
        TypeError: If ``value`` is neither ``str`` nor ``bytes``.
        UnicodeEncodeError: If ``value`` contains lone surrogates.
    """
    if isinstance(value, str):
        # Most values (ids, words, slugs) need no encoding at all.
        if (_ALL_SAFE_PLUS if plus else _ALL_SAFE_PATH)(value) is not None:
            return value
        data = value.encode("utf-8")
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(
            f"url_escape() expects str or bytes, got {type(value).__name__}; "
            "convert the value to str first"
        )
    # A table lookup per byte measured about twice as fast as
    # urllib.parse.quote (packages/escape/bench/bench_escape.py).
    table = _QUOTE_PLUS if plus else _QUOTE_PATH
    return "".join([table[byte] for byte in data])


@overload
def url_unescape(value: str | bytes, encoding: None, plus: bool = True) -> bytes: ...
@overload
def url_unescape(
    value: str | bytes, encoding: str = "utf-8", plus: bool = True
) -> str: ...
def url_unescape(
    value: str | bytes, encoding: str | None = "utf-8", plus: bool = True
) -> str | bytes:
    """Decode a percent-encoded URL component.

    ``%XX`` escapes are decoded; a ``%`` that does not start a valid escape is
    kept as it is. With ``plus=True`` (the default) a ``+`` is read as a space,
    as in query strings and form bodies, so a literal plus must arrive as
    ``%2B``; use ``plus=False`` for URL paths.

    Args:
        value: The encoded component, as ``str`` or ``bytes``.
        encoding: The character encoding of the decoded bytes. ``None``
            returns the decoded bytes themselves. Bytes that are invalid in
            the encoding become U+FFFD, as in Tornado.
        plus: Whether ``+`` means a space.

    Returns:
        The decoded ``str``, or ``bytes`` when ``encoding`` is ``None``.

    Raises:
        TypeError: If ``value`` is neither ``str`` nor ``bytes``, or
            ``encoding`` is neither ``str`` nor ``None``.
        LookupError: If ``encoding`` names no known codec.
    """
    if encoding is not None and encoding != "utf-8":
        # Fail on a bad codec name even when the value needs no decoding.
        codecs.lookup(encoding)
    if isinstance(value, str):
        if plus:
            value = value.replace("+", " ")
        if encoding is None:
            return urllib.parse.unquote_to_bytes(value)
        return urllib.parse.unquote(value, encoding=encoding, errors="replace")
    if isinstance(value, bytes):
        if plus:
            value = value.replace(b"+", b" ")
        data = urllib.parse.unquote_to_bytes(value)
        if encoding is None:
            return data
        return data.decode(encoding, "replace")
    raise TypeError(
        f"url_unescape() expects str or bytes, got {type(value).__name__}; "
        "convert the value to str first"
    )


def parse_qs_bytes(
    qs: str | bytes, keep_blank_values: bool = False, strict_parsing: bool = False
) -> dict[str, list[bytes]]:
    """Parse a query string into names and lists of raw byte values.

    Like ``urllib.parse.parse_qs`` (fields are separated by ``&`` only, ``+``
    is a space, ``%XX`` escapes are decoded), but the values are returned as
    the exact bytes that were sent, whatever their encoding. Names are
    returned as ``str``: each byte of a name becomes the code point of the
    same number (latin-1), which is lossless and, for the ASCII names seen in
    practice, the name itself. A ``str`` query is read as the latin-1
    decoding of the raw bytes.

    Args:
        qs: The query string, without the leading ``?``.
        keep_blank_values: Keep fields with an empty value (``a=`` or ``a``)
            as ``b""`` instead of dropping them.
        strict_parsing: Raise on a malformed field instead of ignoring it.

    Returns:
        A dict from each name to the list of its values, in order.

    Raises:
        TypeError: If ``qs`` is neither ``str`` nor ``bytes``.
        ValueError: If ``strict_parsing`` is true and a field is malformed, or
            ``qs`` is a ``str`` holding characters beyond U+00FF.
    """
    if isinstance(qs, bytes):
        text = qs.decode("latin-1")
    elif isinstance(qs, str):
        text = qs
        try:
            text.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"parse_qs_bytes() got a str with the character {text[exc.start]!r}, "
                "which is not a byte; pass the raw query as bytes instead"
            ) from None
    else:
        raise TypeError(
            f"parse_qs_bytes() expects str or bytes, got {type(qs).__name__}"
        )
    parsed = urllib.parse.parse_qs(
        text,
        keep_blank_values=keep_blank_values,
        strict_parsing=strict_parsing,
        encoding="latin-1",
        errors="strict",
    )
    return {
        name: [value.encode("latin-1") for value in values]
        for name, values in parsed.items()
    }
