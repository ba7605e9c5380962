"""The standalone escaping helpers and filter_whitespace."""

from __future__ import annotations

import pytest

from squall.template import Template, filter_whitespace, json_encode, squeeze, url_escape, xhtml_escape


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("<a href=\"x\" title='y'>&amp;</a>", "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;amp;&lt;/a&gt;"),
        (b"<\xc3\xa9>", "&lt;\u00e9&gt;"),
        (bytearray(b"&"), "&amp;"),
        (42, "42"),
        (-1, "-1"),
        (True, "True"),
        (None, "None"),
        (1.5, "1.5"),
        (["<"], "[&#x27;&lt;&#x27;]"),
    ],
)
def test_xhtml_escape(value: object, expected: str) -> None:
    assert xhtml_escape(value) == expected


def test_xhtml_escape_returns_exact_str_for_subclasses() -> None:
    class Sub(str):
        pass

    result = xhtml_escape(Sub("a<"))
    assert type(result) is str and result == "a&lt;"
    result = xhtml_escape(Sub("plain"))
    assert type(result) is str and result == "plain"


@pytest.mark.parametrize(
    ("value", "plus", "expected"),
    [
        ("a b/c?&=\u00e9", True, "a+b%2Fc%3F%26%3D%C3%A9"),
        ("a b/c?&=\u00e9", False, "a%20b/c%3F%26%3D%C3%A9"),
        (b"a b", True, "a+b"),
        (5, True, "5"),
    ],
)
def test_url_escape(value: object, plus: bool, expected: str) -> None:
    assert url_escape(value, plus=plus) == expected


def test_json_encode_protects_script_end() -> None:
    assert json_encode({"a": "</script>"}) == '{"a": "<\\/script>"}'
    assert json_encode([1, None]) == "[1, null]"


def test_squeeze() -> None:
    assert squeeze("  a \t\r\n\x00 b  ") == "a b"
    assert squeeze(b"x  y") == "x y"


def test_utf8_helper_in_namespace() -> None:
    assert Template("{{ _tt_utf8(None) }}|{{ _tt_utf8(b'b') }}|{{ _tt_utf8('s') }}").generate() == b"None|b|s"
    with pytest.raises(TypeError, match="expected str, bytes or None, got int"):
        Template("{{ _tt_utf8(5) }}").generate()


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        ("all", " a \t\n\n b ", " a \t\n\n b "),
        ("single", " a \t\n\n \r\n b\t\tc ", " a\nb c "),
        ("single", "a\u00a0\u00a0b", "a\u00a0\u00a0b"),
        ("oneline", " a \t\n\n b\u00a0 c ", " a b c "),
    ],
)
def test_filter_whitespace(mode: str, text: str, expected: str) -> None:
    assert filter_whitespace(mode, text) == expected


def test_filter_whitespace_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="invalid whitespace mode 'compact'"):
        filter_whitespace("compact", "x")
