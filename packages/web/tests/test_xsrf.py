"""XSRF protection: cookie for everyone, masked tokens, checks, origin policy."""

from __future__ import annotations

import binascii
import urllib.parse

import pytest

from squall.web import Application, RequestHandler

from websupport import cookies_of


class Form(RequestHandler):
    def get(self):
        self.write(self.xsrf_form_html() + "\n" + self.xsrf_token.decode())

    def post(self):
        self.write("posted")

    put = patch = delete = post


class Api(RequestHandler):
    def check_xsrf_cookie(self):
        pass  # token-authenticated API: no cookies, no XSRF check

    def post(self):
        self.write("api ok")


class Plain(RequestHandler):
    def get(self):
        self.write("plain")


SETTINGS = {"xsrf_cookies": True}


@pytest.fixture
def app():
    return Application([(r"/form", Form), (r"/api", Api), (r"/plain", Plain)], **SETTINGS)


def _cookie(response):
    return cookies_of(response)["_xsrf"].split(";")[0]


def _tokens(body: bytes):
    html, token = body.decode().split("\n")
    return html, token


def test_cookie_is_set_for_every_user(fetch):
    response = fetch("/plain")
    assert "_xsrf" in cookies_of(response)
    assert "Expires=" in cookies_of(response)["_xsrf"]
    # Not again once the browser has it.
    again = fetch("/plain", headers={"Cookie": _cookie(response)})
    assert "_xsrf" not in cookies_of(again)


def test_masked_tokens_differ_per_page_but_verify(fetch):
    first = fetch("/form")
    cookie = _cookie(first)
    _, token1 = _tokens(first.body)
    _, token2 = _tokens(fetch("/form", headers={"Cookie": cookie}).body)
    assert token1 != token2
    for token in (token1, token2):
        version, mask, masked, stamp = token.split("|")
        assert version == "2" and stamp.isdigit()
        assert len(binascii.a2b_hex(mask)) == 16
    for token in (token1, token2):
        response = fetch(
            "/form", method="POST", body=urllib.parse.urlencode({"_xsrf": token}), headers={"Cookie": cookie}
        )
        assert response.body == b"posted"


def test_form_html(fetch):
    html, token = _tokens(fetch("/form").body)
    assert html == f'<input type="hidden" name="_xsrf" value="{token}"/>'


@pytest.mark.parametrize("header", ["X-XSRFToken", "X-CSRFToken"])
def test_header_token(fetch, header):
    page = fetch("/form")
    _, token = _tokens(page.body)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = fetch(
            "/form",
            method=method,
            body="",
            headers={"Cookie": _cookie(page), header: token},
            allow_nonstandard_methods=method == "DELETE",  # DELETE with a (empty) body
        )
        assert response.code == 200, method


def test_refusals(fetch):
    page = fetch("/form")
    cookie = _cookie(page)
    _, token = _tokens(page.body)
    other_page = fetch("/form")
    _, other_token = _tokens(other_page.body)
    cases = [
        ({"Cookie": cookie}, ""),  # no token
        ({}, urllib.parse.urlencode({"_xsrf": token})),  # no cookie
        ({"Cookie": cookie}, urllib.parse.urlencode({"_xsrf": other_token})),  # another user's token
        ({"Cookie": cookie}, "_xsrf=garbage"),
        ({"Cookie": cookie}, "_xsrf=2|zz|yy|1"),
        ({"Cookie": "_xsrf=nothex"}, urllib.parse.urlencode({"_xsrf": token})),
    ]
    for headers, body in cases:
        if body:  # a form, so that every method's token is read from the body
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = fetch(
                "/form", method=method, body=body, headers=headers, allow_nonstandard_methods=method == "DELETE"
            )
            assert response.code == 403, (method, headers, body)


def test_version_1_tokens_are_accepted(fetch):
    raw = "0123456789abcdef0123456789abcdef"
    response = fetch(
        "/form", method="POST", body="_xsrf=" + raw, headers={"Cookie": "_xsrf=" + raw}
    )
    assert response.body == b"posted"


def test_check_xsrf_cookie_can_be_overridden(fetch):
    assert fetch("/api", method="POST", body="").body == b"api ok"


def test_safe_methods_are_not_checked(fetch):
    assert fetch("/plain").code == 200
    # HEAD is not defined by Plain: 405, not an XSRF 403.
    assert fetch("/plain", method="HEAD").code == 405
    assert fetch("/plain", method="OPTIONS").code == 405


def test_xsrf_cookie_kwargs_and_version(serve):
    fetch = serve(
        Application(
            [(r"/form", Form)],
            xsrf_cookies=True,
            xsrf_cookie_version=1,
            xsrf_cookie_kwargs={"httponly": True, "samesite": "Strict"},
        )
    )
    response = fetch("/form")
    cookie = cookies_of(response)["_xsrf"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    _, token = _tokens(response.body)
    assert "|" not in token and len(token) == 32


def test_origin_check(serve):
    fetch = serve(Application([(r"/form", Form)], xsrf_cookies=True, xsrf_origin_check=True))
    page = fetch("/form")
    _, token = _tokens(page.body)
    base = {"Cookie": _cookie(page), "X-XSRFToken": token}
    port = fetch.port
    assert fetch("/form", method="POST", body="", headers=base).code == 200
    ok_origin = {**base, "Origin": f"http://127.0.0.1:{port}"}
    assert fetch("/form", method="POST", body="", headers=ok_origin).code == 200
    assert fetch("/form", method="POST", body="", headers={**base, "Origin": "http://evil.example"}).code == 403
    assert fetch("/form", method="POST", body="", headers={**base, "Origin": "null"}).code == 403
    assert fetch("/form", method="POST", body="", headers={**base, "Sec-Fetch-Site": "cross-site"}).code == 403
    assert fetch("/form", method="POST", body="", headers={**base, "Sec-Fetch-Site": "same-site"}).code == 403
    assert fetch("/form", method="POST", body="", headers={**base, "Sec-Fetch-Site": "same-origin"}).code == 200
