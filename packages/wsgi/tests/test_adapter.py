"""squall applications under WSGI: WSGIApplication and WSGIAdapter.

Most tests go through a real WSGI server (the stdlib's wsgiref in a thread,
gunicorn in a subprocess, CGIHandler in a subprocess), as ``async def`` tests
on squall-testing's loop that fetch with its ``fetch`` fixture and the
server's absolute URL; a few call the WSGI callable directly where a server would
hide what is checked.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import textwrap
import urllib.parse
import wsgiref.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import squall.locale
import squall.web
import squall.wsgi
from squall.httpclient import HTTPResponse
from squall.web import HTTPError, RequestHandler, asynchronous, stream_request_body

SECRET = "wsgi-test-secret-0123456789abcdef"

Fetch = Callable[..., Awaitable[HTTPResponse]]


class Hello(RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


class Echo(RequestHandler):
    def get(self, word: str) -> None:
        self.write({"word": word, "q": self.get_argument("q", ""), "path": self.request.path})

    def post(self, word: str) -> None:
        self.write(
            {
                "word": word,
                "name": self.get_body_argument("name"),
                "files": sorted(self.request.files),
                "ip": self.request.remote_ip,
                "protocol": self.request.protocol,
                "host": self.request.host,
            }
        )


class Cookies(RequestHandler):
    def get(self) -> None:
        action = self.get_argument("action")
        if action == "set":
            self.set_cookie("plain", "v1")
            self.set_signed_cookie("signed", "secret-value")
            self.write("set")
        else:
            signed = self.get_signed_cookie("signed")
            self.write(
                {
                    "plain": self.get_cookie("plain"),
                    "signed": signed.decode() if signed is not None else None,
                }
            )


class Form(RequestHandler):
    def get(self) -> None:
        self.write(self.xsrf_token)

    def post(self) -> None:
        self.write("accepted " + self.get_argument("x"))


class Page(RequestHandler):
    def get(self) -> None:
        self.render("page.html", title="<b>bold</b>", items=["a", "b"])


class Lang(RequestHandler):
    def get(self) -> None:
        self.write({"code": self.locale.code, "text": self.locale.translate("Sign in")})


class Boom(RequestHandler):
    def get(self) -> None:
        raise ValueError("boom")


class Teapot(RequestHandler):
    def get(self) -> None:
        raise HTTPError(418, reason="I am a teapot")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(f"custom error {status_code}")


class Moved(RequestHandler):
    def get(self) -> None:
        self.redirect("/hello", permanent=True)


class Flushed(RequestHandler):
    def get(self) -> None:
        self.write("part1,")
        self.flush()
        self.write("part2")


class Headers(RequestHandler):
    def get(self) -> None:
        self.set_header("X-Answer", "42")
        self.add_header("X-Many", "a")
        self.add_header("X-Many", "b")
        self.write(self.request.headers.get("X-Custom", "-"))


@stream_request_body
class Upload(RequestHandler):
    def prepare(self) -> None:
        self.received = 0
        self.pieces = 0

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        self.pieces += 1

    def put(self) -> None:
        self.write({"received": self.received, "pieces": self.pieces})


class AsyncGet(RequestHandler):
    async def get(self) -> None:
        self.write("should not run")


class AsyncPrepare(RequestHandler):
    async def prepare(self) -> None:
        pass

    def get(self) -> None:
        self.write("should not run")


class Callback(RequestHandler):
    @asynchronous
    def get(self) -> None:
        self.write("started")


def make_app(tmp_path: Path, **settings: Any) -> squall.wsgi.WSGIApplication:
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "page.html").write_text(
        "<h1>{{ title }}</h1>{% for i in items %}<i>{{ i }}</i>{% end %}"
        '<form>{% module xsrf_form_html() %}</form><img src="{{ static_url("logo.txt") }}">'
    )
    static = tmp_path / "static"
    static.mkdir(exist_ok=True)
    (static / "logo.txt").write_bytes(b"LOGO" * 10)
    (static / "big.bin").write_bytes(bytes(range(256)) * 4096 * 3)  # 3 MiB
    return squall.wsgi.WSGIApplication(
        [
            (r"/hello", Hello),
            (r"/echo/([^/]+)", Echo),
            (r"/cookies", Cookies),
            (r"/form", Form),
            (r"/page", Page),
            (r"/lang", Lang),
            (r"/boom", Boom),
            (r"/teapot", Teapot),
            (r"/moved", Moved),
            (r"/flushed", Flushed),
            (r"/headers", Headers),
            (r"/upload", Upload),
            (r"/async-get", AsyncGet),
            (r"/async-prepare", AsyncPrepare),
            (r"/callback", Callback),
        ],
        cookie_secret=SECRET,
        template_path=str(templates),
        static_path=str(static),
        **settings,
    )


def call_wsgi(
    app: Callable[..., Any], path: str = "/", method: str = "GET", body: bytes = b"", **extra: Any
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app directly, as a minimal server would."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    wsgiref.util.setup_testing_defaults(environ)
    got: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return got[0], got[1], data


# -- the spec's example -----------------------------------------------------

SPEC_EXAMPLE = '''\
import squall.web
import squall.wsgi
import wsgiref.handlers

class MainHandler(squall.web.RequestHandler):
    def get(self):
        self.write("Hello, world")

if __name__ == "__main__":
    application = squall.wsgi.WSGIApplication([
        (r"/", MainHandler),
    ])
    wsgiref.handlers.CGIHandler().run(application)
'''


def run_cgi(script: Path, path: str, method: str = "GET", body: bytes = b"", **env: str) -> bytes:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("HTTP_", "REQUEST_", "CONTENT_"))
    }
    environ.update(
        REQUEST_METHOD=method,
        SCRIPT_NAME="",
        PATH_INFO=path,
        QUERY_STRING="",
        SERVER_NAME="example.org",
        SERVER_PORT="80",
        SERVER_PROTOCOL="HTTP/1.1",
        GATEWAY_INTERFACE="CGI/1.1",
        REMOTE_ADDR="192.0.2.7",
        **env,
    )
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        input=body,
        capture_output=True,
        env=environ,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    # (A 4xx access-log line reaches stderr through logging's last resort.)
    assert b"Traceback" not in done.stderr and b"Warning" not in done.stderr, done.stderr.decode()
    return done.stdout


def parse_cgi(output: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = output.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return headers.pop("Status"), headers, body


def test_spec_example_under_cgi_handler(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text(SPEC_EXAMPLE)
    status, headers, body = parse_cgi(run_cgi(script, "/"))
    assert status == "200 OK"
    assert body == b"Hello, world"
    assert headers["Content-Length"] == "12"
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    status, _, body = parse_cgi(run_cgi(script, "/nowhere"))
    assert status == "404 Not Found"
    assert b"404" in body


def test_cgi_post_body_and_remote_addr(tmp_path: Path) -> None:
    script = tmp_path / "echo.py"
    script.write_text(
        textwrap.dedent(
            """
            import wsgiref.handlers
            import squall.web, squall.wsgi

            class Echo(squall.web.RequestHandler):
                def post(self):
                    self.write({"name": self.get_argument("name"), "ip": self.request.remote_ip})

            wsgiref.handlers.CGIHandler().run(squall.wsgi.WSGIApplication([(r"/e", Echo)]))
            """
        )
    )
    output = run_cgi(
        script,
        "/e",
        method="POST",
        body=b"name=caf%C3%A9",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    status, _, body = parse_cgi(output)
    assert status == "200 OK"
    assert body.decode() == '{"name": "caf\\u00e9", "ip": "192.0.2.7"}'


# -- through wsgiref's server -----------------------------------------------


@pytest.fixture
def port(tmp_path: Path, wsgiref_server: Callable[[Any], int]) -> int:
    return wsgiref_server(make_app(tmp_path))


async def test_hello_and_404(port: int, fetch: Fetch) -> None:
    resp = await fetch(f"http://127.0.0.1:{port}/hello")
    assert (resp.code, resp.body) == (200, b"Hello, world")
    assert resp.headers.get("Etag")
    assert (await fetch(f"http://127.0.0.1:{port}/missing")).code == 404


async def test_path_and_query_arguments_are_decoded(port: int, fetch: Fetch) -> None:
    resp = await fetch(f"http://127.0.0.1:{port}/echo/caf%C3%A9%20x?q=%E2%9C%93")
    assert resp.code == 200
    data = resp.body.decode()
    assert '"word": "caf\\u00e9 x"' in data
    assert '"q": "\\u2713"' in data
    assert '"path": "/echo/caf%C3%A9%20x"' in data


async def test_form_post_multipart_and_connection_facts(port: int, fetch: Fetch) -> None:
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\nhello file\r\n--{boundary}--\r\n"
    ).encode()
    resp = await fetch(
        f"http://127.0.0.1:{port}/echo/w",
        method="POST",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.code == 200
    text = resp.body.decode()
    assert '"name": "Ada"' in text
    assert '"files": ["doc"]' in text
    assert '"ip": "127.0.0.1"' in text
    assert '"protocol": "http"' in text
    assert f'"host": "127.0.0.1:{port}"' in text


async def test_cookies_and_signed_cookies(port: int, fetch: Fetch) -> None:
    resp = await fetch(f"http://127.0.0.1:{port}/cookies?action=set")
    assert resp.code == 200
    set_cookies = resp.headers.get_list("Set-Cookie")
    assert len(set_cookies) == 2
    jar = "; ".join(c.split(";", 1)[0] for c in set_cookies)
    resp = await fetch(f"http://127.0.0.1:{port}/cookies?action=get", headers={"Cookie": jar})
    assert resp.body.decode() == '{"plain": "v1", "signed": "secret-value"}'
    tampered = re.sub(r"signed=([^;]*)", lambda m: "signed=" + m.group(1)[:-2] + "00", jar)
    resp = await fetch(f"http://127.0.0.1:{port}/cookies?action=get", headers={"Cookie": tampered})
    assert resp.body.decode() == '{"plain": "v1", "signed": null}'


async def test_xsrf(tmp_path: Path, wsgiref_server: Callable[[Any], int], fetch: Fetch) -> None:
    port = wsgiref_server(make_app(tmp_path, xsrf_cookies=True))
    resp = await fetch(f"http://127.0.0.1:{port}/form")
    cookie = resp.headers.get_list("Set-Cookie")[0].split(";", 1)[0]
    token = resp.body.decode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = await fetch(f"http://127.0.0.1:{port}/form", method="POST", body=b"x=1", headers=form)
    assert refused.code == 403
    accepted = await fetch(
        f"http://127.0.0.1:{port}/form",
        method="POST",
        body=urllib.parse.urlencode({"x": "1", "_xsrf": token}).encode(),
        headers={**form, "Cookie": cookie},
    )
    assert (accepted.code, accepted.body.decode()) == (200, "accepted 1")


async def test_templates_autoescape_and_static_url(port: int, fetch: Fetch) -> None:
    resp = await fetch(f"http://127.0.0.1:{port}/page")
    assert resp.code == 200
    text = resp.body.decode()
    assert "<h1>&lt;b&gt;bold&lt;/b&gt;</h1><i>a</i><i>b</i>" in text
    assert 'name="_xsrf"' in text
    match = re.search(r'src="(/static/logo\.txt\?v=[0-9a-f]+)"', text)
    assert match is not None
    static = await fetch(f"http://127.0.0.1:{port}{match.group(1)}")
    assert (static.code, static.body) == (200, b"LOGO" * 10)
    assert "max-age" in (static.headers.get("Cache-Control") or "")


async def test_locale(tmp_path: Path, wsgiref_server: Callable[[Any], int], fetch: Fetch) -> None:
    translations = tmp_path / "translations"
    translations.mkdir()
    (translations / "es_ES.csv").write_text('"Sign in","Iniciar sesión"\n', encoding="utf-8")
    squall.locale.load_translations(str(translations))
    try:
        port = wsgiref_server(make_app(tmp_path))
        resp = await fetch(f"http://127.0.0.1:{port}/lang", headers={"Accept-Language": "es-ES,es;q=0.9"})
        assert resp.body.decode() == '{"code": "es_ES", "text": "Iniciar sesi\\u00f3n"}'
        resp = await fetch(f"http://127.0.0.1:{port}/lang", headers={"Accept-Language": "fr"})
        assert resp.body.decode() == '{"code": "en_US", "text": "Sign in"}'
    finally:
        squall.locale.reset()


async def test_static_files_validators_ranges_and_big_file(
    port: int, fetch: Fetch, tmp_path: Path
) -> None:
    resp = await fetch(f"http://127.0.0.1:{port}/static/logo.txt")
    assert resp.code == 200
    etag = resp.headers.get("Etag")
    assert etag
    assert (await fetch(f"http://127.0.0.1:{port}/static/logo.txt", headers={"If-None-Match": etag})).code == 304
    ranged = await fetch(f"http://127.0.0.1:{port}/static/logo.txt", headers={"Range": "bytes=4-7"})
    assert (ranged.code, ranged.body) == (206, b"LOGO")
    head = await fetch(f"http://127.0.0.1:{port}/static/logo.txt", method="HEAD")
    assert (head.code, head.body, head.headers.get("Content-Length")) == (200, b"", "40")
    big = await fetch(f"http://127.0.0.1:{port}/static/big.bin")
    assert big.code == 200
    assert big.body == (tmp_path / "static" / "big.bin").read_bytes()
    assert (await fetch(f"http://127.0.0.1:{port}/static/../templates/page.html")).code in (403, 404)


async def test_errors(port: int, fetch: Fetch, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        resp = await fetch(f"http://127.0.0.1:{port}/boom")
    assert resp.code == 500
    assert b"Traceback" not in resp.body
    assert any("boom" in str(r.exc_info) for r in caplog.records if r.exc_info)
    teapot = await fetch(f"http://127.0.0.1:{port}/teapot")
    assert (teapot.code, teapot.reason, teapot.body) == (418, "I am a teapot", b"custom error 418")
    assert (await fetch(f"http://127.0.0.1:{port}/hello", method="DELETE")).code == 405


async def test_redirect_flush_and_headers(port: int, fetch: Fetch) -> None:
    moved = await fetch(f"http://127.0.0.1:{port}/moved")
    assert (moved.code, moved.headers.get("Location")) == (301, "/hello")
    flushed = await fetch(f"http://127.0.0.1:{port}/flushed")
    assert (flushed.code, flushed.body) == (200, b"part1,part2")
    resp = await fetch(f"http://127.0.0.1:{port}/headers", headers={"X-Custom": "yes"})
    assert resp.body.decode() == "yes"
    assert resp.headers.get("X-Answer") == "42"
    assert resp.headers.get_list("X-Many") == ["a", "b"]


async def test_streamed_request_body(port: int, fetch: Fetch) -> None:
    body = b"z" * 200_000
    resp = await fetch(f"http://127.0.0.1:{port}/upload", method="PUT", body=body)
    assert resp.code == 200
    text = resp.body.decode()
    assert '"received": 200000' in text
    pieces = int(re.search(r'"pieces": (\d+)', text).group(1))  # type: ignore[union-attr]
    assert pieces > 1


def test_body_larger_than_limit_is_413(tmp_path: Path) -> None:
    adapter = squall.wsgi.WSGIAdapter(make_app(tmp_path), max_body_size=10)
    status, _, _ = call_wsgi(adapter, "/echo/x", method="POST", body=b"name=0123456789")
    assert status.startswith("413")
    status, _, body = call_wsgi(
        adapter,
        "/echo/x",
        method="POST",
        body=b"name=abc",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    assert status.startswith("200") and b'"name": "abc"' in body


def test_malformed_content_length_is_400(tmp_path: Path) -> None:
    adapter = squall.wsgi.WSGIAdapter(make_app(tmp_path))
    status, _, _ = call_wsgi(adapter, "/echo/x", method="POST", CONTENT_LENGTH="-5")
    assert status.startswith("400")


# -- what WSGI cannot do -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/async-get", "AsyncGet cannot run under WSGI: its get() is a coroutine"),
        ("/async-prepare", "AsyncPrepare cannot run under WSGI: its prepare() is a coroutine"),
        ("/callback", "Callback cannot run under WSGI: it returned without finishing"),
    ],
)
def test_async_handlers_are_refused_with_a_clear_error(
    tmp_path: Path, path: str, expected: str
) -> None:
    app = make_app(tmp_path)
    with _no_warnings():
        with pytest.raises(squall.wsgi.AsyncHandlerError) as info:
            call_wsgi(app, path)
    assert expected in str(info.value)
    assert "HTTPServer" in str(info.value)
    # The adapter still works afterwards (a fresh private loop if needed).
    status, _, body = call_wsgi(app, "/hello")
    assert (status, body) == ("200 OK", b"Hello, world")


async def test_async_handler_gives_500_through_a_server(port: int, fetch: Fetch) -> None:
    assert (await fetch(f"http://127.0.0.1:{port}/async-get")).code == 500
    assert (await fetch(f"http://127.0.0.1:{port}/hello")).code == 200


class _no_warnings:
    """Fail on any warning (e.g. a coroutine that was never awaited)."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc: Any) -> None:
        import gc

        gc.collect()
        self._catch.__exit__(*exc)


