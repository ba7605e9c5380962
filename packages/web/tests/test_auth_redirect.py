"""Authentication, redirects and the open-redirect defences."""

from __future__ import annotations

import asyncio
import urllib.parse

import pytest

from squall.testing import raw_exchange
from squall.web import (
    Application,
    RedirectHandler,
    RequestHandler,
    addslash,
    authenticated,
    removeslash,
)


class UserFromHeader(RequestHandler):
    def get_current_user(self):
        self.lookups = getattr(self, "lookups", 0) + 1
        return self.request.headers.get("X-User")


class Private(UserFromHeader):
    @authenticated
    def get(self):
        self.current_user
        self.write(f"hello {self.current_user} ({self.lookups} lookup)")

    @authenticated
    def post(self):
        self.write("posted")


class AsyncUser(RequestHandler):
    async def prepare(self):
        await asyncio.sleep(0)
        self.current_user = self.get_argument("u", None)

    @authenticated
    def get(self):
        self.write("async user " + self.current_user)


class Slashes(RequestHandler):
    @addslash
    def get(self, *args):
        self.write("with slash " + self.request.path)

    @addslash
    def post(self, *args):
        self.write("post")


class NoSlashes(RequestHandler):
    @removeslash
    def get(self):
        self.write("without slash " + self.request.path)

    @removeslash
    def post(self):
        self.write("post")


class Redirector(RequestHandler):
    def get(self):
        kind = self.get_argument("kind")
        if kind == "status":
            self.redirect("/target", status=307)
        elif kind == "bad-status":
            self.redirect("/target", status=200)
        elif kind == "crlf":
            self.redirect("/target\r\nX-Injected: 1")
        else:
            self.redirect("/target")


@pytest.fixture
def app():
    return Application(
        [
            (r"/private", Private),
            (r"/async-user", AsyncUser),
            (r"/slash(/?)", Slashes),
            (r"/(.*)/add", Slashes),
            (r"/noslash.*", NoSlashes),
            (r"/r", Redirector),
            (r"/old/(\w+)/(\w+)", RedirectHandler, {"url": "/new/{1}/{0}"}),
            (r"/named/(?P<id>\d+)", RedirectHandler, {"url": "/item?id={id}", "permanent": False}),
            (r".*//.*", NoSlashes),
        ],
        login_url="/login",
    )


def test_authenticated_redirects_get_and_refuses_post(fetch):
    response = fetch("/private")
    assert response.code == 302
    assert response.headers["Location"] == "/login?next=%2Fprivate"
    assert fetch("/private", method="POST", body="").code == 403
    response = fetch("/private", headers={"X-User": "ada"})
    assert response.body == b"hello ada (1 lookup)"


def test_current_user_set_in_async_prepare(fetch):
    assert fetch("/async-user?u=bob").body == b"async user bob"
    assert fetch("/async-user").code == 302


async def test_authenticated_next_is_sanitised(serve):
    fetch = serve(Application([(r".*", Private)], login_url="/login"))
    conn_targets = ["//evil.example/x", "/\\evil.example/x", "///evil.example"]

    for target in conn_targets:
        answer = await raw_exchange(
            fetch.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        head = answer.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        assert head[0].startswith("HTTP/1.1 302 "), head[0]
        locations = [line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("location:")]
        assert len(locations) == 1, head
        next_url = urllib.parse.parse_qs(urllib.parse.urlsplit(locations[0]).query)["next"][0]
        assert next_url.startswith("/") and not next_url.startswith(("//", "/\\")), next_url


def test_absolute_login_url_gets_full_next(serve):
    fetch = serve(Application([(r"/p", Private)], login_url="https://login.example/auth"))
    location = fetch("/p?x=1").headers["Location"]
    assert location.startswith("https://login.example/auth?next=")
    assert urllib.parse.parse_qs(location.split("?", 1)[1])["next"][0].endswith("/p?x=1")


def test_login_url_with_query_is_kept(serve):
    fetch = serve(Application([(r"/p", Private)], login_url="/login?from=app"))
    assert fetch("/p").headers["Location"] == "/login?from=app"


def test_missing_login_url_is_500(serve):
    fetch = serve(Application([(r"/p", Private)]))
    assert fetch("/p").code == 500


def test_addslash_and_removeslash(fetch):
    response = fetch("/slash?a=1")
    assert response.code == 301 and response.headers["Location"] == "/slash/?a=1"
    assert fetch("/slash/").body == b"with slash /slash/"
    assert fetch("/slash", method="POST", body="").code == 404
    response = fetch("/noslash/?b=2")
    assert response.code == 301 and response.headers["Location"] == "/noslash?b=2"
    assert fetch("/noslash").body == b"without slash /noslash"
    assert fetch("/noslash/", method="POST", body="").code == 404


async def test_slash_decorators_never_redirect_off_site(raw_request):
    for target, decorator in ((b"//evil.example/", "remove"), (b"//evil.example/add", "add")):
        data = await raw_request(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = data.split(b"\r\n\r\n")[0].decode()
        locations = [line for line in head.split("\r\n") if line.lower().startswith("location:")]
        for line in locations:
            value = line.split(":", 1)[1].strip()
            assert not value.startswith(("//", "/\\")), (decorator, value)


def test_redirect_variants(fetch):
    assert fetch("/r?kind=plain").code == 302
    response = fetch("/r?kind=status")
    assert response.code == 307 and response.headers["Location"] == "/target"
    assert fetch("/r?kind=bad-status").code == 500
    response = fetch("/r?kind=crlf")
    assert response.code == 500 and "X-Injected" not in response.headers


def test_redirect_handler_groups_and_query(fetch):
    response = fetch("/old/a/b?x=1&x=2")
    assert response.code == 301
    assert response.headers["Location"] == "/new/b/a?x=1&x=2"
    response = fetch("/named/7?y=3")
    assert response.code == 302
    assert response.headers["Location"] == "/item?id=7&y=3"
