"""Cookies, signed cookies and their module-level functions."""

from __future__ import annotations

import base64
import datetime

import pytest

from squall.web import (
    Application,
    ConfigurationError,
    RequestHandler,
    create_signed_value,
    decode_signed_value,
    get_signature_key_version,
)

from websupport import cookies_of

SECRET = "a-long-random-secret"


# -- signed values, directly -------------------------------------------------


def test_round_trip_and_name_binding():
    signed = create_signed_value(SECRET, "user", "ada")
    assert decode_signed_value(SECRET, "user", signed) == b"ada"
    assert decode_signed_value(SECRET, "other", signed) is None
    assert decode_signed_value("wrong-secret", "user", signed) is None
    assert decode_signed_value(SECRET, "user", None) is None
    assert decode_signed_value(SECRET, "user", signed.decode()) == b"ada"


def test_every_single_byte_change_is_refused():
    signed = create_signed_value(SECRET, "user", "ada")
    for i in range(len(signed)):
        for replacement in (b"0", b"x", b"|"):
            tampered = signed[:i] + replacement + signed[i + 1 :]
            if tampered != signed:
                assert decode_signed_value(SECRET, "user", tampered) is None, i


def test_truncated_and_garbage_values_are_refused():
    signed = create_signed_value(SECRET, "user", "ada")
    for end in range(len(signed)):
        assert decode_signed_value(SECRET, "user", signed[:end]) is None
    for junk in (b"", b"2|", b"2|1:0|", b"2|99999999999:0|", "2|é", b"\xff\xfe", b"|||"):
        assert decode_signed_value(SECRET, "user", junk) is None


def test_expiry():
    now = 1_700_000_000.0
    signed = create_signed_value(SECRET, "user", "ada", clock=lambda: now)
    assert decode_signed_value(SECRET, "user", signed, clock=lambda: now + 30 * 86400) == b"ada"
    assert decode_signed_value(SECRET, "user", signed, clock=lambda: now + 32 * 86400) is None
    assert (
        decode_signed_value(SECRET, "user", signed, max_age_days=1, clock=lambda: now + 2 * 86400)
        is None
    )


def test_key_rotation():
    keys = {0: "old-key", 1: "new-key"}
    old = create_signed_value(keys, "user", "ada", key_version=0)
    new = create_signed_value(keys, "user", "ada", key_version=1)
    assert get_signature_key_version(old) == 0
    assert get_signature_key_version(new) == 1
    assert decode_signed_value(keys, "user", old) == b"ada"
    assert decode_signed_value(keys, "user", new) == b"ada"
    assert decode_signed_value({1: "new-key"}, "user", old) is None
    # A value signed with key 0 does not verify when it claims key 1.
    forged = old.replace(b"|1:0|", b"|1:1|", 1)
    assert decode_signed_value(keys, "user", forged) is None
    with pytest.raises(ValueError, match="key_version"):
        create_signed_value(keys, "user", "ada")
    with pytest.raises(ValueError, match="not a key"):
        create_signed_value(keys, "user", "ada", key_version=7)


def test_version_1_only_when_asked():
    signed = create_signed_value(SECRET, "user", "ada", version=1)
    assert decode_signed_value(SECRET, "user", signed) is None
    assert decode_signed_value(SECRET, "user", signed, min_version=1) == b"ada"
    with pytest.raises(ValueError, match="unsupported"):
        create_signed_value(SECRET, "user", "ada", version=3)


def test_binary_payloads_and_format():
    payload = bytes(range(256))
    signed = create_signed_value(SECRET, "n", payload)
    assert signed.startswith(b"2|1:0|10:")
    assert base64.b64encode(payload) in signed
    assert decode_signed_value(SECRET, "n", signed) == payload


# -- cookies over HTTP ---------------------------------------------------------


class SetCookies(RequestHandler):
    def get(self):
        self.set_cookie("plain", "v1")
        self.set_cookie(
            "full",
            "v2",
            domain="example.com",
            path="/app",
            expires=datetime.datetime(2030, 1, 2, 3, 4, 5),
            max_age=60,
            httponly=True,
            secure=True,
            samesite="strict",
        )
        self.set_cookie("days", "v3", expires_days=1)
        self.set_cookie("quoted", 'a,b"c')
        self.set_cookie("plain", "v1-again")  # the last value wins
        self.write("ok")


class ReadCookies(RequestHandler):
    def get(self):
        self.write(
            {
                "a": self.get_cookie("a"),
                "missing": self.get_cookie("missing", "dflt"),
                "names": sorted(self.cookies),
            }
        )


class ClearCookies(RequestHandler):
    def get(self):
        self.clear_cookie("one", path="/p", domain="example.com")
        self.clear_all_cookies()
        self.write("ok")


