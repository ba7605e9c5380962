"""xhtml_escape and xhtml_unescape."""

from __future__ import annotations

import html
import re
from html.entities import html5
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.escape import xhtml_escape, xhtml_unescape


class TestXhtmlEscape:
    @pytest.mark.parametrize(
        ("char", "reference"),
        [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")],
    )
    def test_each_special_character(self, char: str, reference: str) -> None:
        assert xhtml_escape(char) == reference
        assert xhtml_escape(f"a{char}b{char}") == f"a{reference}b{reference}"

    def test_markup(self) -> None:
        assert (
            xhtml_escape("<a href=\"x\">Tom & Jerry's</a>")
            == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/a&gt;"
        )

    def test_references_are_escaped_again(self) -> None:
        assert xhtml_escape("&amp;&#60;") == "&amp;amp;&amp;#60;"

    def test_other_text_is_unchanged(self) -> None:
        text = "plain text, caf\u00e9 \u20ac \U0001f600 \t\n/=;#"
        assert xhtml_escape(text) == text
        assert xhtml_escape("") == ""

    def test_bytes_are_decoded(self) -> None:
        assert xhtml_escape(b"<caf\xc3\xa9>") == "&lt;caf\u00e9&gt;"

    def test_invalid_utf8_bytes_raise(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            xhtml_escape(b"\xff")

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"x"), ["<"]])
    def test_other_types_raise_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"xhtml_escape\(\) expects str or bytes"):
            xhtml_escape(value)

    @given(st.text())
    def test_output_has_no_raw_special_characters(self, text: str) -> None:
        escaped = xhtml_escape(text)
        assert not set("<>\"'") & set(escaped)
        # Every "&" left in the output starts one of the five references.
        rest = escaped
        for reference in ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;"):
            rest = rest.replace(reference, "")
        assert "&" not in rest

    @given(st.text())
    def test_agrees_with_the_stdlib(self, text: str) -> None:
        assert xhtml_escape(text) == html.escape(text, quote=True)


class TestXhtmlUnescapeNamed:
    @pytest.mark.parametrize(
        ("reference", "text"),
        [
            ("&amp;", "&"),
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", '"'),
            ("&apos;", "'"),
            ("&nbsp;", "\u00a0"),
            ("&hellip;", "\u2026"),
            ("&eacute;", "\u00e9"),
            ("&Eacute;", "\u00c9"),
            ("&NotEqualTilde;", "\u2242\u0338"),
            ("&CounterClockwiseContourIntegral;", "\u2233"),
            ("&fjlig;", "fj"),
        ],
    )
    def test_named_reference(self, reference: str, text: str) -> None:
        assert xhtml_unescape(reference) == text
        assert xhtml_unescape(f"x{reference}y") == f"x{text}y"

    @pytest.mark.parametrize(
        ("source", "text"),
        [
            # Legacy names are decoded without their ";".
            ("&amp", "&"),
            ("&lt3", "<3"),
            ("&copy 2024", "\u00a9 2024"),
            ("&copy2024", "\u00a92024"),
            # The longest name that matches wins...
            ("&notin;", "\u2209"),
            # ...and when the full run is no name, a legacy prefix is used.
            ("&notit;", "\u00acit;"),
            ("&ampx;", "&x;"),
            ("&ampfoo", "&foo"),
        ],
    )
    def test_legacy_names_without_semicolon(self, source: str, text: str) -> None:
        assert xhtml_unescape(source) == text

    @pytest.mark.parametrize(
        "source",
        [
            "&",
            "& b",
            "&&",
            "&;",
            "&bogus;",
            "&hellip",  # "hellip" needs its ";"
            "&Amp;",
            "&1;",
            "&#",
            "&#;",
            "&#x;",
            "&#xg;",
            "&#a;",
            "AT&T",
            "a&b=c",
        ],
    )
    def test_non_references_are_left_alone(self, source: str) -> None:
        assert xhtml_unescape(source) == source

    def test_every_name_in_the_html5_table(self) -> None:
        for name, text in html5.items():
            assert xhtml_unescape(f"&{name}") == text, name

    def test_long_run_of_letters(self) -> None:
        source = "&" + "a" * 100_000 + ";"
        assert xhtml_unescape(source) == source


