"""Template syntax and semantics, through Template(...).generate()."""

from __future__ import annotations

import datetime
import sys
import traceback
from typing import Any

import pytest

from squall.template import ParseError, Template


def render(source: str, _name: str = "<string>", **kwargs: Any) -> bytes:
    return Template(source, name=_name).generate(**kwargs)


# -- expressions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kwargs", "expected"),
    [
        ("Hello {{ name }}!", {"name": "Ada"}, b"Hello Ada!"),
        ("{{ 1 + 2 }}", {}, b"3"),
        ("{{ x }}", {"x": None}, b"None"),
        ("{{ x }}", {"x": [1, "<"]}, b"[1, &#x27;&lt;&#x27;]"),
        ("{{ x }}", {"x": b"<b>"}, b"&lt;b&gt;"),
        ("{{ x }}", {"x": "<a href=\"x\">&'</a>"}, b"&lt;a href=&quot;x&quot;&gt;&amp;&#x27;&lt;/a&gt;"),
        ("{{ x }}", {"x": "caf\u00e9"}, "caf\u00e9".encode()),
        ("{{ x }}", {"x": True}, b"True"),
        ("{{ a, }}", {"a": 1}, b"(1,)"),
        ("{{ x['k'] }}", {"x": {"k": "<"}}, b"&lt;"),
        ("{{ \"#\" + x }}", {"x": "a"}, b"#a"),
        ("{{ x # a comment }}", {"x": "a"}, b"a"),
        ("{{ f(1,\n 2) }}", {"f": lambda a, b: a + b}, b"3"),
        ("{{ x }}{{ y }}", {"x": "a", "y": "b"}, b"ab"),
        ("{{ '{}' }}{{ '}' }}", {}, b"{}}"),
    ],
)
def test_expressions_are_escaped_python(source: str, kwargs: dict[str, Any], expected: bytes) -> None:
    assert render(source, **kwargs) == expected


def test_str_subclass_is_written_as_its_text() -> None:
    class Shouty(str):
        # Neither method may be called: the text itself is written.
        def __str__(self) -> str:  # pragma: no cover
            return "SHOUT"

        def __format__(self, spec: str) -> str:  # pragma: no cover
            return "FORMAT"

    assert render("{{ x }}|{% raw x %}", x=Shouty("quiet")) == b"quiet|quiet"


def test_raw_writes_without_escaping() -> None:
    assert render("{% raw x %}", x="<b>") == b"<b>"
    assert render("{% raw x %}", x=b"<b>") == b"<b>"
    assert render("{% raw x %}", x=5) == b"5"
    assert render("{% raw x # c %}", x="<") == b"<"


def test_output_is_utf8_bytes() -> None:
    assert render("\u00e9{{ x }}", x="\u2603") == "\u00e9\u2603".encode()


def test_literal_delimiters() -> None:
    assert render("{{! x }}|{%! if %}|{#! c #}") == b"{{ x }}|{% if %}|{# c #}"
    assert render("{{!") == b"{{"


def test_more_than_two_braces_use_the_innermost_pair() -> None:
    assert render("{{{x}}}", x=5) == b"{5}"
    assert render("{{{{x}}}}", x=5) == b"{{5}}"
    assert render("a { b } c") == b"a { b } c"
    assert render("{") == b"{"


def test_comments_are_dropped() -> None:
    assert render("a{# anything {{ at all }} #}b") == b"ab"
    assert render("a{% comment anything %}b") == b"ab"


# -- control statements -----------------------------------------------------------


def test_if_elif_else() -> None:
    source = "{% if x > 1 %}big{% elif x == 1 %}one{% else %}small{% end %}"
    assert [render(source, x=v) for v in (2, 1, 0)] == [b"big", b"one", b"small"]


def test_for_with_else_break_continue() -> None:
    source = (
        "{% for i in items %}{% if i == 2 %}{% continue %}{% end %}"
        "{% if i == 4 %}{% break %}{% end %}{{ i }},{% else %}done{% end %}"
    )
    assert render(source, items=[1, 2, 3]) == b"1,3,done"
    assert render(source, items=[1, 4, 5]) == b"1,"


def test_while() -> None:
    assert render("{% set n = 3 %}{% while n %}{{ n }}{% set n -= 1 %}{% end %}") == b"321"


