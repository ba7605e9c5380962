"""Templates from handlers: loaders, namespace, autoescape, cache, UI modules/methods."""

from __future__ import annotations

import types

import pytest

import squall.template
from squall.web import Application, RequestHandler, TemplateModule, UIModule, url


class Entry(UIModule):
    def render(self, entry, show_comments=False):
        return self.render_string("module-entry.html", entry=entry, show_comments=show_comments)

    def embedded_css(self):
        return ".entry { margin-bottom: 1em; }"

    def embedded_javascript(self):
        return "var entries = true;"

    def css_files(self):
        return ["/css/entry.css"]

    def javascript_files(self):
        return "https://cdn.example/entry.js"


def shout(handler, text):
    return text.upper() + "!" + handler.request.path


uimodules = types.ModuleType("uimodules")
uimodules.Entry = Entry  # type: ignore[attr-defined]
uimethods = types.ModuleType("uimethods")
uimethods.shout = shout  # type: ignore[attr-defined]

TEMPLATES = {
    "namespace.html": (
        "{% raw escape('<a>') %}|{% raw xhtml_escape('&') %}|{{ url_escape('a b') }}|"
        "{% raw json_encode({'k': 1}) %}|{{ squeeze('a   b') }}|{{ datetime.date(2020, 1, 2) }}|"
        "{{ handler.__class__.__name__ }}|{{ request.path }}|{{ current_user }}|"
        "{{ locale.code }}|{{ _('Hello') }}|{{ pgettext('ctx', 'Hello') }}|"
        "{{ reverse_url('named', 5) }}|{{ shout('hi') }}|{{ extra }}|{{ static_url('a.css') }}"
    ),
    "escaped.html": "{{ value }}|{% raw value %}",
    "home.html": (
        "<html><head><title>t</title></head><body>"
        "{% for entry in entries %}{% module Entry(entry) %}{% end %}"
        "</body></html>"
    ),
    "entry.html": "<html><head></head><body>{% module Entry(entry, show_comments=True) %}</body></html>",
    "module-entry.html": "<div class=\"entry\">{{ entry }}{% if show_comments %} +comments{% end %}</div>",
    "tmod.html": (
        "<html><head></head><body>{% module Template('tmod-part.html', who='ada') %}</body></html>"
    ),
    "tmod-part.html": "{{ set_resources(embedded_css='.p{}') }}part for {{ who }}",
    "linkify.html": "{% module linkify('see http://example.com') %}",
    "broken.html": "{{ undefined_name }}",
}


class Namespace(RequestHandler):
    def get_current_user(self):
        return "ada"

    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        namespace["extra"] = "added"
        return namespace

    def get(self, *args):
        self.render(self.get_argument("t"), value="<b>", entries=["one", "two"], entry="solo")


@pytest.fixture
def app():
    return Application(
        [(r"/t", Namespace), url(r"/n/(\d+)", Namespace, name="named")],
        template_loader=squall.template.DictLoader(TEMPLATES),
        ui_modules=uimodules,
        ui_methods=uimethods,
        static_path="/nonexistent",
    )


def test_template_namespace(fetch):
    response = fetch("/t?t=namespace.html")
    assert response.code == 200, response.body
    parts = response.body.decode().split("|")
    assert parts == [
        "&lt;a&gt;",
        "&amp;",
        "a+b",
        '{"k": 1}',
        "a b",
        "2020-01-02",
        "Namespace",
        "/t",
        "ada",
        "en_US",
        "Hello",
        "Hello",
        "/n/5",
        "HI!/t",
        "added",
        "/static/a.css",
    ]


def test_autoescape_on_by_default(fetch):
    assert fetch("/t?t=escaped.html").body.decode() == "&lt;b&gt;|<b>"


def test_autoescape_setting(tmp_path, serve):
    (tmp_path / "escaped.html").write_text("{{ value }}")
    fetch = serve(Application([(r"/t", Namespace)], template_path=str(tmp_path), autoescape=None))
    assert fetch("/t?t=escaped.html").body.decode() == "<b>"


def test_ui_modules_and_resources(fetch):
    body = fetch("/t?t=home.html").body.decode()
    assert body.count('<div class="entry">') == 2
    assert '<div class="entry">one</div>' in body
    # CSS and JavaScript once, in <head> and before </body>.
    assert body.count(".entry { margin-bottom: 1em; }") == 1
    assert body.index("margin-bottom") < body.index("</head>")
    assert body.count("var entries = true;") == 1
    assert body.index("var entries") > body.index('<div class="entry">two</div>')
    assert '<link href="/css/entry.css" type="text/css" rel="stylesheet"/>' in body
    assert '<script src="https://cdn.example/entry.js"' in body
    entry = fetch("/t?t=entry.html").body.decode()
    assert '<div class="entry">solo +comments</div>' in entry


def test_template_module_and_linkify(fetch):
    body = fetch("/t?t=tmod.html").body.decode()
    assert "part for ada" in body
    assert ".p{}" in body.split("</head>")[0]
    assert '<a href="http://example.com">http://example.com</a>' in fetch("/t?t=linkify.html").body.decode()


def test_template_error_is_500(fetch):
    assert fetch("/t?t=broken.html").code == 500
    assert fetch("/t?t=missing.html").code == 500


def test_template_cache_and_debug(tmp_path, serve):
    page = tmp_path / "page.html"
    page.write_text("version 1")
    cached = serve(Application([(r"/t", Namespace)], template_path=str(tmp_path)))
    debug = serve(
        Application([(r"/t", Namespace)], template_path=str(tmp_path), debug=True, autoreload=False)
    )
    assert cached("/t?t=page.html").body.decode() == "version 1"
    assert debug("/t?t=page.html").body.decode() == "version 1"
    page.write_text("version 2")
    assert cached("/t?t=page.html").body.decode() == "version 1"
    assert debug("/t?t=page.html").body.decode() == "version 2"


def test_get_template_path_and_create_template_loader(tmp_path, serve):
    (tmp_path / "x.html").write_text("from {{ where }}")
    created = []

    class Custom(Namespace):
        def get_template_path(self):
            return str(tmp_path)

        def create_template_loader(self, template_path):
            created.append(template_path)
            return squall.template.Loader(template_path, namespace={"where": "custom loader"})

    fetch = serve(Application([(r"/t", Custom)]))
    assert fetch("/t?t=x.html").body.decode() == "from custom loader"
    assert fetch("/t?t=x.html").body.decode() == "from custom loader"
    assert created == [str(tmp_path)]


def test_static_url_needs_static_path(serve):
    class Handler(RequestHandler):
        def get(self):
            self.write(self.static_url("x.png"))

    assert serve(Application([(r"/", Handler)]))("/").code == 500
    assert serve(Application([(r"/", Handler)], static_path="/s"))("/").body == b"/static/x.png"


def test_template_module_class_is_exported():
    assert issubclass(TemplateModule, UIModule)