class BadCookie(RequestHandler):
    def get(self):
        kind = self.get_argument("kind")
        try:
            if kind == "domain":
                self.set_cookie("a", "b", domain="x; HttpOnly=0")
            elif kind == "path":
                self.set_cookie("a", "b", path="/; Secure=0")
            elif kind == "path-crlf":
                self.set_cookie("a", "b", path="/\r\nX-Injected: 1")
            elif kind == "samesite":
                self.set_cookie("a", "b", samesite="Lax\r\nX: y")
            elif kind == "samesite-unknown":
                self.set_cookie("a", "b", samesite="Sometimes")
            elif kind == "name":
                self.set_cookie("a;b", "c")
            elif kind == "value":
                self.set_cookie("a", "b\r\nX: y")
            elif kind == "value-space":
                self.set_cookie("a", "b c")
        except ValueError as exc:
            self.write("refused: " + str(exc))
            return
        self.write("accepted")


class SignedCookies(RequestHandler):
    def get(self):
        if self.get_argument("set", None):
            self.set_signed_cookie("s", self.get_argument("set"))
            self.write("set")
        else:
            value = self.get_signed_cookie("s")
            self.write(repr(value))


@pytest.fixture
def app():
    return Application(
        [
            (r"/set", SetCookies),
            (r"/read", ReadCookies),
            (r"/clear", ClearCookies),
            (r"/bad", BadCookie),
            (r"/signed", SignedCookies),
        ],
        cookie_secret=SECRET,
    )


def test_set_cookie_attributes(fetch):
    response = fetch("/set")
    cookies = cookies_of(response)
    assert cookies["plain"] == "plain=v1-again; Path=/"
    assert cookies["full"] == (
        "full=v2; Domain=example.com; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=60; "
        "Path=/app; Secure; HttpOnly; SameSite=Strict"
    )
    assert cookies["days"].startswith("days=v3; Expires=")
    assert cookies["quoted"].startswith('quoted="a\\054b\\"c"')
    assert len(response.headers.get_list("Set-Cookie")) == 4


def test_read_cookies(fetch):
    import json

    response = fetch("/read", headers={"Cookie": "a=1; b=2"})
    assert json.loads(response.body) == {"a": "1", "missing": "dflt", "names": ["a", "b"]}


def test_clear_cookies(fetch):
    response = fetch("/clear", headers={"Cookie": "x=1; y=2"})
    cookies = cookies_of(response)
    assert cookies["one"].startswith("one=; Domain=example.com; Expires=Thu, 01 Jan 1970")
    assert "Max-Age=0" in cookies["one"] and "Path=/p" in cookies["one"]
    assert set(cookies) == {"one", "x", "y"}
    assert "Max-Age=0" in cookies["x"]


@pytest.mark.parametrize(
    "kind",
    ["domain", "path", "path-crlf", "samesite", "samesite-unknown", "name", "value", "value-space"],
)
def test_cookie_attribute_injection_is_refused(fetch, kind):
    response = fetch("/bad?kind=" + kind)
    assert response.body.startswith(b"refused: "), response.body
    assert "Set-Cookie" not in response.headers


def test_signed_cookie_over_http(fetch):
    response = fetch("/signed?set=hello")
    cookie = cookies_of(response)["s"].split(";")[0]
    assert "Expires=" in cookies_of(response)["s"]  # 30 days by default
    assert fetch("/signed", headers={"Cookie": cookie}).body == b"b'hello'"
    assert fetch("/signed", headers={"Cookie": cookie[:-2]}).body == b"None"
    assert fetch("/signed", headers={"Cookie": "s=hello"}).body == b"None"


def test_missing_cookie_secret_is_a_configuration_error(serve):
    errors = []

    class Handler(RequestHandler):
        def get(self):
            try:
                self.set_secure_cookie("a", "b")
            except ConfigurationError as exc:
                errors.append(str(exc))
                raise

    fetch = serve(Application([(r"/", Handler)]))
    assert fetch("/").code == 500
    assert errors and "cookie_secret" in errors[0]


def test_secret_dict_needs_key_version(serve):
    class Handler(RequestHandler):
        def get(self):
            self.set_secure_cookie("a", "b")
            self.write(str(self.get_secure_cookie_key_version("a", value=self.create_signed_value("a", "b").decode())))

    fetch = serve(Application([(r"/", Handler)], cookie_secret={1: "k1", 2: "k2"}))
    assert fetch("/").code == 500
    fetch = serve(Application([(r"/", Handler)], cookie_secret={1: "k1", 2: "k2"}, key_version=2))
    assert fetch("/").body == b"2"