def test_try_except_else_finally_keeps_output_before_the_error() -> None:
    source = "{% try %}a{{ 1 / x }}b{% except ZeroDivisionError %}E{% else %}L{% finally %}F{% end %}"
    assert render(source, x=0) == b"aEF"
    assert render(source, x=1) == b"a1.0bLF"


def test_empty_blocks_are_allowed() -> None:
    assert render("{% if x %}{% else %}{% end %}{% for i in [] %}{% end %}", x=1) == b""


def test_set_import_and_from() -> None:
    source = (
        "{% import math %}{% from os import path as p %}"
        "{% set x = math.floor(2.5) %}{{ x }} {{ p.basename('/a/b') }}"
    )
    assert render(source) == b"2 b"


def test_set_inside_block_is_visible_after_it() -> None:
    assert render("{% set x = 1 %}{% if 1 %}{% set x = x + 1 %}{% end %}{{ x }}") == b"2"


def test_multiline_statement_inside_brackets() -> None:
    assert render('{% set x = """a\nb""" %}{{ x }}') == b"a\nb"
    assert render("{% set x = [1,\r\n 2] %}{{ len(x) }}") == b"2"


def test_apply_passes_rendered_text() -> None:
    seen: list[object] = []

    def upper(text: str) -> str:
        seen.append(text)
        return text.upper()

    assert render("a{% apply upper %}b{{ x }}{% end %}c", upper=upper, x="<y>") == b"aB&LT;Y&GT;c"
    assert seen == ["b&lt;y&gt;"]


def test_apply_result_may_be_bytes_and_apply_nests() -> None:
    source = "{% apply f %}{% apply g %}x{% end %}{% end %}"
    assert render(source, f=lambda s: s.encode() + b"!", g=lambda s: s * 2) == b"xx!"


def test_apply_inside_loop_and_with_statements() -> None:
    source = "{% for i in range(2) %}{% apply f %}{% set j = i * 2 %}{{ j }}{% end %}{% end %}"
    assert render(source, f=lambda s: f"[{s}]") == b"[0][2]"


def test_apply_body_with_comment_expression() -> None:
    assert render("{% apply f # why %}x{% end %}", f=str.upper) == b"X"


def test_module_calls_the_modules_namespace_without_escaping() -> None:
    class Modules:
        @staticmethod
        def Entry(value: str, show: bool = False) -> str:
            return f"<entry {value} {show}>"

    source = "{% module Entry(x) %}|{% module Entry(x, show=True) %}"
    assert render(source, x="a", _tt_modules=Modules) == b"<entry a False>|<entry a True>"


def test_standard_namespace() -> None:
    source = (
        "{{ escape('<') }}{{ xhtml_escape('>') }}|{% raw url_escape('a b&') %}|"
        "{% raw json_encode({'a': '</'}) %}|{{ squeeze(' a \t b ') }}|"
        "{{ datetime.date(2020, 1, 2) }}|{{ _tt_utf8('x') }}|{{ isinstance('', _tt_string_types) }}"
    )
    # escape() output is escaped again by autoescape; _tt_utf8 gives bytes,
    # which are written as the text they encode.
    assert render(source) == b'&amp;lt;&amp;gt;|a+b%26|{"a": "<\\/"}|a b|2020-01-02|x|True'


def test_namespace_kwargs_override_defaults() -> None:
    assert render("{{ escape(x) }}", x="<", escape=lambda v: "E") == b"E"


def test_datetime_is_the_module() -> None:
    assert render("{{ datetime is d }}", d=datetime) == b"True"


def test_template_can_be_given_bytes() -> None:
    assert Template("caf\u00e9 {{ x }}".encode()).generate(x=1) == "caf\u00e9 1".encode()


def test_generate_twice_is_independent() -> None:
    t = Template("{% set y = x %}{{ y }}")
    assert t.generate(x=1) == b"1"
    assert t.generate(x=2) == b"2"
    with pytest.raises(NameError):
        t.generate()


def test_code_is_the_generated_python() -> None:
    t = Template("{{ x }}")
    assert "def _tt_execute" in t.code
    compile(t.code, "check", "exec")
    assert repr(t) == "<Template '<string>'>"


