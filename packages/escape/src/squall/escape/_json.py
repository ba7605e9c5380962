"""JSON encoding that is safe inside HTML ``<script>`` elements, and decoding."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_decode", "json_encode"]

# Module-level encoder: json.dumps with default arguments uses a shared
# encoder too, but calling encode() directly skips the keyword handling.
_ENCODER = json.JSONEncoder()


def json_encode(value: Any) -> str:
    """Encode a Python object as JSON text that can be embedded in HTML.

    The output is ordinary JSON (non-ASCII characters as ``\\uXXXX``), except
    that ``</`` is written ``<\\/`` and ``<!--`` is written ``<\\u0021--``
    inside strings. Both spellings decode to the same value, and together they
    keep an inline ``<script>`` element from being closed, or switched into
    the HTML parser's "escaped" states, by data inside the JSON.

    Compatibility: Tornado rewrites only ``</``; squall also rewrites ``<!--``.

    Args:
        value: Any object ``json.dumps`` accepts.

    Returns:
        The JSON text.

    Raises:
        TypeError: If ``value`` holds an object JSON cannot represent.
        ValueError: If ``value`` contains a reference cycle.
    """
    text = _ENCODER.encode(value)
    # "<" can only occur inside a JSON string, where both rewrites are valid
    # escapes; skip both scans for the common output with no "<" at all.
    if "<" in text:
        text = text.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    return text


def json_decode(value: str | bytes) -> Any:
    """Decode JSON text to a Python object.

    Args:
        value: The JSON text, as ``str`` or as UTF-8 (or UTF-16/32) ``bytes``.

    Returns:
        The decoded object.

    Raises:
        TypeError: If ``value`` is neither ``str`` nor ``bytes``.
        json.JSONDecodeError: If ``value`` is not valid JSON (a subclass of
            ``ValueError``).
        UnicodeDecodeError: If ``value`` is ``bytes`` in no Unicode encoding.
    """
    if not isinstance(value, (str, bytes)):
        raise TypeError(
            f"json_decode() expects str or bytes, got {type(value).__name__}"
        )
    return json.loads(value)
