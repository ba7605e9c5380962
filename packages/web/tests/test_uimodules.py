"""UI modules and UI methods through real HTTP, including the spec's examples.

The spec's "UI modules" section, with ``tornado`` renamed to ``squall``: an
``Entry`` module in a ``uimodules`` Python module, used by ``home.html`` and
``entry.html``; module CSS and JavaScript placed once in the page; and the
``{% module Template(...) %}`` form with ``set_resources``.
"""

from __future__ import annotations

import hashlib
import types

import pytest

import squall.escape
import squall.template
import squall.web

class FakeDB:
    """Stands in for the spec's ``self.db`` (a database connection)."""

    entries = {1: {"id": 1, "title": "First <post>"}, 2: {"id": 2, "title": "Second"}}

    def query(self, sql):
        assert sql == "SELECT * FROM entries ORDER BY date DESC"
        return [self.entries[2], self.entries[1]]

    def get(self, sql, entry_id):
        assert sql == "SELECT * FROM entries WHERE id = %s"
        return self.entries.get(int(entry_id))


class BaseHandler(squall.web.RequestHandler):
    db = FakeDB()


# --- the spec's handlers -------------------------------------------------------


class HomeHandler(BaseHandler):
    def get(self):
        entries = self.db.query("SELECT * FROM entries ORDER BY date DESC")
        self.render("home.html", entries=entries)


class EntryHandler(BaseHandler):
    def get(self, entry_id):
        entry = self.db.get("SELECT * FROM entries WHERE id = %s", entry_id)
        if not entry: raise squall.web.HTTPError(404)
        self.render("entry.html", entry=entry)


class TemplateModuleHandler(BaseHandler):
    def get(self):
        self.render("template-module-page.html", entry=self.db.entries[1])


SPEC_TEMPLATES = {
    "home.html": (
        "<html><head><title>Blog</title></head><body>\n"
        "{% for entry in entries %}\n"
        "{% module Entry(entry) %}\n"
        "{% end %}\n"
        "</body></html>"
    ),
    "entry.html": (
        "<html><head><title>Entry</title></head><body>\n"
        "{% module Entry(entry, show_comments=True) %}\n"
        "</body></html>"
    ),
    "module-entry.html": (
        '{{ set_resources(embedded_css=".entry { margin-bottom: 1em; }") }}'
        '<div class="entry">{{ entry["title"] }}'
        "{% if show_comments %}<div class=\"comments\">comments</div>{% end %}</div>"
    ),
    "template-module-page.html": (
        "<html><head></head><body>\n"
        '{% module Template("module-entry.html", entry=entry, show_comments=True) %}\n'
        '{% module Template("module-entry.html", entry=entry, show_comments=False) %}\n'
        "</body></html>"
    ),
}


# --- the spec's uimodules.py (both versions of Entry in one) ----------------


class Entry(squall.web.UIModule):
    def embedded_css(self):
        return ".entry { margin-bottom: 1em; }"

    def render(self, entry, show_comments=False):
        return self.render_string(
            "module-entry-plain.html", entry=entry, show_comments=show_comments)


uimodules = types.ModuleType("uimodules")
uimodules.Entry = Entry  # type: ignore[attr-defined]


@pytest.fixture
def app():
    templates = dict(SPEC_TEMPLATES)
    templates["module-entry-plain.html"] = (
        '<div class="entry">{{ entry["title"] }}'
        "{% if show_comments %}<div class=\"comments\">comments</div>{% end %}</div>"
    )
    settings = {
        "ui_modules": uimodules,
        "template_loader": squall.template.DictLoader(templates),
    }
    application = squall.web.Application([
        (r"/", HomeHandler),
        (r"/entry/([0-9]+)", EntryHandler),
        (r"/template-module", TemplateModuleHandler),
    ], **settings)
    return application


def test_spec_home_page_uses_entry_module(fetch):
    response = fetch("/")
    assert response.code == 200
    body = response.body.decode()
    assert body.count('<div class="entry">') == 2
    assert body.index("Second") < body.index("First &lt;post&gt;")
    assert "comments" not in body
    # CSS once, in <head>, although the module was used twice.
    assert body.count(".entry { margin-bottom: 1em; }") == 1
    assert body.index(".entry {") < body.index("</head>")


def test_spec_entry_page_with_show_comments(fetch):
    body = fetch("/entry/1").body.decode()
    assert '<div class="comments">comments</div>' in body
    assert fetch("/entry/9").code == 404