# -- autoescape -------------------------------------------------------------------


def test_autoescape_none_per_template() -> None:
    assert Template("{{ x }}", autoescape=None).generate(x="<") == b"<"


def test_autoescape_directive_applies_to_the_whole_file() -> None:
    assert render("{{ x }}{% autoescape None %}{{ x }}", x="<") == b"<<"
    t = Template("{% autoescape None %}{{ x }}")
    assert t.autoescape is None


def test_autoescape_with_another_function() -> None:
    def stars(text: str) -> str:
        assert isinstance(text, str)
        return "*" + text + "*"

    assert render("{% autoescape stars %}{{ x }}|{{ 5 }}|{% raw x %}", x=b"a", stars=stars) == b"*a*|*5*|a"
    assert Template("{{ x }}", autoescape="json_encode").generate(x="<") == b'"<"'


def test_autoescape_function_may_return_bytes() -> None:
    assert render("{% autoescape f %}{{ 1 }}", f=lambda s: s.encode() * 2) == b"11"


def test_host_supplied_xhtml_escape_is_used() -> None:
    def host_escape(value: str | bytes) -> str:
        assert isinstance(value, str)
        return "[" + value + "]"

    assert render("{{ x }}{{ 2 }}", x="<", xhtml_escape=host_escape) == b"[<][2]"


# -- whitespace -------------------------------------------------------------------


def test_whitespace_default_depends_on_the_name() -> None:
    source = "a  \n\n  b\t\tc\n"
    assert render(source, _name="x.html") == b"a\nb c\n"
    assert render(source, _name="x.js") == b"a\nb c\n"
    assert render(source, _name="x.txt") == source.encode()
    assert render(source) == source.encode()


def test_whitespace_argument_and_compress_whitespace() -> None:
    source = "a  \n\n  b"
    assert Template(source, whitespace="oneline").generate() == b"a b"
    assert Template(source, name="x.html", whitespace="all").generate() == source.encode()
    assert Template(source, compress_whitespace=True).generate() == b"a\nb"
    assert Template(source, name="x.html", compress_whitespace=False).generate() == source.encode()


def test_whitespace_argument_errors() -> None:
    with pytest.raises(ValueError, match="both"):
        Template("", whitespace="all", compress_whitespace=True)
    with pytest.raises(ValueError, match="invalid whitespace mode 'tight'"):
        Template("", whitespace="tight")


def test_whitespace_directive_applies_to_the_rest_of_the_file() -> None:
    assert render("a  \n b{% whitespace oneline %}c  \n d{% whitespace all %}e  \n f") == b"a  \n bc de  \n f"


def test_pre_text_is_not_compressed() -> None:
    assert render("<pre>a  \n\n b</pre>", _name="x.html") == b"<pre>a  \n\n b</pre>"
    assert render("<pre>{{ 1 }}  x  ", _name="x.html") == b"<pre>1 x "


def test_expression_output_is_not_compressed() -> None:
    assert render("{{ x }}", _name="x.html", x="a  \n\n b") == b"a  \n\n b"


