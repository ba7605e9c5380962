"""Web-layer security: traversal, open redirects, signed cookies, XSRF,
autoescaping, header injection and log escaping.

Checklist: /work/shared/ROBUSTNESS.md section 4 (items 21-25) and the XSRF
and cookie items of section 2. Requests go over real sockets as raw bytes,
so paths reach the server exactly as an attacker would write them.
"""

from __future__ import annotations

import logging
import os
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from squall.web import (
    Application,
    HTTPError,
    RedirectHandler,
    RequestHandler,
    StaticFileHandler,
    addslash,
    authenticated,
    create_signed_value,
    decode_signed_value,
    removeslash,
)

SECRET = "0123456789abcdef0123456789abcdef"


def _get(raw: Any, port: int, target: bytes, headers: bytes = b"") -> Any:
    data = b"GET " + target + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + headers + b"\r\n"
    responses, _ = raw(port, data)
    assert len(responses) == 1, f"{target!r}: {len(responses)} responses"
    return responses[0]


def _unsafe_location(location: str | None) -> bool:
    """Whether a redirect target could leave the site (or is ambiguous about it)."""
    if location is None:
        return False
    loc = location.strip()
    if loc.startswith(("//", "/\\", "\\")):
        return True
    parsed = urllib.parse.urlsplit(loc)
    return bool(parsed.scheme or parsed.netloc)


# -- static files: path traversal ----------------------------------------------------------------


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    root = base / "static"
    (root / "sub").mkdir(parents=True)
    (root / "evil.com").mkdir()
    (root / "evil.com" / "index.html").write_text("dir index")
    (root / "hello.txt").write_text("hello")
    (root / "sub" / "index.html").write_text("sub index")
    (base / "secret").mkdir()
    (base / "secret" / "passwd.txt").write_text("TOPSECRET")
    # A sibling whose name starts with the root's: a naive prefix check lets it through.
    (base / "static2").mkdir()
    (base / "static2" / "x.txt").write_text("TOPSECRET sibling")
    os.symlink(base / "secret", root / "link_out")
    os.symlink(root / "hello.txt", root / "link_in.txt")
    return root


@pytest.fixture(scope="module")
def static_server(static_site: Path, module_server: Any) -> Any:
    app = Application(
        [(r"/root/(.*)", StaticFileHandler, {"path": str(static_site), "default_filename": "index.html"})],
        static_path=str(static_site),
    )
    return module_server(app)


TRAVERSALS = [
    b"/static/../secret/passwd.txt",
    b"/static/..%2fsecret%2fpasswd.txt",
    b"/static/%2e%2e/secret/passwd.txt",
    b"/static/%2e%2e%2fsecret%2fpasswd.txt",
    b"/static/%2E%2E%2Fsecret%2Fpasswd.txt",
    b"/static/%252e%252e%252fsecret%252fpasswd.txt",
    b"/static/sub/..%2f..%2fsecret/passwd.txt",
    b"/static/..%5csecret%5cpasswd.txt",
    b"/static/..\\secret\\passwd.txt",
    b"/static/%c0%ae%c0%ae/secret/passwd.txt",
    b"/static/hello.txt%00.png",
    b"/static/..%00/secret/passwd.txt",
    b"/static/link_out/passwd.txt",
    b"/static//etc/passwd",
    b"/static/%2fetc%2fpasswd",
    b"/static/..%2fstatic2%2fx.txt",
    b"/static/../static2/x.txt",
    b"/root/..%2fsecret%2fpasswd.txt",
    b"/root/%2e%2e%2fstatic2%2fx.txt",
    b"/root/link_out/passwd.txt",
    b"/root//etc/passwd",
]


def test_static_serves_the_control_files(static_server: Any, raw: Any) -> None:
    assert _get(raw, static_server.port, b"/static/hello.txt").body == b"hello"
    assert _get(raw, static_server.port, b"/static/link_in.txt").body == b"hello"
    assert _get(raw, static_server.port, b"/root/sub/").body == b"sub index"


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode("latin-1") for t in TRAVERSALS])
def test_static_path_traversal(static_server: Any, raw: Any, target: bytes) -> None:
    response = _get(raw, static_server.port, target)
    assert response.status in (400, 403, 404)
    assert b"TOPSECRET" not in response.body


