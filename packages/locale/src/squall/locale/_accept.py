"""Parsing the Accept-Language request header (RFC 9110 section 12.5.4)."""

from __future__ import annotations

import functools
import re

from ._codes import parse_code_lenient

MAX_ACCEPT_LANGUAGE_ENTRIES = 32
"""How many comma-separated entries of an Accept-Language header are looked
at; the rest is ignored. Browsers send a handful, so this only bounds the
work a hostile header can cause."""

# language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"   (RFC 4647 section 2.1)
_RANGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# weight = OWS ";" OWS "q=" qvalue   (RFC 9110 sections 12.4.2 and 12.5.4);
# the ";" is consumed by the caller, and "q" is case-insensitive.
_WEIGHT = re.compile(r"[ \t]*[qQ]=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)[ \t]*")


def parse_accept_language(header: str) -> list[str]:
    """The locale codes a client asks for, most preferred first.

    Codes come out normalised (``es-gt`` gives ``es_GT``), ordered by their
    q-value; entries with equal q-values keep their order in the header. An
    entry is ignored when it is malformed (a bad language range, a bad or
    out-of-range q-value, a parameter other than ``q``), when its q-value is
    0 ("not acceptable"), when it is the wildcard ``*``, or when it repeats a
    code already listed. Only the first `MAX_ACCEPT_LANGUAGE_ENTRIES` entries
    are considered.

    Pass the result to `get` to choose a supported locale::

        locale = squall.locale.get(*parse_accept_language("es-GT,es;q=0.8"))

    Args:
        header: the value of the Accept-Language header (several header
            lines may be joined with ``,``).

    Returns:
        The normalised locale codes, possibly empty.
    """
    if len(header) <= _CACHED_HEADER_LENGTH:
        return list(_parse_cached(header))
    return list(_parse(header))


# Browsers with the same settings send the same header, so a small cache of
# recent results spares most of the parsing; long headers are not cached, to
# bound its memory.
_CACHED_HEADER_LENGTH = 256


@functools.lru_cache(maxsize=256)
def _parse_cached(header: str) -> tuple[str, ...]:
    return _parse(header)


def _parse(header: str) -> tuple[str, ...]:
    ranked: list[tuple[float, int, str]] = []
    entries = header.split(",", MAX_ACCEPT_LANGUAGE_ENTRIES)
    for position, entry in enumerate(entries[:MAX_ACCEPT_LANGUAGE_ENTRIES]):
        language_range, has_weight, weight = entry.partition(";")
        language_range = language_range.strip(" \t")
        if language_range == "*" or not _RANGE.fullmatch(language_range):
            continue
        quality = 1.0
        if has_weight:
            match = _WEIGHT.fullmatch(weight)
            if match is None:
                continue
            quality = float(match.group(1))
        if quality == 0.0:
            continue
        tag = parse_code_lenient(language_range)
        if tag is not None:
            ranked.append((-quality, position, str(tag)))
    ranked.sort()
    # dict.fromkeys keeps the first (best) position of a repeated code.
    return tuple(dict.fromkeys(code for _, _, code in ranked))
