"""Grouping the digits of whole numbers the way each language does.

The separators follow CLDR's default (Latin-digit) number formats, checked
against Babel from outside: most languages group by threes with ",", "." or
a no-break space; languages of India group the rest by twos after the first
three (12,34,567). Where a region differs from its language (Latin American
Spanish writes 1,234,567; Portugal 1 234 567), the region decides. Not
covered: Swiss apostrophes (CLDR and Babel disagree on them) and the European
regions of English (en_DE...), which get their language's grouping.
"""

from __future__ import annotations

from ._codes import parse_code_lenient

_NBSP = "\u00a0"
_NARROW_NBSP = "\u202f"

_SEPARATORS = {
    **dict.fromkeys(
        "af be bg br cs et ff fi gl ht hu hy ka kk ky lt lv nb nn no pl ru sk sq "
        "sv tg tk tt uk uz xh".split(),
        _NBSP,
    ),
    **dict.fromkeys(
        "ast az bs ca da de el es eu fo fy hr id is it jv ku lb ln lo mk nl ps pt "
        "ro rw sl sr su tr vi wo".split(),
        ".",
    ),
    **dict.fromkeys(("eo", "fr"), _NARROW_NBSP),
}
_INDIAN = frozenset("as bn dv gu hi ml mr ne or pa sa ta te".split())

_REGIONAL = {
    **{
        f"es_{region}": ","
        for region in "419 BR BZ CU DO GT HN MX NI PA PE PR SV US".split()
    },
    **{
        f"pt_{region}": _NBSP
        for region in "AO CH CV GQ GW LU MO MZ PT ST TL".split()
    },
    **{f"ar_{region}": "." for region in "DZ LB LY MA MR TN".split()},
    "es_CR": _NBSP,
    "fr_CA": _NBSP,
    "fr_LU": ".",
    "fr_RW": ",",
    "en_ZA": _NBSP,
}


def group_digits(code: str, value: int) -> str:
    """``value`` with its digits grouped as the locale ``code`` writes them."""
    digits = str(abs(value))
    sign = "-" if value < 0 else ""
    tag = parse_code_lenient(code)
    language = tag.language if tag else ""
    regional = f"{language}_{tag.region}" if tag and tag.region else ""
    separator = _REGIONAL.get(regional) or _SEPARATORS.get(language, ",")
    if language in _INDIAN or regional == "en_IN":
        # 1234567 is 12,34,567: the last three digits, then pairs.
        head, tail = digits[:-3], digits[-3:]
        pairs = [head[max(end - 2, 0) : end] for end in range(len(head), 0, -2)]
        return sign + separator.join([*reversed(pairs), tail])
    return sign + f"{int(digits):,}".replace(",", separator)
