"""Loaders, inheritance, includes and blocks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from squall.template import BaseLoader, DictLoader, Loader, ParseError, Template, TemplateNotFound


def load(templates: dict[str, str], name: str, **kwargs: object) -> Template:
    return DictLoader(templates, **kwargs).load(name)  # type: ignore[arg-type]


# -- inheritance --------------------------------------------------------------------

BASE = (
    "<h>{% block title %}Base title{% end %}</h>"
    "<b>{% block body %}default body{% block side %}side{% end %}{% end %}</b>"
)


def test_extends_replaces_blocks() -> None:
    templates = {
        "base.txt": BASE,
        "page.txt": "{% extends 'base.txt' %}{% block title %}Page {{ n }}{% end %}",
    }
    assert load(templates, "page.txt").generate(n=1) == b"<h>Page 1</h><b>default bodyside</b>"


def test_multi_level_inheritance_most_derived_block_wins() -> None:
    templates = {
        "base.txt": BASE,
        "mid.txt": '{% extends "base.txt" %}{% block title %}Mid{% end %}{% block side %}mid-side{% end %}',
        "leaf.txt": "{% extends mid.txt %}{% block side %}leaf-side{% end %}",
    }
    assert load(templates, "leaf.txt").generate() == b"<h>Mid</h><b>default bodyleaf-side</b>"
    assert load(templates, "mid.txt").generate() == b"<h>Mid</h><b>default bodymid-side</b>"


def test_child_content_outside_blocks_is_ignored() -> None:
    templates = {
        "base.txt": "[{% block a %}A{% end %}]",
        "child.txt": "ignored{% extends 'base.txt' %}{% set x = 1 %}also ignored{% block a %}B{% end %}",
    }
    assert load(templates, "child.txt").generate() == b"[B]"


def test_overriding_an_outer_block_drops_inner_parent_blocks() -> None:
    templates = {
        "base.txt": BASE,
        "child.txt": "{% extends 'base.txt' %}{% block body %}new{% block side %}S{% end %}{% end %}",
    }
    assert load(templates, "child.txt").generate() == b"<h>Base title</h><b>newS</b>"


def test_block_without_extends_renders_in_place_and_last_definition_wins() -> None:
    assert Template("{% block a %}1{% end %}|{% block a %}2{% end %}").generate() == b"2|2"


def test_block_statements_share_the_render_scope() -> None:
    templates = {
        "base.txt": "{% set x = 'base' %}{% block a %}{% end %}{{ x }}",
        "child.txt": "{% extends 'base.txt' %}{% block a %}{% set x = 'child' %}{% end %}",
    }
    assert load(templates, "child.txt").generate() == b"child"


def test_blocks_use_the_autoescape_of_their_own_file() -> None:
    templates = {
        "base.txt": "{{ v }}|{% block a %}{% end %}",
        "child.txt": "{% autoescape None %}{% extends 'base.txt' %}{% block a %}{{ v }}{% end %}",
    }
    assert load(templates, "child.txt").generate(v="<") == b"&lt;|<"


def test_nested_blocks_cannot_form_a_loop() -> None:
    # Each winning definition's nested blocks win too, so swapping the
    # nesting in a child still renders (the child's inner block wins).
    templates = {
        "base.txt": "{% block a %}A{% block b %}B{% end %}{% end %}",
        "child.txt": "{% extends 'base.txt' %}{% block b %}b{% block a %}a{% end %}{% end %}",
    }
    assert load(templates, "child.txt").generate() == b"a"


def test_extends_loop_is_detected() -> None:
    templates = {"a.txt": "{% extends 'b.txt' %}", "b.txt": "\n{% extends 'a.txt' %}"}
    with pytest.raises(ParseError, match="includes or extends itself") as info:
        load(templates, "a.txt")
    assert "a.txt -> b.txt -> a.txt" in str(info.value)
    assert (info.value.filename, info.value.lineno) == ("b.txt", 2)


def test_self_extension_is_detected() -> None:
    with pytest.raises(ParseError, match="itself"):
        load({"a.txt": "{% extends 'a.txt' %}"}, "a.txt")


def test_missing_parent_names_it() -> None:
    with pytest.raises(TemplateNotFound) as info:
        load({"a.txt": "x\n{% extends 'nope.txt' %}"}, "a.txt")
    error = info.value
    assert error.template_name == "nope.txt"
    assert (error.filename, error.lineno) == ("a.txt", 2)
    assert "'nope.txt' not found" in str(error)
    assert str(error).endswith("at a.txt:2")


def test_broken_parent_reports_its_own_location() -> None:
    with pytest.raises(ParseError) as info:
        load({"a.txt": "{% extends 'b.txt' %}", "b.txt": "\n\n{% if %}"}, "a.txt")
    assert (info.value.filename, info.value.lineno) == ("b.txt", 3)


# -- include ------------------------------------------------------------------------


def test_include_sees_and_sets_local_variables() -> None:
    templates = {
        "page.txt": "{% for item in items %}{% include 'item.txt' %}{% end %}{{ last }}",
        "item.txt": "<{{ item }}>{% set last = item + '&' %}",
    }
    assert load(templates, "page.txt").generate(items=["a", "b"]) == b"<a><b>b&amp;"


def test_include_uses_its_own_autoescape_and_whitespace() -> None:
    templates = {
        "page.html": "{% autoescape None %}{{ v }}  x  {% include 'inc.txt' %}",
        "inc.txt": "{{ v }}  y  ",
    }
    assert load(templates, "page.html").generate(v="<") == b"< x &lt;  y  "


def test_include_resolves_relative_paths() -> None:
    templates = {
        "sub/a.txt": "{% include 'b.txt' %}|{% include '../top.txt' %}|{% include '/abs.txt' %}",
        "sub/b.txt": "B",
        "top.txt": "T",
        "/abs.txt": "ABS",
    }
    assert load(templates, "sub/a.txt").generate() == b"B|T|ABS"


def test_blocks_inside_included_templates_take_part_in_inheritance() -> None:
    templates = {
        "base.txt": "<{% block title %}T{% end %}>{% block body %}{% end %}",
        "child.txt": "{% extends 'base.txt' %}{% block body %}{% include 'inc.txt' %}{% end %}",
        "inc.txt": "[{% block title %}I{% end %}]",
    }
    assert load(templates, "child.txt").generate() == b"<I>[I]"


def test_include_inside_control_structures_and_apply() -> None:
    templates = {
        "page.txt": (
            "{% if 1 %}{% include 'i.txt' %}{% else %}{% end %}"
            "{% apply f %}{% include 'i.txt' %}{% end %}"
        ),
        "i.txt": "{% block b %}i{% end %}",
    }
    assert load(templates, "page.txt").generate(f=str.upper) == b"iI"


def test_including_a_template_that_extends_is_an_error() -> None:
    templates = {
        "base.txt": "B",
        "child.txt": "{% extends 'base.txt' %}",
        "page.txt": "\n{% include 'child.txt' %}",
    }
    with pytest.raises(ParseError, match="cannot include 'child.txt': it extends 'base.txt'") as info:
        load(templates, "page.txt")
    assert (info.value.filename, info.value.lineno) == ("page.txt", 2)


def test_include_loop_is_detected() -> None:
    templates = {"a.txt": "{% include 'b.txt' %}", "b.txt": "x\n{% include 'a.txt' %}"}
    with pytest.raises(ParseError, match="includes or extends itself") as info:
        load(templates, "a.txt")
    assert (info.value.filename, info.value.lineno) == ("b.txt", 2)


def test_include_loop_from_a_template_made_outside_the_loader() -> None:
    loader = DictLoader({"b.txt": "{% include 'a.txt' %}", "a.txt": "{% include 'b.txt' %}"})
    with pytest.raises(ParseError, match="itself"):
        Template("{% include 'b.txt' %}", name="a.txt", loader=loader)


def test_missing_include_names_it() -> None:
    with pytest.raises(TemplateNotFound) as info:
        load({"a.txt": "a\n\n{% include 'nope.txt' %}"}, "a.txt")
    assert (info.value.template_name, info.value.filename, info.value.lineno) == ("nope.txt", "a.txt", 3)


def test_missing_include_of_an_include_names_the_inner_file() -> None:
    templates = {"a.txt": "{% include 'b.txt' %}", "b.txt": "\n{% include 'nope.txt' %}"}
    with pytest.raises(TemplateNotFound) as info:
        load(templates, "a.txt")
    assert (info.value.template_name, info.value.filename, info.value.lineno) == ("nope.txt", "b.txt", 2)


def test_template_not_found_from_a_custom_loader() -> None:
    class Empty(BaseLoader):
        def resolve_path(self, name: str, parent_path: str | None = None) -> str:
            return name

        def _create_template(self, name: str) -> Template:
            raise TemplateNotFound(name)

    with pytest.raises(TemplateNotFound) as info:
        Empty().load("x.html")
    assert str(info.value) == "template 'x.html' not found"


def test_runtime_error_in_included_template_names_both_files() -> None:
    template = load({"page.txt": "x\n{% include 'inc.txt' %}", "inc.txt": "\n{{ 1 / 0 }}"}, "page.txt")
    with pytest.raises(ZeroDivisionError) as info:
        template.generate()
    assert info.value.__notes__ == ["in template inc.txt, line 2 (included from page.txt, line 2)"]


def test_syntax_error_in_included_template_names_both_files() -> None:
    with pytest.raises(ParseError) as info:
        Template("\n{% include 'inc.txt' %}", name="page.txt", loader=DictLoader({"inc.txt": "{% set x = %}"}))
    error = info.value
    assert (error.filename, error.lineno) == ("inc.txt", 1)


# -- loaders ------------------------------------------------------------------------


def test_loader_reads_files_and_caches(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.html").write_text("<t>{% block b %}{% end %}</t>")
    (tmp_path / "sub" / "page.html").write_text("{% extends '../base.html' %}{% block b %}{% include 'part.html' %}{% end %}")
    (tmp_path / "sub" / "part.html").write_text("caf\u00e9  {{ x }}", encoding="utf-8")
    loader = Loader(str(tmp_path))
    page = loader.load("sub/page.html")
    assert page.generate(x="<") == "<t>caf\u00e9 &lt;</t>".encode()
    assert loader.load("sub/page.html") is page
    assert set(loader.templates) == {"sub/page.html", "base.html", "sub/part.html"}
    (tmp_path / "sub" / "part.html").write_text("changed")
    # Cached: the change is not seen until reset().
    assert loader.load("sub/page.html").generate(x="<") == "<t>caf\u00e9 &lt;</t>".encode()
    loader.reset()
    assert loader.templates == {}
    assert loader.load("sub/page.html").generate() == b"<t>changed</t>"


def test_loader_accepts_path_objects(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A")
    assert Loader(tmp_path).load("a.txt").generate() == b"A"


def test_loader_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateNotFound, match="'nope.html' not found") as info:
        Loader(str(tmp_path)).load("nope.html")
    assert info.value.filename is None
    assert "nope.html" in info.value.detail


def test_loader_refuses_names_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "a.txt").write_text("{% include '../secret.txt' %}")
    loader = Loader(str(root))
    with pytest.raises(TemplateNotFound, match="outside the loader's root"):
        loader.load("../secret.txt")
    with pytest.raises(TemplateNotFound, match="outside the loader's root"):
        loader.load(str(tmp_path / "secret.txt"))
    with pytest.raises(TemplateNotFound, match="outside the loader's root"):
        loader.load("a.txt")


def test_loader_resolve_path(tmp_path: Path) -> None:
    loader = Loader(str(tmp_path))
    assert loader.resolve_path("b.html", "sub/a.html") == "sub/b.html"
    assert loader.resolve_path("../b.html", "sub/a.html") == "b.html"
    assert loader.resolve_path("b.html") == "b.html"
    assert loader.resolve_path("b.html", "<string>") == "b.html"
    assert loader.resolve_path("/b.html", "sub/a.html") == "/b.html"
    assert loader.resolve_path("../../x.html", "sub/a.html") == "../../x.html"


def test_loader_invalid_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_bytes(b"\n\xc3(")
    with pytest.raises(ParseError, match="not valid UTF-8") as info:
        Loader(str(tmp_path)).load("bad.html")
    assert (info.value.filename, info.value.lineno) == ("bad.html", 2)


def test_dict_loader_missing_key() -> None:
    with pytest.raises(TemplateNotFound, match="'x' not found"):
        DictLoader({}).load("x")


def test_loader_settings_reach_templates() -> None:
    loader = DictLoader(
        {"a.html": "{{ v }}  \n\n  {{ greet() }}"},
        autoescape=None,
        namespace={"greet": lambda: "hi"},
        whitespace="oneline",
    )
    template = loader.load("a.html")
    assert template.generate(v="<") == b"< hi"
    assert (template.autoescape, template.whitespace, template.loader) == (None, "oneline", loader)
    loader.namespace["greet"] = lambda: "bye"
    assert template.generate(v="") == b" bye"


def test_template_argument_overrides_loader_settings() -> None:
    loader = DictLoader({}, autoescape=None)
    assert Template("{{ v }}", loader=loader, autoescape="xhtml_escape").generate(v="<") == b"&lt;"


def test_loader_rejects_bad_whitespace() -> None:
    with pytest.raises(ValueError, match="invalid whitespace mode"):
        DictLoader({}, whitespace="none")


def test_base_loader_is_abstract() -> None:
    loader = BaseLoader()
    with pytest.raises(NotImplementedError):
        loader.load("x")

    class OnlyResolves(BaseLoader):
        def resolve_path(self, name: str, parent_path: str | None = None) -> str:
            return name

    with pytest.raises(NotImplementedError):
        OnlyResolves().load("x")


def test_custom_loader() -> None:
    class Upper(BaseLoader):
        def resolve_path(self, name: str, parent_path: str | None = None) -> str:
            return name.lower()

        def _create_template(self, name: str) -> Template:
            return Template("name={{ n }}", name=name, loader=self)

    loader = Upper(namespace={"n": "N"})
    assert loader.load("A").generate() == b"name=N"
    assert loader.load("a") is loader.load("A")


def test_cache_is_thread_safe() -> None:
    created: list[str] = []

    class Slow(DictLoader):
        def _create_template(self, name: str) -> Template:
            created.append(name)
            return super()._create_template(name)

    loader = Slow({"a.txt": "{% include 'b.txt' %}", "b.txt": "b"})
    results: list[Template] = []
    threads = [threading.Thread(target=lambda: results.append(loader.load("a.txt"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert sorted(created) == ["a.txt", "b.txt"]