class TestXhtmlUnescapeNumeric:
    @pytest.mark.parametrize(
        ("source", "text"),
        [
            ("&#65;", "A"),
            ("&#x41;", "A"),
            ("&#X41;", "A"),
            ("&#x6a;", "j"),
            ("&#65", "A"),
            ("&#x41", "A"),
            ("&#65x", "Ax"),
            ("&#0000065;", "A"),
            ("&#x000000041;", "A"),
            ("&#233;", "\u00e9"),
            ("&#x1F600;", "\U0001f600"),
            ("&#x10FFFF;", "\U0010ffff"),
            ("&#1114111;", "\U0010ffff"),
        ],
    )
    def test_valid(self, source: str, text: str) -> None:
        assert xhtml_unescape(source) == text

    @pytest.mark.parametrize(
        "source",
        [
            "&#0;",
            "&#x0;",
            "&#00000;",
            "&#x110000;",
            "&#1114112;",
            "&#xD800;",
            "&#xDFFF;",
            "&#55296;",
            "&#99999999999999999999;",
            "&#xFFFFFFFFFFFFFFFFFFFFFF;",
            # Longer than int() will parse by default.
            "&#" + "9" * 5000 + ";",
        ],
    )
    def test_out_of_range_becomes_replacement_character(self, source: str) -> None:
        assert xhtml_unescape(source) == "\ufffd"

    def test_many_leading_zeros(self) -> None:
        assert xhtml_unescape("&#" + "0" * 5000 + "65;") == "A"

    @pytest.mark.parametrize(
        ("source", "text"),
        [
            ("&#128;", "\u20ac"),
            ("&#x80;", "\u20ac"),
            ("&#x85;", "\u2026"),
            ("&#x92;", "\u2019"),
            ("&#x9F;", "\u0178"),
            # Bytes windows-1252 leaves undefined keep their code point.
            ("&#x81;", "\x81"),
            ("&#x8D;", "\x8d"),
            ("&#x8F;", "\x8f"),
            ("&#x90;", "\x90"),
            ("&#x9D;", "\x9d"),
        ],
    )
    def test_c1_range_is_read_as_windows_1252(self, source: str, text: str) -> None:
        assert xhtml_unescape(source) == text

    @pytest.mark.parametrize(
        ("source", "text"),
        [
            ("&#1;", "\x01"),
            ("&#13;", "\r"),
            ("&#x7F;", "\x7f"),
            ("&#xFFFF;", "\uffff"),
            ("&#xFDD0;", "\ufdd0"),
            ("&#x10FFFE;", "\U0010fffe"),
        ],
    )
    def test_controls_and_noncharacters_are_kept(self, source: str, text: str) -> None:
        # Browsers report a parse error but keep the character.
        assert xhtml_unescape(source) == text


class TestXhtmlUnescapeInput:
    def test_mixed_text(self) -> None:
        assert (
            xhtml_unescape("&lt;p class=&quot;x&quot;&gt;Caf&eacute; &amp co&#46;&lt;/p&gt;")
            == '<p class="x">Caf\u00e9 & co.</p>'
        )

    def test_text_without_ampersand_is_returned_as_is(self) -> None:
        assert xhtml_unescape("plain <text>") == "plain <text>"

    def test_bytes_are_decoded(self) -> None:
        assert xhtml_unescape(b"&lt;caf\xc3\xa9&gt;") == "<caf\u00e9>"

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"x")])
    def test_other_types_raise_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"xhtml_unescape\(\) expects str or bytes"):
            xhtml_unescape(value)


# Differential test against the stdlib's independent implementation, on text
# built from reference-like pieces. html.unescape drops references to controls
# and noncharacters where browsers (and squall) keep them, so the numeric
# pieces avoid those code points.
def _stdlib_agrees(code_point: int) -> bool:
    return not (
        code_point in (0x0B, 0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D)
        or 0x01 <= code_point <= 0x08
        or 0x0E <= code_point <= 0x1F
        or 0xFDD0 <= code_point <= 0xFDEF
        or (code_point & 0xFFFE) == 0xFFFE
    )


_code_points = st.integers(0, 0x120000).filter(_stdlib_agrees)
_pieces = st.one_of(
    st.sampled_from(sorted(html5)).map(lambda name: "&" + name),
    _code_points.map(lambda cp: f"&#{cp};"),
    _code_points.map(lambda cp: f"&#x{cp:x}"),
    st.sampled_from(["&", "#", ";", "x", "a", "0", "9", " ", "&#", "&#x", "&a"]),
    st.text(alphabet="abcdefxyz0123456789;&# ", max_size=8),
)


_NUMERIC = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+))")


def _numeric_value(match: re.Match[str]) -> int:
    hex_digits, dec_digits = match.groups()
    if hex_digits:
        return int(hex_digits.lstrip("0")[:9] or "0", 16)
    return int(dec_digits.lstrip("0")[:9] or "0")


def _all_numeric_references_agree(text: str) -> bool:
    return all(_stdlib_agrees(_numeric_value(m)) for m in _NUMERIC.finditer(text))


@given(
    st.lists(_pieces, max_size=12).map("".join).filter(_all_numeric_references_agree)
)
def test_unescape_agrees_with_the_stdlib(text: str) -> None:
    assert xhtml_unescape(text) == html.unescape(text)


@given(st.text())
def test_unescape_inverts_escape(text: str) -> None:
    assert xhtml_unescape(xhtml_escape(text)) == text
