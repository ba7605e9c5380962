"""HTML escaping and unescaping.

Escaping replaces the five characters that are special in HTML text and quoted
attribute values. Unescaping follows the WHATWG HTML tokenizer's rules for
character references in text content, so ``xhtml_unescape`` reads a string the
way a browser would render it:

* named references come from the stdlib's ``html.entities.html5`` table; the
  longest name that matches wins, and the legacy names that browsers accept
  without a trailing ``;`` (``&amp``, ``&copy``, ...) are honoured;
* numeric references are decimal (``&#65;``) or hex (``&#x41;``), and the
  ``;`` is optional;
* a numeric reference to 0, to a surrogate or beyond U+10FFFF becomes U+FFFD;
  one to 0x80-0x9F is read as windows-1252 (``&#128;`` is the euro sign);
  every other code point is kept, even controls and noncharacters;
* anything that is not a reference is left exactly as it is.
"""

from __future__ import annotations

import re
from html.entities import html5 as _HTML5

__all__ = ["xhtml_escape", "xhtml_unescape"]


def _decode(value: object, function: str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise TypeError(
        f"{function}() expects str or bytes, got {type(value).__name__}; "
        "convert the value to str first"
    )


def xhtml_escape(value: str | bytes) -> str:
    """Escape a string so it is safe in HTML or XML text and quoted attributes.

    ``&``, ``<``, ``>``, ``"`` and ``'`` become ``&amp;``, ``&lt;``, ``&gt;``,
    ``&quot;`` and ``&#x27;``. In an attribute, the escaped value must still be
    put between quotes.

    Args:
        value: The text to escape; ``bytes`` are decoded as UTF-8 first.

    Returns:
        The escaped text.

    Raises:
        TypeError: If ``value`` is neither ``str`` nor ``bytes``.
        UnicodeDecodeError: If ``value`` is ``bytes`` that are not valid UTF-8.
    """
    if not isinstance(value, str):
        value = _decode(value, "xhtml_escape")
    # Chained str.replace measured faster than str.translate, re.sub and
    # html.escape for short and long, ASCII and non-ASCII inputs (see
    # packages/escape/bench/bench_escape.py). "&" must go first.
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


# Longest names in the table, so a run like "&aaaa...a" costs O(1) per "&".
_MAX_NAME = max(len(name) for name in _HTML5)
# Legacy references that browsers decode without a ";" (e.g. "amp", "copy").
_LEGACY = {name: text for name, text in _HTML5.items() if not name.endswith(";")}
_LEGACY_MAX = max(len(name) for name in _LEGACY)
_LEGACY_MIN = min(len(name) for name in _LEGACY)

# WHATWG "numeric character reference end state": 0x80-0x9F are read as
# windows-1252. The five bytes that windows-1252 leaves undefined keep their
# own code point, which is exactly where Python's cp1252 codec fails.
_C1: dict[int, str] = {}
for _cp in range(0x80, 0xA0):
    try:
        _C1[_cp] = bytes([_cp]).decode("cp1252")
    except UnicodeDecodeError:
        _C1[_cp] = chr(_cp)
del _cp

# Longest run of significant digits that can still be a valid code point
# (0x10FFFF is 6 hex digits, 1114111 is 7 decimal digits); anything longer is
# out of range and is not handed to int(), which would be slow or refuse it.
_MAX_DIGITS = 8

_REFERENCE = re.compile(
    r"&(?:#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));?"
    rf"|([A-Za-z][A-Za-z0-9]{{0,{_MAX_NAME - 1}}};?))"
)


def _code_point(digits: str, base: int) -> str:
    digits = digits.lstrip("0")
    number = int(digits, base) if digits and len(digits) <= _MAX_DIGITS else 0x110000
    if not digits or number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    if 0x80 <= number <= 0x9F:
        return _C1[number]
    return chr(number)


def _replace(match: re.Match[str]) -> str:
    hex_digits, dec_digits, name = match.groups()
    if hex_digits is not None:
        return _code_point(hex_digits, 16)
    if dec_digits is not None:
        return _code_point(dec_digits, 10)
    text = _HTML5.get(name)
    if text is not None:
        return text
    # No exact name: the longest legacy name that prefixes the run wins and
    # the rest of the run stays as text ("&notit;" reads as "\u00acit;").
    for length in range(min(len(name), _LEGACY_MAX), _LEGACY_MIN - 1, -1):
        text = _LEGACY.get(name[:length])
        if text is not None:
            return text + name[length:]
    return match.group(0)


def xhtml_unescape(value: str | bytes) -> str:
    """Replace every HTML character reference in a string with its text.

    All HTML5 named references (``&amp;``, ``&hellip;``, ``&NotEqualTilde;``,
    and the legacy forms without ``;`` such as ``&copy``) and all numeric
    references (``&#233;``, ``&#xE9;``) are decoded the way a browser decodes
    them in text content; see the module notes for invalid numeric
    references. Text that is not a reference is left unchanged.

    Compatibility: Tornado (through ``html.unescape``) drops references to
    control characters and noncharacters such as ``&#1;`` and ``&#xFFFF;``;
    squall keeps them, as browsers do.

    Args:
        value: The text to unescape; ``bytes`` are decoded as UTF-8 first.

    Returns:
        The unescaped text.

    Raises:
        TypeError: If ``value`` is neither ``str`` nor ``bytes``.
        UnicodeDecodeError: If ``value`` is ``bytes`` that are not valid UTF-8.
    """
    if not isinstance(value, str):
        value = _decode(value, "xhtml_unescape")
    if "&" not in value:
        return value
    return _REFERENCE.sub(_replace, value)