def test_spec_template_module_with_set_resources(fetch):
    body = fetch("/template-module").body.decode()
    head, _, rest = body.partition("</head>")
    assert head.count(".entry { margin-bottom: 1em; }") == 1
    assert ".entry {" not in rest
    assert rest.count('<div class="entry">') == 2
    assert rest.count('<div class="comments">') == 1


# --- resources: placement, de-duplication, static_url ----------------------------


class Widget(squall.web.UIModule):
    def render(self, n):
        return f"<i>w{n}</i>"

    def embedded_css(self):
        return ".w{}"

    def embedded_javascript(self):
        return "widget();"

    def css_files(self):
        return ["widget.css", "/abs/shared.css"]

    def javascript_files(self):
        return "widget.js"

    def html_head(self):
        return '<meta name="widget">'

    def html_body(self):
        return "<!-- widget body -->"


class Gadget(squall.web.UIModule):
    def render(self):
        return "<b>gadget</b>"

    def css_files(self):
        return ["/abs/shared.css", "https://cdn.example/g.css"]

    def javascript_files(self):
        return ["widget.js", "https://cdn.example/g.js"]


class Page(squall.web.RequestHandler):
    def get(self, name):
        self.render(name + ".html")


RESOURCE_TEMPLATES = {
    "many.html": (
        "<html><head><title>t</title></head><body>"
        "{% for i in range(3) %}{% module Widget(i) %}{% end %}{% module Gadget() %}"
        "<p>end</p></body></html>"
    ),
    "nohead.html": "<p>{% module Widget(1) %}</p>",
    "twice.html": (
        "<html><head></head><body>"
        "{% module Template('res.html', n=1) %}{% module Template('res.html', n=2) %}"
        "</body></html>"
    ),
    "res.html": (
        "{{ set_resources(embedded_javascript='tjs();', css_files=['t.css'], "
        "javascript_files='t.js', html_head='<meta name=t>', html_body='<!-- t -->') }}"
        "[{{ n }}]"
    ),
    "conflict.html": (
        "<html><head></head><body>"
        "{% module Template('res2.html', css='a') %}{% module Template('res2.html', css='b') %}"
        "</body></html>"
    ),
    "res2.html": "{{ set_resources(embedded_css=css) }}x",
    "methods.html": "{{ shout('hi') }}|{{ whisper('HI') }}|{{ both() }}",
}


def resource_app(static_dir, **settings):
    settings.setdefault("ui_modules", {"Widget": Widget, "Gadget": Gadget})
    return squall.web.Application(
        [(r"/(\w+)", Page)],
        template_loader=squall.template.DictLoader(RESOURCE_TEMPLATES),
        static_path=str(static_dir),
        **settings,
    )


@pytest.fixture
def static_dir(tmp_path):
    squall.web.StaticFileHandler.reset()
    (tmp_path / "widget.css").write_text(".widget { color: red }")
    (tmp_path / "widget.js").write_text("function widget() {}")
    return tmp_path


def test_resources_placed_once_and_in_order(static_dir, serve):
    body = serve(resource_app(static_dir))("/many").body.decode()
    head, _, body_part = body.partition("</head>")
    css_hash = hashlib.md5((static_dir / "widget.css").read_bytes()).hexdigest()
    js_hash = hashlib.md5((static_dir / "widget.js").read_bytes()).hexdigest()
    # Relative paths go through static_url (versioned); others as given.
    assert head.count(f'href="/static/widget.css?v={css_hash}"') == 1
    assert head.count('href="/abs/shared.css"') == 1
    assert head.count('href="https://cdn.example/g.css"') == 1
    assert head.count(".w{}") == 1
    assert head.count('<meta name="widget">') == 1
    assert head.index("widget.css") < head.index("<style")
    # JavaScript after the content, just before </body>.
    tail = body_part[body_part.index("<p>end</p>"):]
    assert tail.count(f'src="/static/widget.js?v={js_hash}"') == 1
    assert tail.count('src="https://cdn.example/g.js"') == 1
    assert tail.count("widget();") == 1
    assert tail.count("<!-- widget body -->") == 1
    assert tail.rstrip().endswith("</body></html>")
    assert "widget();" not in head
    assert body.count("<i>w") == 3


def test_page_without_head_or_body_is_left_alone(static_dir, serve):
    assert serve(resource_app(static_dir))("/nohead").body.decode() == "<p><i>w1</i></p>"


