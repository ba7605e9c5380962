"""utf8, to_unicode and its aliases, recursive_unicode, squeeze."""

from __future__ import annotations

from typing import Any

import pytest

from squall import escape
from squall.escape import (
    native_str,
    recursive_unicode,
    squeeze,
    to_basestring,
    to_unicode,
    utf8,
)


class TestUtf8:
    def test_str_is_encoded_as_utf8(self) -> None:
        assert utf8("caf\u00e9 \u20ac \U0001f600") == b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"

    def test_empty_str(self) -> None:
        assert utf8("") == b""

    def test_bytes_pass_through_unchanged(self) -> None:
        value = b"\xff\x00raw"
        assert utf8(value) is value

    def test_none_passes_through(self) -> None:
        assert utf8(None) is None

    def test_str_subclass_is_encoded(self) -> None:
        class Name(str):
            pass

        assert utf8(Name("\u00e9")) == b"\xc3\xa9"

    @pytest.mark.parametrize(
        "value", [1, 1.5, bytearray(b"x"), memoryview(b"x"), ["a"], object()]
    )
    def test_other_types_raise_type_error_naming_the_type(self, value: Any) -> None:
        with pytest.raises(TypeError, match=type(value).__name__):
            utf8(value)

    def test_lone_surrogate_cannot_be_encoded(self) -> None:
        with pytest.raises(UnicodeEncodeError):
            utf8("\ud800")


class TestToUnicode:
    def test_bytes_are_decoded_as_utf8(self) -> None:
        assert to_unicode(b"caf\xc3\xa9 \xe2\x82\xac") == "caf\u00e9 \u20ac"

    def test_str_passes_through_unchanged(self) -> None:
        value = "text"
        assert to_unicode(value) is value

    def test_none_passes_through(self) -> None:
        assert to_unicode(None) is None

    def test_invalid_utf8_raises(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            to_unicode(b"\xff")

    @pytest.mark.parametrize("value", [1, bytearray(b"x"), memoryview(b"x")])
    def test_other_types_raise_type_error_naming_the_type(self, value: Any) -> None:
        with pytest.raises(TypeError, match=type(value).__name__):
            to_unicode(value)

    def test_aliases_are_the_same_function(self) -> None:
        assert native_str is to_unicode
        assert to_basestring is to_unicode
        assert escape._unicode is to_unicode


class TestRecursiveUnicode:
    def test_nested_structure_is_decoded(self) -> None:
        data = {b"key": [b"a", (b"b", 1, None)], "str": {b"inner": b"\xc3\xa9"}}
        assert recursive_unicode(data) == {
            "key": ["a", ("b", 1, None)],
            "str": {"inner": "\u00e9"},
        }

    def test_container_types_are_kept(self) -> None:
        result = recursive_unicode([(b"a",), [b"b"], {b"c": b"d"}])
        assert type(result) is list
        assert type(result[0]) is tuple
        assert type(result[1]) is list
        assert type(result[2]) is dict

    def test_input_is_not_modified(self) -> None:
        data = {b"k": [b"v"]}
        recursive_unicode(data)
        assert data == {b"k": [b"v"]}

    @pytest.mark.parametrize("value", [1, 2.5, None, "s", True])
    def test_other_values_are_returned_as_they_are(self, value: Any) -> None:
        assert recursive_unicode(value) is value

    def test_bare_bytes(self) -> None:
        assert recursive_unicode(b"\xe2\x82\xac") == "\u20ac"

    def test_invalid_utf8_raises(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            recursive_unicode([b"\xff"])


class TestSqueeze:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("a b", "a b"),
            ("  a  b  ", "a b"),
            ("a\t\n\r\x0b\x0c b", "a b"),
            ("a\x00\x01\x1fb", "a b"),
            ("", ""),
            (" \t\n ", ""),
            ("one", "one"),
            # Only ASCII whitespace and controls are squeezed inside the text.
            ("a\u00a0\u00a0b", "a\u00a0\u00a0b"),
            ("a\u3000b", "a\u3000b"),
        ],
    )
    def test_squeeze(self, value: str, expected: str) -> None:
        assert squeeze(value) == expected

    def test_bytes_raise_type_error(self) -> None:
        with pytest.raises(TypeError, match="bytes"):
            squeeze(b"a  b")  # type: ignore[arg-type]