# -- gunicorn ----------------------------------------------------------------

GUNICORN_APP = '''\
import squall.web
import squall.wsgi


class Main(squall.web.RequestHandler):
    def get(self):
        self.set_signed_cookie("who", "gunicorn")
        self.write(dict(method=self.request.method, q=self.get_argument("q", "")))

    def post(self):
        self.write("posted " + self.get_argument("v"))


class Who(squall.web.RequestHandler):
    def get(self):
        value = self.get_signed_cookie("who")
        self.write(value or b"nobody")


application = squall.wsgi.WSGIApplication(
    [(r"/", Main), (r"/who", Who)],
    cookie_secret="gunicorn-secret",
    static_path=STATIC,
)
'''


@pytest.fixture
def gunicorn_port(tmp_path: Path, gunicorn_server: Callable[..., int]) -> int:
    """gunicorn serving GUNICORN_APP (started before the test's timeout runs)."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "style.css").write_text("body { color: red }")
    (tmp_path / "squall_app.py").write_text(f"STATIC = {str(static)!r}\n" + GUNICORN_APP)
    return gunicorn_server(tmp_path, "squall_app:application")


# gunicorn's sync worker may be slow to answer its first request on a busy machine.
@pytest.mark.squall_timeout(20)
async def test_gunicorn_serves_a_wsgi_application(gunicorn_port: int, fetch: Fetch) -> None:
    port = gunicorn_port
    resp = await fetch(f"http://127.0.0.1:{port}/?q=1")
    assert resp.code == 200
    assert resp.body == b'{"method": "GET", "q": "1"}'
    cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    assert (await fetch(f"http://127.0.0.1:{port}/who", headers={"Cookie": cookie})).body == b"gunicorn"
    assert (await fetch(f"http://127.0.0.1:{port}/who")).body == b"nobody"
    posted = await fetch(
        f"http://127.0.0.1:{port}/",
        method="POST",
        body=b"v=ok",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (posted.code, posted.body) == (200, b"posted ok")

    # A chunked body: gunicorn gives no CONTENT_LENGTH, only EOF on wsgi.input.
    async def pieces(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(b"v=chun")
        await write(b"ked")

    chunked = await fetch(
        f"http://127.0.0.1:{port}/",
        method="POST",
        body_producer=pieces,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (chunked.code, chunked.body) == (200, b"posted chunked")
    css = await fetch(f"http://127.0.0.1:{port}/static/style.css")
    assert (css.code, css.body) == (200, b"body { color: red }")
    assert css.headers.get("Content-Type") == "text/css"
    assert (await fetch(f"http://127.0.0.1:{port}/missing")).code == 404


# -- the adapter's own machinery -------------------------------------------


class Timer(RequestHandler):
    fired: list[str] = []

    @asynchronous
    def get(self) -> None:
        import squall.ioloop

        squall.ioloop.IOLoop.current().call_later(0, lambda: Timer.fired.append("fired"))


def test_refused_handler_leaves_no_timer_behind(tmp_path: Path) -> None:
    app = squall.wsgi.WSGIApplication([(r"/timer", Timer), (r"/hello", Hello)])
    with pytest.raises(squall.wsgi.AsyncHandlerError, match="Timer cannot run under WSGI"):
        call_wsgi(app, "/timer")
    # The next requests on this thread run on a fresh loop: the timer is gone.
    for _ in range(3):
        assert call_wsgi(app, "/hello")[2] == b"Hello, world"
    assert Timer.fired == []


def test_many_threads_at_once(tmp_path: Path) -> None:
    import threading

    app = make_app(tmp_path)
    results: list[bytes] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                results.append(call_wsgi(app, "/hello")[2])
                results.append(call_wsgi(app, "/static/logo.txt")[2])
        except BaseException as error:  # reported below
            errors.append(error)

    with _no_warnings():
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert results.count(b"Hello, world") == 80
    assert results.count(b"LOGO" * 10) == 80


def test_static_file_stream_closed_early(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/static/big.bin"}
    wsgiref.util.setup_testing_defaults(environ)
    statuses: list[str] = []
    with _no_warnings():
        body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        iterator = iter(body)
        first = next(iterator)
        assert statuses == ["200 OK"]
        assert 0 < len(first) < 3 * 1024 * 1024
        body.close()  # type: ignore[attr-defined] - the client left
    # The thread's loop is usable for the next request.
    assert call_wsgi(app, "/hello")[2] == b"Hello, world"


async def test_called_inside_a_running_loop(tmp_path: Path) -> None:
    # On the plugin's running loop: a synchronous handler still works, one
    # that needs the loop cannot run.
    app = make_app(tmp_path)
    assert call_wsgi(app, "/hello")[2] == b"Hello, world"
    with pytest.raises(squall.wsgi.AsyncHandlerError, match="already running"):
        call_wsgi(app, "/static/logo.txt")


def test_script_name_and_https_reach_the_request(tmp_path: Path) -> None:
    class Where(RequestHandler):
        def get(self, rest: str) -> None:
            self.write(f"{self.request.protocol} {self.request.host} {self.request.uri} {rest}")

    app = squall.wsgi.WSGIApplication([(r"/mount/(.*)", Where)])
    status, _, body = call_wsgi(
        app,
        "/caf\xc3\xa9",  # PEP 3333: UTF-8 bytes as Latin-1 text
        SCRIPT_NAME="/mount",
        QUERY_STRING="a=1",
        HTTP_HOST="example.org",
        **{"wsgi.url_scheme": "https"},
    )
    assert status == "200 OK"
    assert body.decode() == "https example.org /mount/caf%C3%A9?a=1 café"


def test_constructor_checks() -> None:
    with pytest.raises(TypeError, match="squall.web.Application"):
        squall.wsgi.WSGIAdapter(object())  # type: ignore[arg-type]