def test_template_module_resources_once_per_template(static_dir, serve):
    body = serve(resource_app(static_dir))("/twice").body.decode()
    head, _, rest = body.partition("</head>")
    assert "[1][2]" in rest
    assert head.count("/static/t.css") == 1
    assert head.count("<meta name=t>") == 1
    assert rest.count("/static/t.js") == 1
    assert rest.count("tjs();") == 1
    assert rest.count("<!-- t -->") == 1


def test_template_module_conflicting_resources_is_an_error(static_dir, serve):
    assert serve(resource_app(static_dir))("/conflict").code == 500


def test_ui_modules_as_list_of_modules_and_dicts(static_dir, serve):
    mod = types.ModuleType("more")
    mod.Widget = Widget  # type: ignore[attr-defined]
    fetch = serve(resource_app(static_dir, ui_modules=[mod, {"Gadget": Gadget}]))
    body = fetch("/many").body.decode()
    assert body.count("<i>w") == 3 and "<b>gadget</b>" in body


def test_ui_modules_setting_of_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="ui_modules"):
        squall.web.Application([], ui_modules=42)
    with pytest.raises(TypeError, match="UIModule"):
        squall.web.Application([], ui_modules={"X": object})


def shout(handler, text):
    return text.upper() + "!" + handler.request.path


def whisper(handler, text):
    return text.lower()


def both(handler):
    return type(handler).__name__


@pytest.mark.parametrize("form", ["module", "dict", "list"])
def test_ui_methods_receive_the_handler(static_dir, serve, form):
    if form == "module":
        methods = types.ModuleType("uimethods")
        methods.shout, methods.whisper, methods.both = shout, whisper, both  # type: ignore[attr-defined]
    elif form == "dict":
        methods = {"shout": shout, "whisper": whisper, "both": both}
    else:
        first = types.ModuleType("m1")
        first.shout = shout  # type: ignore[attr-defined]
        methods = [first, {"whisper": whisper}, {"both": both}]
    fetch = serve(resource_app(static_dir, ui_methods=methods))
    assert fetch("/methods").body.decode() == "HI!/methods|hi|Page"


def test_builtin_modules(static_dir, serve):
    templates = {
        "b.html": "{% module linkify('see http://example.com') %}@@{% module xsrf_form_html() %}"
    }

    class Builtins(squall.web.RequestHandler):
        def get(self):
            self.render("b.html")

    fetch = serve(
        squall.web.Application(
            [(r"/", Builtins)],
            template_loader=squall.template.DictLoader(templates),
            xsrf_cookies=True,
        )
    )
    link, form = fetch("/").body.decode().split("@@")
    assert '<a href="http://example.com">http://example.com</a>' in link
    assert form.startswith('<input type="hidden" name="_xsrf" value="')


# --- template escaping through render_string -------------------------------------

HOSTILE = [
    "<script>alert('x')</script>",
    '" onmouseover="evil()',
    "a & b &amp; c",
    "'single' \"double\" <>&",
    "caf\u00e9 \u2603 <\u00e9>",
    "",
    "plain text",
    "&lt;already&gt;",
]


class Escaper(squall.web.RequestHandler):
    def get(self):
        out = []
        for value in HOSTILE:
            out.append(self.render_string("esc.html", value=value).decode("utf-8"))
        namespace = self.get_template_namespace()
        fast = squall.template.xhtml_escape
        out.append(f"{namespace['escape'] is fast} {namespace['xhtml_escape'] is fast}")
        self.write("\x00".join(out))


def test_template_escaping_matches_squall_escape(serve):
    templates = {"esc.html": "{{ value }}|{{ escape(value) }}|{{ xhtml_escape(value) }}"}
    fetch = serve(
        squall.web.Application(
            [(r"/", Escaper)], template_loader=squall.template.DictLoader(templates)
        )
    )
    *rendered, identity = fetch("/").body.decode().split("\x00")
    # The names are squall.template's own escaper, which compiled templates
    # call directly (no wrapper per {{ }}).
    assert identity == "True True"
    assert len(rendered) == len(HOSTILE)
    for value, line in zip(HOSTILE, rendered):
        expected = squall.escape.xhtml_escape(value)
        # {{ escape(v) }} is escaped again by autoescape, like in the spec.
        assert line == f"{expected}|{squall.escape.xhtml_escape(expected)}|" + (
            squall.escape.xhtml_escape(expected)
        )
        assert "<" not in line and ">" not in line and '"' not in line and "'" not in line