@pytest.mark.parametrize(
    "target",
    [b"//evil.com", b"/root//evil.com", b"/root/%2fevil.com", b"/root/%5cevil.com", b"/root/evil.com"],
)
def test_static_directory_redirect_stays_on_site(static_server: Any, raw: Any, target: bytes) -> None:
    response = _get(raw, static_server.port, target)
    assert not _unsafe_location(response.header("Location")), response.header("Location")
    if response.status in (301, 302):
        location = response.header("Location")
        assert location is not None and location.startswith("/")


# -- open redirects ---------------------------------------------------------------------------------


class SlashHandler(RequestHandler):
    @removeslash
    def get(self) -> None:
        self.write("removed")


class AddSlashHandler(RequestHandler):
    @addslash
    def get(self) -> None:
        self.write("added")


class Private(RequestHandler):
    def get_current_user(self) -> Any:
        return None

    @authenticated
    def get(self) -> None:
        self.write("private")


@pytest.fixture(scope="module")
def redirect_server(module_server: Any) -> Any:
    app = Application(
        [
            (r"/go/(.*)", RedirectHandler, {"url": "/{0}"}),
            (r"/photos/(.*)", RedirectHandler, {"url": "/pictures/{0}"}),
            (r"/rm/.*", SlashHandler),
            (r"/add.*", AddSlashHandler),
            (r"/private.*", Private),
            (r"/.*/", SlashHandler),
            (r"/[^/]*", AddSlashHandler),
        ],
        login_url="/login",
    )
    return module_server(app)


@pytest.mark.parametrize(
    "target",
    [
        b"/photos//evil.com",
        b"//evil.com/",
        b"///evil.com/",
        b"//evil.com",
        b"/%2fevil.com/",
        b"/\\evil.com/",
        b"/private//evil.com",
        b"/private?next=//evil.com",
    ],
)
def test_framework_redirects_stay_on_site(redirect_server: Any, raw: Any, target: bytes) -> None:
    response = _get(raw, redirect_server.port, target)
    location = response.header("Location")
    assert not _unsafe_location(location), f"{target!r} -> {location!r}"


@pytest.mark.parametrize("target", [b"/go//evil.com", b"/go/%2f%2fevil.com", b"/go/%5cevil.com"])
def test_redirect_handler_pattern_cannot_go_off_site(redirect_server: Any, raw: Any, target: bytes) -> None:
    response = _get(raw, redirect_server.port, target)
    location = response.header("Location")
    assert not _unsafe_location(location), f"{target!r} -> {location!r}"


def test_authenticated_next_is_a_local_path(redirect_server: Any, raw: Any) -> None:
    response = _get(raw, redirect_server.port, b"/private//evil.com/x?y=1")
    assert response.status == 302
    location = response.header("Location")
    assert location is not None and location.startswith("/login?")
    (next_url,) = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["next"]
    assert not _unsafe_location(next_url), next_url


# -- signed cookies ------------------------------------------------------------------------------


def test_signed_value_round_trip() -> None:
    value = create_signed_value(SECRET, "session", "alice")
    assert decode_signed_value(SECRET, "session", value) == b"alice"


def test_signed_value_tampering_is_refused() -> None:
    value = create_signed_value(SECRET, "session", "alice").decode()
    for i in range(len(value)):
        for replacement in {"0", "a", "|", ":"} - {value[i]}:
            forged = value[:i] + replacement + value[i + 1 :]
            assert decode_signed_value(SECRET, "session", forged) is None, (i, replacement)


def test_signed_value_truncation_and_extension_are_refused() -> None:
    value = create_signed_value(SECRET, "session", "alice").decode()
    for cut in range(len(value)):
        assert decode_signed_value(SECRET, "session", value[:cut]) is None, cut
    assert decode_signed_value(SECRET, "session", value + "0") is None
    assert decode_signed_value(SECRET, "session", "x" + value) is None


def test_signed_value_other_name_secret_or_key_is_refused() -> None:
    value = create_signed_value(SECRET, "session", "alice")
    assert decode_signed_value(SECRET, "other", value) is None
    assert decode_signed_value(SECRET[::-1], "session", value) is None
    rotated = create_signed_value({1: "k1", 2: "k2"}, "session", "alice", key_version=2)
    assert decode_signed_value({1: "k1", 2: "k2"}, "session", rotated) == b"alice"
    assert decode_signed_value({1: "k1"}, "session", rotated) is None


