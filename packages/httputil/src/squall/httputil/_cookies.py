"""parse_cookie: read a ``Cookie`` request header the way browsers write it."""

from __future__ import annotations

import re

__all__ = ["parse_cookie"]

# Cookie names and values with control characters are dropped one by one
# (RFC 6265 section 4.1.1 excludes CTLs from both).
_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Inside a quoted value, a backslash escapes either three octal digits
# (Python's SimpleCookie writes ``\054`` for a comma) or one character.
_UNQUOTE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)


def _unescape(m: re.Match[str]) -> str:
    octal = m.group(1)
    if octal is not None:
        return chr(int(octal, 8))
    return m.group(2)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        # One pass of re.sub over the inner text: linear time however many
        # backslashes and quotes an attacker sends (CVE-2024-52804).
        return _UNQUOTE_RE.sub(_unescape, value[1:-1])
    return value


def parse_cookie(cookie: str) -> dict[str, str]:
    """Parse a ``Cookie`` header into ``{name: value}``.

    The header is split on ``;`` first, as browsers do, so a quoted value can
    never swallow the cookies after it; then each piece is split at its first
    ``=`` (a piece without ``=`` is a value with an empty name, as browsers
    treat it). Surrounding SP/HTAB are removed. A value wrapped in double
    quotes is unquoted (backslash escapes decoded). A cookie with control
    characters is dropped on its own. When a name repeats, the last one wins.
    Runs in linear time on any input.

    Example:
        >>> parse_cookie('a=1; b="x\\\\"y"; c')
        {'a': '1', 'b': 'x"y', '': 'c'}

    Args:
        cookie: The ``Cookie`` header value.

    Returns:
        A dict of cookie names to values.
    """
    result: dict[str, str] = {}
    for chunk in cookie.split(";"):
        if "=" in chunk:
            name, value = chunk.split("=", 1)
        else:
            name, value = "", chunk
        name = name.strip(" \t")
        value = value.strip(" \t")
        if not name and not value:
            continue
        if _CTL_RE.search(name) is not None or _CTL_RE.search(value) is not None:
            continue
        result[name] = _unquote(value)
    return result
