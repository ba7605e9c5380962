"""url_escape, url_unescape and parse_qs_bytes."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.escape import parse_qs_bytes, url_escape, url_unescape

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


class TestUrlEscape:
    def test_unreserved_characters_are_kept(self) -> None:
        assert url_escape(UNRESERVED) == UNRESERVED
        assert url_escape(UNRESERVED, plus=False) == UNRESERVED

    @pytest.mark.parametrize(
        ("char", "encoded"),
        [
            ("!", "%21"),
            ("#", "%23"),
            ("$", "%24"),
            ("%", "%25"),
            ("&", "%26"),
            ("'", "%27"),
            ("(", "%28"),
            (")", "%29"),
            ("*", "%2A"),
            ("+", "%2B"),
            (",", "%2C"),
            (":", "%3A"),
            (";", "%3B"),
            ("=", "%3D"),
            ("?", "%3F"),
            ("@", "%40"),
            ("[", "%5B"),
            ("]", "%5D"),
            ("\n", "%0A"),
            ("\x00", "%00"),
            ("\x7f", "%7F"),
        ],
    )
    def test_reserved_and_control_characters_are_encoded(
        self, char: str, encoded: str
    ) -> None:
        assert url_escape(char) == encoded
        assert url_escape(char, plus=False) == encoded

    def test_space_and_slash_with_plus(self) -> None:
        assert url_escape("a b/c") == "a+b%2Fc"

    def test_space_and_slash_without_plus(self) -> None:
        assert url_escape("a b/c", plus=False) == "a%20b/c"

    def test_non_ascii_is_utf8_encoded(self) -> None:
        assert url_escape("caf\u00e9 \u20ac") == "caf%C3%A9+%E2%82%AC"
        assert url_escape("\U0001f600", plus=False) == "%F0%9F%98%80"

    def test_bytes_are_encoded_as_they_are(self) -> None:
        assert url_escape(b"\xff a/") == "%FF+a%2F"
        assert url_escape(b"\xff a/", plus=False) == "%FF%20a/"
        assert url_escape(b"plain") == "plain"

    def test_empty(self) -> None:
        assert url_escape("") == ""
        assert url_escape(b"") == ""

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"x"), memoryview(b"x")])
    def test_other_types_raise_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"url_escape\(\) expects str or bytes"):
            url_escape(value)

    def test_lone_surrogate_raises(self) -> None:
        with pytest.raises(UnicodeEncodeError):
            url_escape("a b\ud800")

    @given(st.text() | st.binary())
    def test_agrees_with_the_stdlib(self, value: str | bytes) -> None:
        assert url_escape(value) == urllib.parse.quote_plus(value)
        assert url_escape(value, plus=False) == urllib.parse.quote(value, safe="/")


class TestUrlUnescape:
    def test_plus_is_space_by_default(self) -> None:
        assert url_unescape("a+b%20c%2B") == "a b c+"

    def test_plus_is_kept_without_plus(self) -> None:
        assert url_unescape("a+b%20c%2B", plus=False) == "a+b c+"

    def test_utf8_is_decoded(self) -> None:
        assert url_unescape("caf%C3%A9") == "caf\u00e9"
        assert url_unescape("caf%c3%a9") == "caf\u00e9"

    def test_invalid_utf8_becomes_replacement_character(self) -> None:
        assert url_unescape("a%FFb") == "a\ufffdb"

    def test_other_encoding(self) -> None:
        assert url_unescape("caf%E9+\u00e9", encoding="latin-1") == "caf\u00e9 \u00e9"
        assert url_unescape(b"caf%E9", "latin-1") == "caf\u00e9"

    def test_encoding_none_returns_bytes(self) -> None:
        assert url_unescape("a+b%FF%00", None) == b"a b\xff\x00"
        assert url_unescape("a+b%FF", encoding=None, plus=False) == b"a+b\xff"
        assert url_unescape("\u00e9%E9", None) == b"\xc3\xa9\xe9"

    def test_bytes_input(self) -> None:
        assert url_unescape(b"a+%C3%A9") == "a \u00e9"
        assert url_unescape(b"a+%C3%A9", plus=False) == "a+\u00e9"
        assert url_unescape(b"a+%FF", None) == b"a \xff"

    @pytest.mark.parametrize("value", ["%", "%4", "%zz", "%%41", "100%"])
    def test_incomplete_escapes_are_kept(self, value: str) -> None:
        expected = value.replace("%41", "A")
        assert url_unescape(value) == expected
        assert url_unescape(value, None) == expected.encode()

    def test_unknown_codec_raises_even_without_escapes(self) -> None:
        with pytest.raises(LookupError):
            url_unescape("plain", encoding="no-such-codec")

    def test_encoding_of_wrong_type_raises(self) -> None:
        with pytest.raises(TypeError):
            url_unescape("plain", encoding=8)  # type: ignore[call-overload]

    @pytest.mark.parametrize("value", [1, bytearray(b"x")])
    def test_value_of_wrong_type_raises(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"url_unescape\(\) expects str or bytes"):
            url_unescape(value)


@given(st.text(), st.booleans())
def test_unescape_inverts_escape(text: str, plus: bool) -> None:
    assert url_unescape(url_escape(text, plus=plus), plus=plus) == text


@given(st.binary(), st.booleans())
def test_unescape_inverts_escape_for_bytes(data: bytes, plus: bool) -> None:
    assert url_unescape(url_escape(data, plus=plus), None, plus=plus) == data


class TestParseQsBytes:
    def test_values_are_raw_bytes(self) -> None:
        assert parse_qs_bytes("a=1&b=%FF&a=%C3%A9") == {
            "a": [b"1", b"\xc3\xa9"],
            "b": [b"\xff"],
        }

    def test_plus_is_space_in_names_and_values(self) -> None:
        assert parse_qs_bytes(b"a+b=c+d%2B") == {"a b": [b"c d+"]}

    def test_bytes_names_are_read_as_latin1(self) -> None:
        assert parse_qs_bytes(b"\xe9=\xe9&%C3%A9=1") == {
            "\u00e9": [b"\xe9"],
            "\u00c3\u00a9": [b"1"],
        }

    def test_str_is_read_as_latin1(self) -> None:
        assert parse_qs_bytes("\u00e9=\u00e9") == {"\u00e9": [b"\xe9"]}

    def test_str_beyond_latin1_raises_value_error(self) -> None:
        with pytest.raises(ValueError, match="pass the raw query as bytes"):
            parse_qs_bytes("a=\u20ac")

    def test_blank_values_are_dropped_by_default(self) -> None:
        assert parse_qs_bytes("a=&b&c=1") == {"c": [b"1"]}

    def test_blank_values_can_be_kept(self) -> None:
        assert parse_qs_bytes("a=&b&c=1", keep_blank_values=True) == {
            "a": [b""],
            "b": [b""],
            "c": [b"1"],
        }

    def test_semicolon_is_not_a_separator(self) -> None:
        assert parse_qs_bytes("a=1;b=2") == {"a": [b"1;b=2"]}

    def test_empty(self) -> None:
        assert parse_qs_bytes("") == {}
        assert parse_qs_bytes(b"") == {}

    def test_malformed_fields_are_ignored_unless_strict(self) -> None:
        assert parse_qs_bytes("&&a=1&") == {"a": [b"1"]}
        with pytest.raises(ValueError):
            parse_qs_bytes("&&a=1&", strict_parsing=True)
        with pytest.raises(ValueError):
            parse_qs_bytes("novalue", strict_parsing=True)

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"a=1")])
    def test_other_types_raise_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"parse_qs_bytes\(\) expects str or bytes"):
            parse_qs_bytes(value)

    @given(
        st.lists(
            st.tuples(
                st.text(alphabet=st.characters(max_codepoint=0xFF), min_size=1),
                st.binary(min_size=1),
            ),
            max_size=8,
        )
    )
    def test_round_trip_with_url_escape(self, fields: list[tuple[str, bytes]]) -> None:
        query = "&".join(
            f"{url_escape(name.encode('latin-1'))}={url_escape(value)}"
            for name, value in fields
        )
        expected: dict[str, list[bytes]] = {}
        for name, value in fields:
            expected.setdefault(name, []).append(value)
        assert parse_qs_bytes(query) == expected
        assert parse_qs_bytes(query.encode("ascii")) == expected
