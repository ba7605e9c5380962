"""Routing: URL specs, order, groups, virtual hosts, reverse_url, defaults."""

from __future__ import annotations

import json

import pytest

from squall.web import Application, ErrorHandler, RequestHandler, URLSpec, url


class EchoArgs(RequestHandler):
    def get(self, *args, **kwargs):
        self.write({"args": list(args), "kwargs": kwargs, "name": type(self).__name__})


class Other(EchoArgs):
    pass


class Fallback(RequestHandler):
    def initialize(self, message):
        self.message = message

    def get(self):
        self.set_status(404)
        self.write(self.message)


@pytest.fixture
def app():
    application = Application(
        [
            (r"/", EchoArgs),
            (r"/exact", EchoArgs),
            (r"/s/([^/]+)/(\d+)", EchoArgs),
            (r"/named/(?P<first>[^/]+)/(?P<second>[^/]*)", EchoArgs),
            url(r"/item/(\d+)", Other, name="item"),
            (r"/opt/(a)?", EchoArgs),
            (r"/first.*", EchoArgs),
            (r"/first-literal", Other),  # shadowed by the regex above
            (r"/str", "squall.web.ErrorHandler", {"status_code": 410}),
        ],
        default_host="main.example",
    )
    application.add_handlers(r"admin\.example", [(r"/", Other), (r"/only-admin", Other)])
    return application


def test_positional_groups_are_url_decoded(fetch):
    response = fetch("/s/caf%C3%A9%2Fx/12")
    assert json.loads(response.body) == {"args": ["café/x", "12"], "kwargs": {}, "name": "EchoArgs"}


def test_named_groups_are_keyword_arguments(fetch):
    response = fetch("/named/a%20b/")
    assert json.loads(response.body)["kwargs"] == {"first": "a b", "second": ""}


def test_unmatched_optional_group_is_none(fetch):
    assert json.loads(fetch("/opt/").body)["args"] == [None]


def test_first_match_wins_even_for_literal_paths(fetch):
    assert json.loads(fetch("/first-literal").body)["name"] == "EchoArgs"


def test_pattern_must_match_whole_path(fetch):
    assert fetch("/exact/more").code == 404
    assert fetch("/s/a/12x").code == 404


def test_unknown_path_is_404_error_page(fetch):
    response = fetch("/missing")
    assert response.code == 404
    assert response.body == b"<html><title>404: Not Found</title><body>404: Not Found</body></html>"
    # Unknown paths are 404 for unsafe methods too, not an XSRF 403 or a 405.
    assert fetch("/missing", method="POST", body="a=1").code == 404


def test_handler_given_by_import_path(fetch):
    assert fetch("/str").code == 410


def test_virtual_hosts(fetch):
    admin = fetch("/", headers={"Host": "admin.example"})
    assert json.loads(admin.body)["name"] == "Other"
    # Paths not in the admin host fall back to the catch-all rules.
    assert fetch("/exact", headers={"Host": "admin.example:8080"}).code == 200
    assert json.loads(fetch("/", headers={"Host": "www.example"}).body)["name"] == "EchoArgs"
    assert fetch("/only-admin", headers={"Host": "www.example"}).code == 404


def test_reverse_url(app):
    assert app.reverse_url("item", 42) == "/item/42"
    assert app.reverse_url("item", "a b/c") == "/item/a%20b/c"
    with pytest.raises(KeyError):
        app.reverse_url("nope")
    with pytest.raises(ValueError):
        app.reverse_url("item")


def test_urlspec_reverse_rules():
    assert URLSpec(r"/a/(\d+)/b/(\w+)$", EchoArgs).reverse(1, "x") == "/a/1/b/x"
    assert URLSpec(r"^/static\.txt$", EchoArgs).reverse() == "/static.txt"
    with pytest.raises(ValueError, match="cannot reverse"):
        URLSpec(r"/a.*", EchoArgs).reverse()
    with pytest.raises(ValueError, match="invalid URL pattern"):
        URLSpec(r"/(", EchoArgs)
    with pytest.raises(TypeError):
        Application([("/", )])
    with pytest.raises(ValueError, match="named"):
        Application([url("/a", EchoArgs, name="x"), url("/b", EchoArgs, name="x")])


def test_default_handler_class(serve):
    fetch = serve(
        Application(
            [(r"/", EchoArgs)],
            default_handler_class=Fallback,
            default_handler_args={"message": "custom not found"},
        )
    )
    response = fetch("/nothing")
    assert (response.code, response.body) == (404, b"custom not found")


def test_default_host_used_for_unknown_hosts(serve):
    application = Application([], default_host="main.example")
    application.add_handlers(r"main\.example", [(r"/home", Other)])
    fetch = serve(application)
    assert fetch("/home", headers={"Host": "unknown.example"}).code == 200
    # Behind a proxy (X-Real-Ip set), the default host is not assumed.
    assert fetch("/home", headers={"Host": "unknown.example", "X-Real-Ip": "1.2.3.4"}).code == 404


def test_error_handler_status(serve):
    fetch = serve(Application([(r"/gone", ErrorHandler, {"status_code": 410})]))
    assert fetch("/gone").code == 410