def test_signed_value_expiry() -> None:
    old = time.time() - 40 * 86400
    value = create_signed_value(SECRET, "session", "alice", clock=lambda: old)
    assert decode_signed_value(SECRET, "session", value) is None
    assert decode_signed_value(SECRET, "session", value, max_age_days=41) == b"alice"
    recent = create_signed_value(SECRET, "session", "alice", clock=lambda: time.time() - 86400)
    assert decode_signed_value(SECRET, "session", recent, max_age_days=0.5) is None
    assert decode_signed_value(SECRET, "session", recent, max_age_days=2) == b"alice"


def test_signed_value_versions() -> None:
    v1 = create_signed_value(SECRET, "session", "alice", version=1)
    assert decode_signed_value(SECRET, "session", v1) is None  # v1 (SHA-1) is off by default
    assert decode_signed_value(SECRET, "session", v1, min_version=1) == b"alice"
    v2 = create_signed_value(SECRET, "session", "alice").decode()
    assert decode_signed_value(SECRET, "session", "3" + v2[1:]) is None
    assert decode_signed_value(SECRET, "session", "1" + v2[1:], min_version=1) is None


@pytest.mark.parametrize(
    "junk",
    ["", "|", "2|", "2||||||", "2|1:0|10:1234567890|7:session|5:YWxpY2U=|", "2|999999999999:x", "\x00",
     "2|1:0|10:1234567890|7:session|5:YWxpY2U=|" + "0" * 64, "a" * 5000, "2|-1:0|"],
)
def test_signed_value_junk_is_refused(junk: str) -> None:
    assert decode_signed_value(SECRET, "session", junk) is None


class SignedCookieHandler(RequestHandler):
    def get(self) -> None:
        value = self.get_signed_cookie("session")
        self.write(repr(value))

    def post(self) -> None:
        self.set_signed_cookie("session", "alice")


@pytest.fixture(scope="module")
def cookie_server(module_server: Any) -> Any:
    app = Application([(r"/s", SignedCookieHandler)], cookie_secret=SECRET)
    return module_server(app)


def test_tampered_signed_cookie_over_the_wire(cookie_server: Any, raw: Any) -> None:
    data = b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    (response,), _ = raw(cookie_server.port, data)
    cookie = response.header("Set-Cookie")
    assert cookie is not None
    good = cookie.split(";")[0].split("=", 1)[1].strip('"')
    ok = _get(raw, cookie_server.port, b"/s", b"Cookie: session=" + good.encode() + b"\r\n")
    assert ok.body == b"b'alice'"
    forged = good.replace("YWxpY2U=", "bWFsbG9y")  # "alice" -> "mallor"
    bad = _get(raw, cookie_server.port, b"/s", b"Cookie: session=" + forged.encode() + b"\r\n")
    assert bad.body == b"None"
    cut = _get(raw, cookie_server.port, b"/s", b"Cookie: session=" + good[:-5].encode() + b"\r\n")
    assert cut.body == b"None"


# -- XSRF --------------------------------------------------------------------------------------------------


class FormHandler(RequestHandler):
    def get(self) -> None:
        self.write(self.xsrf_token)

    def post(self) -> None:
        self.write("accepted")


@pytest.fixture(scope="module")
def xsrf_server(module_server: Any) -> Any:
    app = Application([(r"/form", FormHandler)], xsrf_cookies=True, cookie_secret=SECRET)
    return module_server(app)


def _session(raw: Any, port: int) -> tuple[str, str]:
    """A fresh XSRF cookie and a (masked) token for it."""
    response = _get(raw, port, b"/form")
    cookie = response.header("Set-Cookie")
    assert cookie is not None and cookie.startswith("_xsrf=")
    return cookie.split(";")[0].split("=", 1)[1], response.body.decode()


def _post(raw: Any, port: int, cookie: str | None, token: str | None, via: str = "form") -> int:
    headers = b""
    body = b""
    if cookie is not None:
        headers += b"Cookie: _xsrf=" + cookie.encode() + b"\r\n"
    if token is not None:
        if via == "form":
            body = b"_xsrf=" + urllib.parse.quote(token, safe="").encode()
        else:
            headers += b"X-XSRFToken: " + token.encode() + b"\r\n"
    data = (
        b"POST /form HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + headers
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )
    responses, _ = raw(port, data)
    assert len(responses) == 1
    return int(responses[0].status)