# -- parse errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("a\n{% if x %}\nb", "Missing {% end %} block for if", 2),
        ("{% for x in y %}{% if x %}{% end %}", "Missing {% end %} block for for", 1),
        ("\n\n{% end %}", "Extra {% end %} block", 3),
        ("{% foo %}", "unknown operator: 'foo'", 1),
        ("{%if\tx%}{% end %}", "unknown operator: 'if\\tx'", 1),
        ("{% else %}", "else outside if/for/while/try block", 1),
        ("{% elif x %}", "elif outside if block", 1),
        ("{% except %}", "except outside try block", 1),
        ("{% finally %}", "finally outside try block", 1),
        ("{% for x in y %}{% elif x %}{% end %}", "elif block cannot be attached to for block", 1),
        ("{% try %}{% elif x %}{% end %}", "elif block cannot be attached to try block", 1),
        ("{% if x %}{% except %}{% end %}", "except block cannot be attached to if block", 1),
        ("{% break %}", "break outside for/while block", 1),
        ("{% if x %}{% continue %}{% end %}", "continue outside for/while block", 1),
        ("{% for x in y %}{% apply f %}{% break %}{% end %}{% end %}", "break inside apply block", 1),
        ("{{ }}", "Empty expression", 1),
        ("{% %}", "Empty block tag ({% %})", 1),
        ("\n{{ x", "Missing end expression }}", 2),
        ("{% x", "Missing end block %}", 1),
        ("{# x", "Missing end comment #}", 1),
        ("{% whitespace tight %}", "invalid whitespace mode 'tight'", 1),
        ("{% block %}{% end %}", "block missing name", 1),
        ("{% apply %}{% end %}", "apply missing method name", 1),
        ("{% set %}", "set missing statement", 1),
        ("{% raw %}", "raw missing expression", 1),
        ("{% module %}", "module missing expression", 1),
        ("{% include %}", "include missing file path", 1),
        ("{% extends %}", "extends missing file path", 1),
        ("{% autoescape %}", "autoescape missing function name", 1),
        ("{% if x %}{% extends 'b' %}{% end %}", "extends must be at the top level", 1),
        ("{% extends 'a' %}\n{% extends 'b' %}", "can extend only one other template", 2),
        ("{% extends 'base.html' %}", "extends 'base.html' needs a template loader", 1),
        ("x\n{% include 'x.html' %}", "include 'x.html' needs a template loader", 2),
        ("a\n\n{{ x y }}", "invalid Python syntax", 3),
        ("{% if x %}\n{% set = %}\n{% end %}", "invalid Python syntax", 2),
        ("{% try %}{% else %}{% end %}", "invalid Python syntax", 1),
        ("{{ x # c }}{{ ) }}", "invalid Python syntax", 1),
        ("{{ '\x00' }}", "NUL character", 1),
        ("ok\n{% set x = '\x00' %}", "NUL character", 2),
        ("\n{{ '\ud800' }}", "invalid character '\\ud800'", 2),
        ("a\n{% set x = 1 \\ %}", "invalid Python syntax", 2),
        ("a\n{% set x = (1 %}", "was never closed", 2),
        ("\n{{ yield }}", "yield is not allowed", 2),
        ("{% apply f %}\n\n{{ (yield) }}{% end %}", "yield is not allowed", 3),
    ],
)
def test_parse_errors_name_the_file_and_line(source: str, message: str, line: int) -> None:
    with pytest.raises(ParseError) as info:
        Template(source, name="page.txt")
    error = info.value
    assert message in error.message
    assert (error.filename, error.lineno) == ("page.txt", line)
    assert str(error) == f"{error.message} at page.txt:{line}"


def test_blocks_nested_too_deeply() -> None:
    source = "{% if 1 %}" * 101 + "{% end %}" * 101
    with pytest.raises(ParseError, match="nested too deeply"):
        Template(source)


def test_python_nesting_limit_is_a_parse_error() -> None:
    # CPython allows 20 statically nested loops; the 21st is a SyntaxError.
    source = "{% for i in x %}" * 21 + "{% end %}" * 21
    with pytest.raises(ParseError, match="invalid Python syntax"):
        Template(source)


def test_deeply_nested_expression_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        Template("{{ " + "-" * 200_000 + "1 }}")


def test_invalid_utf8_template_bytes() -> None:
    with pytest.raises(ParseError, match="not valid UTF-8") as info:
        Template(b"ok\n\xff", name="bad.html")
    assert (info.value.filename, info.value.lineno) == ("bad.html", 2)


def test_parse_error_without_location() -> None:
    assert str(ParseError("boom")) == "boom"
    assert ParseError("boom").lineno == 0


# -- runtime errors -------------------------------------------------------------------


def test_runtime_error_names_template_and_line() -> None:
    t = Template("line 1\n{% for i in range(2) %}\n{{ 1 / i }}\n{% end %}", name="calc.txt")
    with pytest.raises(ZeroDivisionError) as info:
        t.generate()
    assert info.value.__notes__ == ["in template calc.txt, line 3"]


def test_runtime_error_line_inside_a_merged_run() -> None:
    t = Template("{{ a }}\n{{ b }}\n{{ c() }}", name="m.txt")
    with pytest.raises(TypeError) as info:
        t.generate(a=1, b=2, c=None)
    assert info.value.__notes__ == ["in template m.txt, line 3"]


