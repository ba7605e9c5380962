"""Property tests: the parser never fails with anything but ParseError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.template import ParseError, Template

# Pieces of template syntax, so that random text often forms real tags.
FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "!", "{", "}", " ", "\n", "\r", "\t", "\x00", "'", '"', "\\",
    "#", "(", ")", "[", ":", "=", "x", "1", "<pre>", "\ud800", "yield",
    "if", "elif", "else", "for", "in", "while", "try", "except", "finally", "end", "break",
    "continue", "set", "import", "from", "extends", "block", "include", "apply", "autoescape",
    "whitespace", "comment", "raw", "module", "None", "all", "single", "oneline",
    "{% if x %}", "{% end %}", "{% for x in y %}", "{{ x }}", "{% try %}", "{% except %}",
]

template_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=40
).map("".join)


def compiles_or_parse_error(source: str, name: str) -> None:
    try:
        Template(source, name=name)
    except ParseError as error:
        assert error.filename == name
        assert str(error)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_text, st.sampled_from(["t.html", "t.txt", "<string>"]))
def test_parser_compiles_or_raises_parse_error(source: str, name: str) -> None:
    compiles_or_parse_error(source, name)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_unicode_compiles_or_raises_parse_error(source: str) -> None:
    compiles_or_parse_error(source, "t.html")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60))
def test_arbitrary_bytes_compile_or_raise_parse_error(source: bytes) -> None:
    compiles_or_parse_error(source.decode("latin-1"), "t.txt")
    try:
        Template(source, name="b.txt")
    except ParseError as error:
        assert error.filename == "b.txt"
