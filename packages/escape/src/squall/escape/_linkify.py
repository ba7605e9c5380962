"""Turn the URLs in plain text into HTML links.

How this works: ``linkify`` scans the *raw* text for URL candidates, then
HTML-escapes everything itself: the text between links, the ``href`` value and
the link text. Because the input is never treated as HTML, character
references such as ``&#106;avascript:`` are just text and cannot assemble a
scheme. A candidate becomes a link only if

* it starts with ``scheme:`` and the scheme (compared case-insensitively) is
  in ``permitted_protocols``, which may never include a script-running
  scheme; or
* it has no scheme, looks like ``www.host`` or ``host.tld/``, and
  ``require_protocol`` is false, in which case the ``href`` is ``http://`` plus
  the candidate.

So every ``href`` written starts with a permitted scheme, spelled with ASCII
letters only and with nothing (no whitespace, no control character) in front.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ._html import xhtml_escape

__all__ = ["linkify"]

# Schemes that run script or carry an inline document when followed. linkify
# refuses to link them even when a caller lists them as permitted.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "vbscript", "data"})

_CANDIDATE = re.compile(
    r"""
    (?<![A-Za-z0-9+.\-])                 # start at a word boundary
    (?:
        (?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*) : (?=[A-Za-z0-9/%])
      |
        (?= www[0-9]{0,3}\. | [A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}/ )
    )
    [^\s<>"`\x00-\x1f\x7f]+              # up to whitespace, markup or a control
    """,
    re.VERBOSE,
)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")

# A candidate without a scheme must still look like a host after trimming.
_BARE_HOST = re.compile(
    r"www[0-9]{0,3}\.[^\s./]|[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}/"
)

# Punctuation that usually ends a sentence rather than a URL.
_TRAILING = ".,;:!?'\"*\u00ab\u00bb\u2018\u2019\u201c\u201d"
_CLOSERS = {")": "(", "]": "[", "}": "{"}

_DEFAULT_PROTOCOLS = ("http", "https")
_DEFAULT_SET = frozenset(_DEFAULT_PROTOCOLS)

# Link text longer than this is shortened when ``shorten`` is true.
_SHORT_LENGTH = 30


def _trim(url: str) -> str:
    """Drop trailing punctuation, keeping closing brackets that are balanced."""
    if url[-1] not in _TRAILING and url[-1] not in _CLOSERS:
        return url  # the common case
    # Index arithmetic and counts taken once keep this linear in len(url),
    # even for a URL that ends in thousands of ")" or ".".
    unmatched = {
        close: url.count(close) - url.count(open_) for close, open_ in _CLOSERS.items()
    }
    end = len(url)
    # Never runs out: a candidate starts with a letter or digit.
    while end:  # pragma: no branch
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in unmatched and unmatched[last] > 0:
            unmatched[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def _shorten(url: str, scheme: str | None) -> str:
    """Make a short display form of ``url``: no scheme, cut with "..."."""
    text = url
    if scheme is not None:
        text = text[len(scheme) + 1 :]
        if text.startswith("//"):
            text = text[2:]
    if len(text) <= _SHORT_LENGTH:
        return text
    # Prefer cutting after a path separator, if one falls late enough that
    # the result is not much shorter than the limit.
    cut = text.rfind("/", 0, _SHORT_LENGTH)
    if cut < _SHORT_LENGTH * 2 // 3:
        cut = _SHORT_LENGTH
    else:
        cut += 1
    return text[:cut] + "..."


def linkify(
    text: str | bytes,
    shorten: bool = False,
    extra_params: str | Callable[[str], str] = "",
    require_protocol: bool = False,
    permitted_protocols: Iterable[str] = ("http", "https"),
) -> str:
    """Convert plain text into HTML, turning the URLs in it into links.

    The whole text is HTML-escaped, and each URL becomes an
    ``<a href="...">`` element. For example
    ``linkify("Hello http://example.com!")`` returns
    ``'Hello <a href="http://example.com">http://example.com</a>!'``.

    Trailing punctuation (``.``, ``,``, ``!``, quotes, an unbalanced ``)``)
    is left out of a URL. A link is only ever made to one of
    ``permitted_protocols``, whatever the case, spacing or character
    references in the text: ``javascript:`` and the like stay plain text.

    Compatibility: schemes are matched case-insensitively (Tornado does not
    link ``HTTP://``), listing ``javascript``, ``vbscript`` or ``data`` in
    ``permitted_protocols`` raises ``ValueError``, and the shortened form of
    a link drops its scheme.

    Args:
        text: Plain (not HTML) text; ``bytes`` are decoded as UTF-8.
        shorten: Show long URLs shortened (without the scheme, cut to about
            30 characters and ending in ``...``); the full URL then goes in
            the link's ``title`` attribute.
        extra_params: Extra attributes for each ``<a>`` tag, as trusted HTML
            (for example ``'rel="nofollow" class="external"'``), or a callable
            that takes the ``href`` URL and returns that text.
        require_protocol: Link only URLs that start with a scheme; when false,
            ``www.example.com`` and ``example.com/path`` are linked too, with
            ``http://`` put in front.
        permitted_protocols: The schemes that may be linked.

    Returns:
        The HTML.

    Raises:
        TypeError: If ``text`` is not ``str`` or ``bytes``, ``extra_params`` is
            neither ``str`` nor callable (or the callable returns something
            other than ``str``), or ``permitted_protocols`` is a single string
            or holds non-strings.
        ValueError: If ``permitted_protocols`` includes a scheme that runs
            script (``javascript``, ``vbscript``, ``data``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    elif not isinstance(text, str):
        raise TypeError(f"linkify() expects str or bytes, got {type(text).__name__}")
    if permitted_protocols == _DEFAULT_PROTOCOLS:  # skip validation for the default
        permitted = _DEFAULT_SET
    else:
        permitted = _permitted_set(permitted_protocols)
    if callable(extra_params):
        params_for: Callable[[str], str] | None = extra_params
        fixed_params = ""
    elif isinstance(extra_params, str):
        params_for = None
        fixed_params = " " + extra_params.strip() if extra_params.strip() else ""
    else:
        raise TypeError(
            "linkify() extra_params must be a str or a callable returning str, "
            f"got {type(extra_params).__name__}"
        )

    parts: list[str] = []
    copied = 0  # text[:copied] is already in parts
    search_from = 0
    while (match := _CANDIDATE.search(text, search_from)) is not None:
        url = _trim(match.group(0))
        scheme = match.group("scheme")
        if scheme is not None:
            if scheme.lower() not in permitted:
                # Skip the whole candidate, unless a permitted scheme follows
                # the colon at once: "note:http://example.com". Retrying only
                # then keeps "a:a:a:...:a" linear: the retry links to the end.
                after_colon = match.start() + len(scheme) + 1
                inner = _SCHEME.match(text, after_colon)
                if inner is not None and inner.group(1).lower() in permitted:
                    search_from = after_colon
                else:
                    search_from = match.end()
                continue
            if not url[len(scheme) + 1 :].strip("/"):
                # Nothing after the scheme once punctuation is trimmed.
                search_from = match.end()
                continue
            href = url
        elif not require_protocol and _BARE_HOST.match(url) is not None:
            href = "http://" + url
        else:
            search_from = match.end()
            continue
        start = match.start()
        search_from = end = start + len(url)
        parts.append(xhtml_escape(text[copied:start]))
        copied = end

        params = fixed_params
        if params_for is not None:
            extra = params_for(href)
            if not isinstance(extra, str):
                raise TypeError(
                    "linkify() extra_params callable must return str, "
                    f"got {type(extra).__name__}"
                )
            params = " " + extra.strip() if extra.strip() else ""
        escaped_url = xhtml_escape(url)
        escaped_href = escaped_url if scheme is not None else "http://" + escaped_url
        if shorten and len(url) > _SHORT_LENGTH:
            escaped_shown = xhtml_escape(_shorten(url, scheme))
            params += f' title="{escaped_href}"'
        else:
            escaped_shown = escaped_url
        parts.append(f'<a href="{escaped_href}"{params}>{escaped_shown}</a>')
    parts.append(xhtml_escape(text[copied:]))
    return "".join(parts)


def _permitted_set(protocols: Iterable[str]) -> frozenset[str]:
    if isinstance(protocols, (str, bytes)):
        raise TypeError(
            "linkify() permitted_protocols must be a list of scheme names, "
            f"got the single string {protocols!r}; wrap it in a list"
        )
    schemes = set()
    for protocol in protocols:
        if not isinstance(protocol, str):
            raise TypeError(
                "linkify() permitted_protocols must hold str scheme names, "
                f"got {type(protocol).__name__}"
            )
        scheme = protocol.lower().rstrip(":")
        if scheme in _FORBIDDEN_SCHEMES:
            raise ValueError(
                f"linkify() refuses to link the {scheme!r} scheme, which can run "
                "script in the reader's browser; remove it from permitted_protocols"
            )
        schemes.add(scheme)
    return frozenset(schemes)
