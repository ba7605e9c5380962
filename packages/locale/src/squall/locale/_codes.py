"""Locale codes: parsing, normalising, and the fallback candidates of a code.

A locale code here is a language, an optional script and an optional region,
joined by ``_`` (``es``, ``es_GT``, ``zh_Hant_TW``, ``es_419``). Input may use
``-`` or ``_`` and any letter case (``es-gt``, ``ES_gt``); the normal form puts
the language in lower case, the script in title case and the region in upper
case, as in the file names ``es_GT.csv`` and ``zh_Hant.csv``.

This is the subset of BCP 47 (RFC 5646) language tags that names a locale a
site can translate to. Variants, extensions and private-use subtags carry no
meaning for choosing a catalogue, so the lenient parser used for browser
preferences drops them (``de-CH-1996`` is ``de_CH``), while the strict parser
used for file names and explicit codes rejects them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")
_SCRIPT = re.compile(r"[A-Za-z]{4}")
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")
_SEPARATOR = re.compile(r"[-_]")

# Longer inputs are not locale codes; refusing them early bounds the work done
# on hostile input (e.g. one huge Accept-Language entry).
MAX_CODE_LENGTH = 64


class Tag(NamedTuple):
    """A parsed locale code; `str()` gives the normal form."""

    language: str
    script: str | None
    region: str | None

    def __str__(self) -> str:
        return "_".join(p for p in (self.language, self.script, self.region) if p)


def _subtags(code: str) -> list[str] | None:
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return _SEPARATOR.split(code)


def _build(subtags: list[str], strict: bool) -> Tag | None:
    if not _LANGUAGE.fullmatch(subtags[0]):
        return None
    script = region = None
    rest = subtags[1:]
    if rest and _SCRIPT.fullmatch(rest[0]):
        script = rest.pop(0).title()
    if rest and _REGION.fullmatch(rest[0]):
        region = rest.pop(0).upper()
    if rest and strict:
        return None
    return Tag(subtags[0].lower(), script, region)


def parse_code(code: str) -> Tag | None:
    """Parse a locale code strictly: ``lang[_Script][_REGION]`` and nothing more.

    Returns None when ``code`` is not such a code.
    """
    subtags = _subtags(code)
    if subtags is None:
        return None
    return _build(subtags, strict=True)


def parse_code_lenient(code: str) -> Tag | None:
    """Parse a code as a browser or a POSIX environment may send it.

    Trailing subtags that are not a script or a region (variants, extensions,
    ``-x-`` private use) are dropped, and so are a POSIX ``.charset`` and
    ``@modifier`` (``en_US.UTF-8`` is ``en_US``). Returns None when not even
    the language is valid.
    """
    code = code.strip().split(".", 1)[0].split("@", 1)[0]
    subtags = _subtags(code)
    if subtags is None:
        return None
    return _build(subtags, strict=False)


def normalize_code(code: str) -> str | None:
    """The normal form of a strict locale code, or None if it is not one."""
    tag = parse_code(code)
    return None if tag is None else str(tag)


def candidates(tag: Tag) -> list[str]:
    """The codes to try for ``tag``, most specific first.

    ``zh_Hant_TW`` gives ``zh_Hant_TW``, ``zh_TW``, ``zh_Hant``, ``zh``: the
    region says more about the expected translation than the script does.
    """
    lang, script, region = tag
    found = [str(tag)]
    if script and region:
        found.append(f"{lang}_{region}")
        found.append(f"{lang}_{script}")
    if script or region:
        found.append(lang)
    return found