def test_xsrf(xsrf_server: Any, raw: Any) -> None:
    port = xsrf_server.port
    cookie, token = _session(raw, port)
    other_cookie, other_token = _session(raw, port)
    assert _post(raw, port, cookie, token) == 200
    assert _post(raw, port, cookie, token, via="header") == 200
    # A masked token may be replayed with its own cookie (masking is against BREACH,
    # not replay); it never works with another session's cookie.
    assert _post(raw, port, cookie, token) == 200
    assert _post(raw, port, other_cookie, token) == 403
    assert _post(raw, port, cookie, other_token) == 403
    assert _post(raw, port, None, None) == 403
    assert _post(raw, port, cookie, None) == 403
    assert _post(raw, port, None, token) == 403
    assert _post(raw, port, cookie, "") == 403
    assert _post(raw, port, cookie, "2|00|00|0") == 403
    assert _post(raw, port, cookie, "deadbeef" * 4) == 403
    _, mask, masked, stamp = token.split("|")
    flipped = masked[:-1] + ("0" if masked[-1] != "0" else "1")
    assert _post(raw, port, cookie, f"2|{mask}|{flipped}|{stamp}") == 403
    assert _post(raw, port, cookie, f"2|{mask}|{masked[:-2]}|{stamp}") == 403
    assert _post(raw, port, cookie, f"2|{mask[:-2]}|{masked[:-2]}|{stamp}") == 403
    assert _post(raw, port, cookie, "x" * 10000) == 403


def test_xsrf_tokens_are_masked_per_response(xsrf_server: Any, raw: Any) -> None:
    cookie, _ = _session(raw, xsrf_server.port)
    tokens = set()
    for _ in range(5):
        response = _get(raw, xsrf_server.port, b"/form", b"Cookie: _xsrf=" + cookie.encode() + b"\r\n")
        assert response.header("Set-Cookie") is None  # the cookie is kept
        tokens.add(response.body)
    assert len(tokens) == 5


def test_xsrf_unmasked_token(xsrf_server: Any, raw: Any) -> None:
    """The unmasked (version 1, hex) form of the cookie's own secret matches it;
    the unmasked secret of another session does not."""
    cookie, token = _session(raw, xsrf_server.port)
    other_cookie, _ = _session(raw, xsrf_server.port)
    _, mask, masked, _ = token.split("|")
    unmasked = bytes(a ^ b for a, b in zip(bytes.fromhex(masked), bytes.fromhex(mask))).hex()
    assert _post(raw, xsrf_server.port, cookie, unmasked) == 200
    assert _post(raw, xsrf_server.port, other_cookie, unmasked) == 403


def test_xsrf_cookie_cannot_be_shadowed_by_a_quoted_cookie(xsrf_server: Any, raw: Any) -> None:
    """A value that hides '; _xsrf=' inside quotes is split like browsers split it."""
    cookie, token = _session(raw, xsrf_server.port)
    attacker, attacker_token = _session(raw, xsrf_server.port)
    shadow = f'a="x; _xsrf={attacker}; b=y"; _xsrf={cookie}'
    headers = b"Cookie: " + shadow.encode() + b"\r\n"
    data = (
        b"POST /form HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-XSRFToken: "
        + attacker_token.encode() + b"\r\n" + headers + b"Content-Length: 0\r\n\r\n"
    )
    (response,), _ = raw(xsrf_server.port, data)
    assert response.status == 403


# -- templates: autoescape of every namespace helper -------------------------------------------------------

