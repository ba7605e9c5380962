"""parse_accept_language: RFC 9110 section 12.5.4 weights, normalised codes."""

from __future__ import annotations

import pytest

from squall.locale import MAX_ACCEPT_LANGUAGE_ENTRIES, parse_accept_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", []),
        ("   ", []),
        ("fr", ["fr"]),
        ("es-GT", ["es_GT"]),
        ("es-gt", ["es_GT"]),
        ("ES-gt", ["es_GT"]),
        # ordered by q-value, highest first
        ("da, en-gb;q=0.8, en;q=0.7", ["da", "en_GB", "en"]),
        ("en;q=0.1, fr;q=0.9, de;q=0.5", ["fr", "de", "en"]),
        # equal weights keep the header's order (stable)
        ("de;q=0.5, fr;q=0.5, it;q=0.5", ["de", "fr", "it"]),
        ("it;q=1, ja", ["it", "ja"]),
        # the largest allowed precision, and "1.000"
        ("en;q=0.001, fr;q=1.000", ["fr", "en"]),
        # q=0 means "not acceptable"
        ("fr;q=0, de", ["de"]),
        ("fr;q=0.000, de", ["de"]),
        # the wildcard names no locale
        ("*", []),
        ("*;q=0.5, fr", ["fr"]),
        # whitespace around the separators (OWS) and an upper-case Q
        ("fr ;  q=0.5 ,de\t;Q=0.6", ["de", "fr"]),
        # empty list elements are allowed by the list syntax
        (",,fr,,", ["fr"]),
        # a repeated code is listed once, at its best position
        ("fr;q=0.2, de;q=0.5, fr;q=0.9", ["fr", "de"]),
        ("fr-FR, fr-fr", ["fr_FR"]),
        # script and region, variants and extensions dropped
        ("zh-Hant-TW", ["zh_Hant_TW"]),
        ("de-CH-1996", ["de_CH"]),
        ("en-US-x-twain", ["en_US"]),
        ("es-419", ["es_419"]),
    ],
)
def test_parses_and_orders(header: str, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "fr;q=2",  # above 1
        "fr;q=1.5",
        "fr;q=1.001",
        "fr;q=-0.5",
        "fr;q=0.5555",  # more than 3 decimals
        "fr;q=",  # empty weight
        "fr;q=abc",
        "fr;q=.5",
        "fr;level=1",  # not a q parameter
        "fr;q=0.5;x=1",  # an extra parameter
        "fr;",
        "f r",  # not a language range
        "fr_FR",  # "_" is not allowed in a language range
        "toolonglanguage",  # subtags are 1 to 8 characters
        "1fr",
        "i-klingon",  # a registered range, but "i" is no language code
        "x-private",
        "fr-",
        "\u00e9s",  # non-ASCII
    ],
)
def test_malformed_entries_are_ignored(bad: str) -> None:
    assert parse_accept_language(f"{bad}, de;q=0.1") == ["de"]


def test_work_is_bounded_on_huge_headers() -> None:
    wanted = [f"l{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(100)]
    header = ", ".join(wanted)
    # Only the first entries are looked at; the rest is ignored.
    assert parse_accept_language(header) == wanted[:MAX_ACCEPT_LANGUAGE_ENTRIES]
    # An entry after the cap is never considered, whatever its weight.
    padded = "fr;q=0.1," + ",".join(["x"] * 1000) + ",de;q=1"
    assert parse_accept_language(padded) == ["fr"]
    # One enormous entry is not a locale code.
    assert parse_accept_language("a-" + "b" * 100_000 + ", fr") == ["fr"]
    assert parse_accept_language("en" + "-abc" * 30 + ", fr") == ["fr"]


def test_results_are_independent_lists() -> None:
    first = parse_accept_language("fr, de;q=0.5")
    first.append("mutated")
    assert parse_accept_language("fr, de;q=0.5") == ["fr", "de"]