def test_runtime_error_inside_apply_and_statement() -> None:
    t = Template("x\n{% apply f %}\n{% set y = 1 / 0 %}{% end %}", name="a.txt")
    with pytest.raises(ZeroDivisionError) as info:
        t.generate(f=str)
    assert info.value.__notes__ == ["in template a.txt, line 3"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are printed from 3.11")
def test_runtime_error_traceback_shows_generated_source() -> None:
    t = Template("\n{{ boom() }}", name="tb.txt")

    def boom() -> None:
        raise KeyError("inner")

    with pytest.raises(KeyError) as info:
        t.generate(boom=boom)
    text = "".join(traceback.format_exception(info.value))
    assert "in template tb.txt, line 2" in text
    assert "boom()" in text
    assert ".generated" in text


def test_nested_template_errors_add_a_note_each() -> None:
    inner = Template("\n\n{{ 1 / 0 }}", name="inner.txt")
    outer = Template("{% raw inner.generate() %}", name="outer.txt")
    with pytest.raises(ZeroDivisionError) as info:
        outer.generate(inner=inner)
    assert info.value.__notes__ == ["in template inner.txt, line 3", "in template outer.txt, line 1"]


def test_exception_notes_added_to_existing_notes() -> None:
    def fail() -> None:
        exc = ValueError("x")
        exc.__notes__ = ["earlier"]
        raise exc

    with pytest.raises(ValueError) as info:
        render("{{ fail() }}", fail=fail)
    assert info.value.__notes__ == ["earlier", "in template <string>, line 1"]


def test_bytes_that_are_not_utf8_fail_clearly() -> None:
    with pytest.raises(UnicodeDecodeError):
        render("{{ x }}", x=b"\xff")


# -- the spec's examples ----------------------------------------------------------------


def test_spec_basic_template() -> None:
    source = (
        "<html>\n   <head>\n      <title>{{ title }}</title>\n   </head>\n   <body>\n"
        "     <ul>\n       {% for item in items %}\n         <li>{{ escape(item) }}</li>\n"
        "       {% end %}\n     </ul>\n   </body>\n </html>\n"
    )
    out = Template(source, name="template.html").generate(
        title="My title", items=["Item 1", "Item 2", "Item <3>"]
    )
    text = out.decode()
    assert "<title>My title</title>" in text
    # Whitespace is compressed (.html); the explicit escape() is escaped again
    # by autoescape, as in the spec's system.
    assert "<ul>\n\n<li>Item 1</li>\n\n<li>Item 2</li>\n\n<li>Item &amp;lt;3&amp;gt;</li>\n\n</ul>" in text


def test_spec_if_and_expression_forms() -> None:
    assert render("{% if len(items) > 2 %}{{ items[0] }}{% end %}", items=[1, 2, 3]) == b"1"


def test_spec_localized_template_with_host_functions() -> None:
    source = (
        '<title>FriendFeed - {{ _("Sign in") }}</title>\n'
        '<form action="{{ request.path }}" method="post">\n'
        '<div><input type="submit" value="{{ _("Sign in") }}"/></div>\n'
        "{% raw xsrf_form_html() %}\n</form>"
    )

    class Request:
        path = "/login?next=<x>"

    out = Template(source, name="login.html").generate(
        _=lambda s: s.upper(),
        request=Request(),
        xsrf_form_html=lambda: '<input type="hidden" name="_xsrf" value="t"/>',
    ).decode()
    assert "<title>FriendFeed - SIGN IN</title>" in out
    assert 'action="/login?next=&lt;x&gt;"' in out
    assert '<input type="hidden" name="_xsrf" value="t"/>' in out


def test_spec_module_entries() -> None:
    class Modules:
        @staticmethod
        def Entry(entry: str, show_comments: bool = False) -> str:
            return f"<div>{entry}{'+c' if show_comments else ''}</div>"

    home = "{% for entry in entries %}\n{% module Entry(entry) %}\n{% end %}"
    assert Template(home, name="home.html").generate(
        entries=["a", "b"], _tt_modules=Modules
    ) == b"\n<div>a</div>\n\n<div>b</div>\n"
    entry = "{% module Entry(entry, show_comments=True) %}"
    assert Template(entry).generate(entry="a", _tt_modules=Modules) == b"<div>a+c</div>"
