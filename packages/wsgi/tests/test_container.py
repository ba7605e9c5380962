"""WSGI applications on squall's HTTPServer: WSGIContainer.

Each test starts squall's server in a thread and talks to it over loopback
with http.client; Flask is the real-world application.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest

import squall.web
from squall.web import FallbackHandler, RequestHandler
from squall.wsgi import WSGIContainer

TIMEOUT = 10.0

Environ = dict[str, Any]


def environ_app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
    """Answers with the interesting parts of its environ, as JSON."""
    body = environ["wsgi.input"].read()
    errors = environ["wsgi.errors"]
    seen = {
        key: value
        for key, value in environ.items()
        if isinstance(value, (str, bool)) or key == "wsgi.version"
    }
    seen["body"] = body.decode("latin-1")
    seen["errors_writable"] = callable(getattr(errors, "write", None))
    seen["thread"] = threading.current_thread().name
    data = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


@pytest.fixture
def serve(squall_server: Callable[..., Any]) -> Callable[..., int]:
    def start(app: Any, **kwargs: Any) -> int:
        return int(squall_server(lambda: WSGIContainer(app, **kwargs)).port)

    return start


def test_environ_is_complete_and_correct(serve: Callable[..., int], fetch: Any) -> None:
    port = serve(environ_app)
    resp = fetch(
        port,
        "/caf%C3%A9/a%20b?x=1&y=%2F",
        method="POST",
        body=b"payload",
        headers={
            "Content-Type": "text/plain",
            "X-Custom-Header": "v1",
            "Cookie": "a=1",
            "Host": "example.org:8080",
        },
    )
    assert resp.status == 200
    env = json.loads(resp.body)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    # PEP 3333: the percent-decoded bytes, as Latin-1 text.
    assert env["PATH_INFO"] == "/café/a b".encode().decode("latin-1")
    assert env["QUERY_STRING"] == "x=1&y=%2F"
    assert env["SERVER_NAME"] == "example.org"
    assert env["SERVER_PORT"] == "8080"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"].isdigit()
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "7"
    assert env["HTTP_X_CUSTOM_HEADER"] == "v1"
    assert env["HTTP_COOKIE"] == "a=1"
    assert env["HTTP_HOST"] == "example.org:8080"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["body"] == "payload"
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is True
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["errors_writable"] is True
    # The application ran in the pool, not on the event loop's thread.
    assert env["thread"].startswith("squall-wsgi")


def test_environ_without_host_and_with_repeated_headers(
    serve: Callable[..., int], fetch: Any
) -> None:
    port = serve(environ_app)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"GET /p HTTP/1.0\r\nX-Dup: a\r\nX-Dup: b\r\nX_Under: spoof\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    env = json.loads(body)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert env["SERVER_PORT"] == "80"
    assert env["HTTP_X_DUP"] == "a, b"
    # A header with "_" would collide with its "-" spelling: dropped.
    assert "HTTP_X_UNDER" not in env
    assert "CONTENT_LENGTH" not in env


def test_script_name_mount(serve: Callable[..., int], fetch: Any) -> None:
    port = serve(environ_app, script_name="/legacy")
    env = json.loads(fetch(port, "/legacy/page").body)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/legacy", "/page")
    env = json.loads(fetch(port, "/legacyx").body)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("", "/legacyx")


def test_write_callable_and_content_length(serve: Callable[..., int], fetch: Any) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("201 Created", [("X-A", "1")])
        write(b"via write, ")
        return [b"then ", b"iterable"]

    port = serve(app)
    resp = fetch(port, "/")
    assert (resp.status, resp.reason) == (201, "Created")
    assert resp.body == b"via write, then iterable"
    assert resp.header("X-A") == "1"

    def listed(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ab", b"cd"]

    port = serve(listed)
    resp = fetch(port, "/")
    assert resp.header("Content-Length") == "4" and resp.body == b"abcd"
    head = fetch(port, "/", method="HEAD")
    assert (head.body, head.header("Content-Length")) == (b"", "4")


class ClosingBody:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed.set()


def test_iterable_close_is_called(serve: Callable[..., int], fetch: Any) -> None:
    bodies: list[ClosingBody] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> ClosingBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        body = ClosingBody([b"one", b"", b"two"])
        bodies.append(body)
        return body

    port = serve(app)
    assert fetch(port, "/").body == b"onetwo"
    assert bodies[0].closed.wait(TIMEOUT)


def test_streaming_iterable_is_streamed(serve: Callable[..., int]) -> None:
    gate = threading.Event()
    closed = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])

        def generate() -> Iterator[bytes]:
            try:
                yield b"first;"
                # The client must have the first piece before this returns.
                if not gate.wait(TIMEOUT):
                    raise AssertionError("the first chunk never reached the client")
                yield b"second"
            finally:
                closed.set()

        return generate()

    port = serve(app)
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert resp.read(6) == b"first;"
        gate.set()
        assert resp.read() == b"second"
    finally:
        conn.close()
    assert closed.wait(TIMEOUT)


def test_client_disconnect_stops_a_streaming_app(serve: Callable[..., int]) -> None:
    closed = threading.Event()
    produced = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])

        def generate() -> Iterator[bytes]:
            try:
                for i in range(100_000):  # bounded: stops long before on a closed socket
                    produced.append(i)
                    yield b"x" * 65536
            finally:
                closed.set()

        return generate()

    port = serve(app)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
    assert closed.wait(TIMEOUT)
    assert len(produced) < 100_000


def test_a_blocking_app_does_not_block_the_loop(serve: Callable[..., int], fetch: Any) -> None:
    gate = threading.Event()
    entered = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            gate.wait(TIMEOUT)
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    port = serve(app)
    results: list[bytes] = []
    slow = threading.Thread(target=lambda: results.append(fetch(port, "/slow").body))
    slow.start()
    try:
        assert entered.wait(TIMEOUT)
        # The slow request holds a worker thread; the loop still serves others.
        assert fetch(port, "/fast").body == b"/fast"
    finally:
        gate.set()
        slow.join(TIMEOUT)
    assert results == [b"/slow"]


def test_start_response_exc_info(serve: Callable[..., int], fetch: Any) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("missing")
        except KeyError:
            start_response("503 Service Unavailable", [("Retry-After", "5")], sys.exc_info())
        return [b"try later"]

    port = serve(app)
    resp = fetch(port, "/")
    assert (resp.status, resp.body, resp.header("Retry-After")) == (503, b"try later", "5")


def test_exc_info_after_headers_sent_reraises_and_aborts(
    serve: Callable[..., int], caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        def generate() -> Iterator[bytes]:
            start_response("200 OK", [])
            yield b"partial"
            try:
                raise RuntimeError("late failure")
            except RuntimeError:
                start_response("500 Oops", [], sys.exc_info())
            yield b"never"

        return generate()

    port = serve(app)
    import http.client

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.status == 200
            with pytest.raises(http.client.IncompleteRead) as info:
                resp.read()
            assert info.value.partial == b"partial"
        finally:
            conn.close()
    assert any("late failure" in repr(r.exc_info) for r in caplog.records)


@pytest.mark.parametrize(
    ("app_body", "message"),
    [
        ("raise", "kaput"),
        ("no_start", "without calling start_response"),
        ("text_chunk", "must yield bytes, not str"),
        ("hop_by_hop", "hop-by-hop header 'Connection'"),
        ("bad_status", "invalid WSGI status"),
        ("twice", "start_response() called twice"),
        ("crlf", "control character"),
    ],
)
def test_broken_apps_get_a_500_and_a_log_line(
    serve: Callable[..., int], fetch: Any, caplog: pytest.LogCaptureFixture, app_body: str, message: str
) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Any:
        if app_body == "raise":
            raise ValueError("kaput")
        if app_body == "no_start":
            return [b"x"]
        if app_body == "text_chunk":
            start_response("200 OK", [])
            return ["text"]
        if app_body == "hop_by_hop":
            start_response("200 OK", [("Connection", "close")])
        elif app_body == "bad_status":
            start_response("200", [])
        elif app_body == "twice":
            start_response("200 OK", [])
            start_response("200 OK", [])
        elif app_body == "crlf":
            start_response("200 OK", [("X-Bad", "a\r\nSet-Cookie: evil=1")])
        return [b"unreachable"]

    port = serve(app)
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        resp = fetch(port, "/")
    assert resp.status == 500
    assert resp.body == b"500 Internal Server Error\n"
    assert resp.header("Set-Cookie") is None
    assert any(message in repr(r.exc_info) for r in caplog.records), [
        repr(r.exc_info) for r in caplog.records
    ]


def test_lying_content_length_aborts(serve: Callable[..., int]) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "100")])
        return iter([b"only ten b"])

    port = serve(app)
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
    finally:
        conn.close()


def test_custom_executor(serve: Callable[..., int], fetch: Any) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mine") as pool:
        port = serve(environ_app, executor=pool)
        env = json.loads(fetch(port, "/").body)
    assert env["thread"].startswith("mine")
    assert env["wsgi.multithread"] is False


def test_constructor_checks() -> None:
    with pytest.raises(TypeError, match="WSGI callable"):
        WSGIContainer("not an app")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="script_name"):
        WSGIContainer(environ_app, script_name="legacy/")


# -- Flask ---------------------------------------------------------------


def make_flask() -> flask.Flask:
    app = flask.Flask("flask_under_squall")
    app.secret_key = "flask-secret"

    @app.route("/flask/hello/<name>")
    def hello(name: str) -> str:
        return f"hello {name} from flask at {flask.request.path}"

    @app.route("/flask/json", methods=["POST"])
    def echo_json() -> Any:
        data = flask.request.get_json()
        return flask.jsonify(got=data, args=flask.request.args.to_dict())

    @app.route("/flask/session")
    def session_counter() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        return str(flask.session["n"])

    @app.route("/flask/stream")
    def stream() -> flask.Response:
        def generate() -> Iterator[str]:
            for i in range(3):
                yield f"line {i}\n"

        return flask.Response(generate(), mimetype="text/plain")

    @app.route("/flask/redirect")
    def go() -> Any:
        return flask.redirect("/flask/hello/again")

    return app


def test_flask_alone_on_httpserver(serve: Callable[..., int], fetch: Any) -> None:
    port = serve(make_flask())
    resp = fetch(port, "/flask/hello/ada")
    assert (resp.status, resp.text) == (200, "hello ada from flask at /flask/hello/ada")
    resp = fetch(
        port,
        "/flask/json?k=v",
        method="POST",
        body=b'{"a": [1, 2]}',
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(resp.body) == {"got": {"a": [1, 2]}, "args": {"k": "v"}}
    first = fetch(port, "/flask/session")
    cookie = first.header("Set-Cookie").split(";", 1)[0]  # type: ignore[union-attr]
    assert first.text == "1"
    assert fetch(port, "/flask/session", headers={"Cookie": cookie}).text == "2"
    assert fetch(port, "/flask/stream").text == "line 0\nline 1\nline 2\n"
    moved = fetch(port, "/flask/redirect")
    assert (moved.status, moved.header("Location")) == (302, "/flask/hello/again")
    assert fetch(port, "/flask/missing").status == 404


class Native(RequestHandler):
    def get(self) -> None:
        self.write("native squall")


class NativeAsync(RequestHandler):
    async def get(self) -> None:
        self.write("native async")


def test_flask_behind_fallback_handler(squall_server: Callable[..., Any], fetch: Any) -> None:
    def make() -> squall.web.Application:
        container = WSGIContainer(make_flask())
        return squall.web.Application(
            [
                (r"/native", Native),
                (r"/native-async", NativeAsync),
                (r".*", FallbackHandler, dict(fallback=container)),
            ]
        )

    port = squall_server(make).port
    assert fetch(port, "/native").text == "native squall"
    assert fetch(port, "/native-async").text == "native async"
    resp = fetch(port, "/flask/hello/bob")
    assert (resp.status, resp.text) == (200, "hello bob from flask at /flask/hello/bob")
    resp = fetch(
        port,
        "/flask/json",
        method="POST",
        body=b'{"x": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(resp.body) == {"got": {"x": 1}, "args": {}}
    assert fetch(port, "/flask/stream").text == "line 0\nline 1\nline 2\n"
    assert fetch(port, "/elsewhere").status == 404


def test_environ_method_for_absolute_form_ipv6_and_https() -> None:
    from squall.httputil import HTTPConnectionContext, HTTPHeaders, HTTPServerRequest

    class Conn:
        context = HTTPConnectionContext("2001:db8::1", "https", ("2001:db8::1", 4433, 0, 0))

    request = HTTPServerRequest(
        method="PUT",
        uri="https://[2001:db8::5]/a%20b?x=y",
        version="HTTP/1.1",
        headers=HTTPHeaders({"Host": "[2001:db8::5]", "Content-Length": "0"}),
        connection=Conn(),  # type: ignore[arg-type]
    )
    env = WSGIContainer(environ_app).environ(request)
    assert env["PATH_INFO"] == "/a b"
    assert env["QUERY_STRING"] == "x=y"
    assert env["SERVER_NAME"] == "2001:db8::5"
    assert env["SERVER_PORT"] == "443"
    assert env["wsgi.url_scheme"] == "https"
    assert env["REMOTE_ADDR"] == "2001:db8::1"
    assert env["REMOTE_PORT"] == "4433"
    assert env["CONTENT_LENGTH"] == "0"
    assert env["wsgi.input"].read() == b""
