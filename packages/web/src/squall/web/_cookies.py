"""Building ``Set-Cookie`` header values safely.

Every attribute is validated before it is joined into the header, so no
argument can smuggle in another attribute or a new header line
(CVE-2026-35536, CVE-2012-2374). Values that are legal but not plain cookie
octets are quoted the way the stdlib's `http.cookies` quotes them.
"""

from __future__ import annotations

import datetime
import email.utils
import http.cookies
import re
import time

__all__ = ["format_set_cookie", "http_date"]

# RFC 6265 4.1.1: cookie-name is an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Tornado refuses any control character or space in names and values.
_CTL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
# RFC 6265 4.1.1: path-value is any CHAR except CTLs or ";".
_BAD_PATH = re.compile(r"[\x00-\x1f\x7f;]")
# A domain attribute is a host name (or address); nothing else may appear.
_DOMAIN = re.compile(r"\.?[A-Za-z0-9_\-\.:\[\]]+\Z")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_ENCODER = http.cookies.SimpleCookie()


def http_date(when: float | datetime.datetime) -> str:
    """Format a POSIX timestamp or a datetime as an RFC 9110 HTTP date."""
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        when = when.timestamp()
    return email.utils.formatdate(when, usegmt=True)


def format_set_cookie(
    name: str,
    value: str,
    domain: str | None = None,
    expires: float | datetime.datetime | None = None,
    path: str | None = "/",
    expires_days: float | None = None,
    max_age: int | None = None,
    httponly: bool = False,
    secure: bool = False,
    samesite: str | None = None,
) -> str:
    """Return the value of a ``Set-Cookie`` header for these attributes.

    Raises:
        ValueError: the name is not a token; the name or value contains a
            control character or space; ``domain``, ``path`` or ``samesite``
            holds characters that could inject attributes, or ``samesite`` is
            not one of Strict, Lax, None.
    """
    if not _TOKEN.match(name):
        raise ValueError(f"invalid cookie name {name[:100]!r}: a cookie name must be a token")
    if _CTL_OR_SPACE.search(value):
        raise ValueError(
            f"invalid value for cookie {name!r}: {value[:100]!r} contains a control "
            "character or space; encode the value (e.g. url_escape) first"
        )
    parts = [name + "=" + (_ENCODER.value_encode(value)[1] if value else "")]
    if domain:
        if not _DOMAIN.match(domain):
            raise ValueError(f"invalid cookie domain {domain[:100]!r}: expected a host name")
        parts.append("Domain=" + domain)
    if expires_days is not None and expires is None:
        expires = time.time() + expires_days * 86400
    if expires is not None:
        parts.append("Expires=" + http_date(expires))
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise ValueError(f"cookie max_age must be an int, not {max_age!r}")
        parts.append(f"Max-Age={max_age}")
    if path:
        if _BAD_PATH.search(path):
            raise ValueError(
                f"invalid cookie path {path[:100]!r}: it may not contain ';' or control characters"
            )
        parts.append("Path=" + path)
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        canonical = _SAMESITE.get(samesite.lower()) if isinstance(samesite, str) else None
        if canonical is None:
            raise ValueError(f"invalid cookie samesite {samesite!r}: use 'Strict', 'Lax' or 'None'")
        parts.append("SameSite=" + canonical)
    return "; ".join(parts)