HOSTILE = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>"
TEMPLATES = {
    "plain": "{{ x }}",
    "escape": "{{ escape(x) }}",
    "xhtml_escape": "{{ xhtml_escape(x) }}",
    "url_escape": "{{ url_escape(x) }}",
    "json_encode": "{{ json_encode(x) }}",
    "squeeze": "{{ squeeze(x) }}",
    "linkify": "{{ linkify(x) }}",
    "raw-linkify": "{% raw linkify(x) %}",
    "translate": "{{ _(x) }}",
    "pgettext": "{{ pgettext('ctx', x) }}",
    "attribute": '<a title="{{ x }}">t</a>',
    "request-uri": "{{ request.uri }}",
    "handler-argument": "{{ handler.get_argument('x') }}",
    "reverse_url": "{{ reverse_url('named', x) }}",
    "static_url": "{{ static_url('hello.txt') }}",
    "xsrf_form_html": "{% raw xsrf_form_html() %}",
    "datetime": "{{ datetime.datetime(2020, 1, 1) }}{{ x }}",
    "module": "{% module Template('plain', x=x) %}",
    "set-expression": "{% set y = x + x %}{{ y }}",
    "for-loop": "{% for c in [x, x] %}{{ c }}{% end %}",
    "apply": "{% apply squeeze %}{{ x }}{% end %}",
}


class TemplateHandler(RequestHandler):
    def get(self, name: str) -> None:
        self.render(name, x=self.get_argument("x"))


class Named(RequestHandler):
    def get(self, arg: str) -> None:
        pass


@pytest.fixture(scope="module")
def template_server(static_site: Path, module_server: Any) -> Any:
    from squall.template import DictLoader

    app = Application(
        [(r"/t/(.*)", TemplateHandler), (r"/named/(.*)", Named, {}, "named")],
        template_loader=DictLoader(TEMPLATES),
        static_path=str(static_site),
        xsrf_cookies=True,
        cookie_secret=SECRET,
    )
    return module_server(app)


_TAG = re.compile(r"<\s*(script|img)", re.IGNORECASE)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_template_helpers_escape_hostile_input(template_server: Any, raw: Any, name: str) -> None:
    target = f"/t/{name}?x={urllib.parse.quote(HOSTILE, safe='')}".encode()
    if name == "request-uri":
        target = b"/t/request-uri?x=<script>&y=\"'"
    response = _get(raw, template_server.port, target)
    if name == "request-uri" and response.status == 400:
        return  # the codec refused the raw '<' in the target: nothing reaches the template
    assert response.status == 200, response.body[:300]
    body = response.body.decode()
    assert not _TAG.search(body), body
    if name == "attribute":
        assert 'title="' in body and body.count('"') == 2, body


def test_linkify_refuses_script_urls() -> None:
    from squall.escape import linkify

    out = linkify("javascript:alert(1) and http://ok.example/\"><script>x</script>")
    assert 'href="javascript:' not in out
    assert not _TAG.search(out)


def test_json_encode_is_safe_inside_script_blocks() -> None:
    from squall.escape import json_encode

    assert "</" not in json_encode("</script><script>alert(1)</script>")


# -- header injection ----------------------------------------------------------------------------------------

INJECTIONS = {
    "set_header-crlf": lambda h: h.set_header("X-A", "a\r\nX-Injected: 1"),
    "set_header-lf": lambda h: h.set_header("X-A", "a\nX-Injected: 1"),
    "set_header-cr": lambda h: h.set_header("X-A", "a\rX-Injected: 1"),
    "set_header-nul": lambda h: h.set_header("X-A", "a\x00b"),
    "set_header-del": lambda h: h.set_header("X-A", "a\x7fb"),
    "set_header-vtab": lambda h: h.set_header("X-A", "a\x0bb"),
    "set_header-name-crlf": lambda h: h.set_header("X-A\r\nX-Injected", "1"),
    "set_header-name-colon": lambda h: h.set_header("X-A: x", "1"),
    "add_header-crlf": lambda h: h.add_header("X-A", "a\r\nX-Injected: 1"),
    "redirect-crlf": lambda h: h.redirect("/a\r\nX-Injected: 1"),
    "redirect-lf": lambda h: h.redirect("/a\nX-Injected: 1"),
    "set_status-reason-crlf": lambda h: h.set_status(200, "OK\r\nX-Injected: 1"),
    "set_cookie-value-crlf": lambda h: h.set_cookie("a", "b\r\nX-Injected: 1"),
    "set_cookie-name-crlf": lambda h: h.set_cookie("a\r\nX-Injected: 1", "b"),
    "set_cookie-name-semicolon": lambda h: h.set_cookie("a;HttpOnly", "b"),
    "set_cookie-domain": lambda h: h.set_cookie("a", "b", domain="x; HttpOnly=0"),
    "set_cookie-path": lambda h: h.set_cookie("a", "b", path="/; Domain=evil.com"),
    "set_cookie-samesite-crlf": lambda h: h.set_cookie("a", "b", samesite="Lax\r\nX-Injected: 1"),
    "set_cookie-samesite-semicolon": lambda h: h.set_cookie("a", "b", samesite="Lax; Domain=evil.com"),
}


class InjectionHandler(RequestHandler):
    def get(self, name: str) -> None:
        try:
            INJECTIONS[name](self)
        except Exception as error:
            self.clear()
            self.write("refused " + type(error).__name__)
            return
        if not self._finished:
            self.write("accepted")


class ReasonHandler(RequestHandler):
    def get(self, kind: str) -> None:
        if kind == "httperror":
            raise HTTPError(400, reason="<script>alert(1)</script>")
        raise HTTPError(400, "log %s", "<script>alert(1)</script>")


@pytest.fixture(scope="module")
def injection_server(module_server: Any) -> Any:
    app = Application([(r"/inject/(.*)", InjectionHandler), (r"/reason/(.*)", ReasonHandler)])
    return module_server(app)


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_header_injection_is_refused(injection_server: Any, raw: Any, name: str) -> None:
    response = _get(raw, injection_server.port, f"/inject/{name}".encode())
    names = {k.lower() for k, _ in response.headers}
    assert "x-injected" not in names
    for key, value in response.headers:
        if key.lower() == "set-cookie":
            assert "evil.com" not in value and "HttpOnly=0" not in value, value
    assert response.body.startswith(b"refused"), response.body


@pytest.mark.parametrize("kind", ["httperror", "message"])
def test_error_reason_is_escaped(injection_server: Any, raw: Any, kind: str) -> None:
    data = f"GET /reason/{kind} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()
    responses, _ = raw(injection_server.port, data)
    (response,) = responses
    assert response.status == 400
    assert b"<script>" not in response.body


# -- logs ----------------------------------------------------------------------------------------------------------


def test_access_log_escapes_terminal_sequences(
    shared_server: Any, raw: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for target in (b"/%1b[31mred", b"/%1B%5B31mred%0d%0aINFO%20fake", b"/\x1b[31mred"):
        raw(shared_server.port, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("squall")]
    assert any("31mred" in m for m in messages)
    for message in messages:
        assert "\x1b" not in message and "\r" not in message and "\n" not in message, repr(message)


def test_error_pages_and_logs_do_not_echo_long_attacker_input(
    shared_server: Any, raw: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    junk = b"A" * 8000
    responses, _ = raw(shared_server.port, b"GET /\x01" + junk + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [r.status for r in responses] == [400]
    assert len(responses[0].body) < 500
    for record in caplog.records:
        if record.name.startswith("squall") and record.name != "squall.access":
            assert len(record.getMessage()) < 1000, record.getMessage()[:200]


@pytest.mark.parametrize(
    ("headers", "statuses"),
    [
        (b"If-Modified-Since: garbage\r\n", {200}),
        (b"If-Modified-Since: Tue, 99 Foo 2020 99:99:99 GMT\r\n", {200}),
        (b"Range: bytes=-99999999999\r\n", {200, 206}),
        ("Range: bytes=\u0661-\u0662\r\n".encode(), {200, 416}),
        (b"Range: bytes=5-1\r\n", {200, 416}),
        (b"Range: bytes=" + b",".join(b"%d-%d" % (i, i + 1) for i in range(2000)) + b"\r\n", {200, 206, 416}),
        (b"Range: bytes=0-0,-1\r\n", {200, 206, 416}),
    ],
    ids=["ims-garbage", "ims-invalid-date", "suffix-huge", "non-ascii-digits", "reversed", "2000-ranges", "multi"],
)
def test_static_hostile_validators_and_ranges(
    static_server: Any, raw: Any, headers: bytes, statuses: set[int]
) -> None:
    response = _get(raw, static_server.port, b"/static/hello.txt", headers)
    assert response.status in statuses
    if response.status == 200:
        assert response.body == b"hello"
    if response.status == 206:
        content_type = response.header("Content-Type") or ""
        assert response.body in b"hello" or content_type.startswith("multipart/byteranges")
