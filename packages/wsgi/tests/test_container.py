"""WSGI applications on squall's HTTPServer: WSGIContainer.

squall-testing's plugin serves each container on the test's loop (``serve``,
or the ``app`` fixture) and fetches from it with squall's client; raw
requests go through ``squall.testing.raw_exchange``, or over
``asyncio.open_connection`` where a test reads part of an answer and
hangs up. The WSGI applications run in
the container's threads, so they may block while the loop serves. Flask is
the real-world application.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
import threading
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import flask
import pytest

import squall.web
from squall.httpclient import HTTPClientError, HTTPStreamClosedError
from squall.testing import raw_exchange, wait_until
from squall.web import FallbackHandler, RequestHandler
from squall.wsgi import RequestBodyError, WSGIContainer

TIMEOUT = 10.0

Environ = dict[str, Any]
Serve = Callable[..., Any]


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


async def test_environ_is_complete_and_correct(serve: Serve) -> None:
    fetch = serve(WSGIContainer(environ_app))
    resp = await fetch(
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
    assert resp.code == 200
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


async def test_environ_without_host_and_with_repeated_headers(serve: Serve) -> None:
    port = serve(WSGIContainer(environ_app)).port
    data = await raw_exchange(
        port, b"GET /p HTTP/1.0\r\nX-Dup: a\r\nX-Dup: b\r\nX_Under: spoof\r\n\r\n"
    )
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    env = json.loads(body)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert env["SERVER_PORT"] == "80"
    assert env["HTTP_X_DUP"] == "a, b"
    # A header with "_" would collide with its "-" spelling: dropped.
    assert "HTTP_X_UNDER" not in env
    assert "CONTENT_LENGTH" not in env


def test_script_name_mount(serve: Serve) -> None:
    # A plain test: the plugin's fetch runs the loop itself.
    fetch = serve(WSGIContainer(environ_app, script_name="/legacy"))
    env = json.loads(fetch("/legacy/page").body)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/legacy", "/page")
    env = json.loads(fetch("/legacyx").body)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("", "/legacyx")


def test_write_callable_and_content_length(serve: Serve) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("201 Created", [("X-A", "1")])
        write(b"via write, ")
        return [b"then ", b"iterable"]

    fetch = serve(WSGIContainer(app))
    resp = fetch("/")
    assert (resp.code, resp.reason) == (201, "Created")
    assert resp.body == b"via write, then iterable"
    assert resp.headers.get("X-A") == "1"

    def listed(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ab", b"cd"]

    fetch = serve(WSGIContainer(listed))
    resp = fetch("/")
    assert resp.headers.get("Content-Length") == "4" and resp.body == b"abcd"
    head = fetch("/", method="HEAD")
    assert (head.body, head.headers.get("Content-Length")) == (b"", "4")


class ClosingBody:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed.set()


def test_iterable_close_is_called(serve: Serve) -> None:
    bodies: list[ClosingBody] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> ClosingBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        body = ClosingBody([b"one", b"", b"two"])
        bodies.append(body)
        return body

    fetch = serve(WSGIContainer(app))
    assert fetch("/").body == b"onetwo"
    assert bodies[0].closed.wait(TIMEOUT)


async def test_streaming_iterable_is_streamed(serve: Serve) -> None:
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

    fetch = serve(WSGIContainer(app))
    received: list[bytes] = []

    def on_chunk(chunk: bytes) -> None:
        received.append(chunk)
        if b"".join(received) == b"first;":
            gate.set()  # the client has the first piece: let the app go on

    try:
        resp = await fetch("/", streaming_callback=on_chunk)
    finally:
        gate.set()
    assert resp.headers.get("Transfer-Encoding") == "chunked"
    assert received[0] == b"first;"
    assert b"".join(received) == b"first;second"
    await wait_until(closed.is_set)


async def test_client_disconnect_stops_a_streaming_app(serve: Serve) -> None:
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

    port = serve(WSGIContainer(app)).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await reader.read(100)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
        await writer.wait_closed()
    await wait_until(closed.is_set)
    assert len(produced) < 100_000


async def test_a_blocking_app_does_not_block_the_loop(serve: Serve) -> None:
    gate = threading.Event()
    entered = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            gate.wait(TIMEOUT)
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    fetch = serve(WSGIContainer(app))
    slow = asyncio.ensure_future(fetch("/slow"))
    try:
        await wait_until(entered.is_set)
        # The slow request holds a worker thread; the loop still serves others.
        assert (await fetch("/fast")).body == b"/fast"
    finally:
        gate.set()
    results = [(await slow).body]
    assert results == [b"/slow"]


def test_start_response_exc_info(serve: Serve) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("missing")
        except KeyError:
            start_response("503 Service Unavailable", [("Retry-After", "5")], sys.exc_info())
        return [b"try later"]

    fetch = serve(WSGIContainer(app))
    resp = fetch("/")
    assert (resp.code, resp.body, resp.headers.get("Retry-After")) == (503, b"try later", "5")


async def test_exc_info_after_headers_sent_reraises_and_aborts(
    serve: Serve, caplog: pytest.LogCaptureFixture
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

    fetch = serve(WSGIContainer(app))
    head: list[str] = []
    partial: list[bytes] = []
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        # The body is cut short: the client sees an error, not a complete answer.
        with pytest.raises(HTTPStreamClosedError):
            await fetch("/", header_callback=head.append, streaming_callback=partial.append)
    assert head[0].startswith("HTTP/1.1 200 ")
    assert b"".join(partial) == b"partial"
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
async def test_broken_apps_get_a_500_and_a_log_line(
    serve: Serve, caplog: pytest.LogCaptureFixture, app_body: str, message: str
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

    fetch = serve(WSGIContainer(app))
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        resp = await fetch("/")
    assert resp.code == 500
    assert resp.body == b"500 Internal Server Error\n"
    assert resp.headers.get("Set-Cookie") is None
    assert any(message in repr(r.exc_info) for r in caplog.records), [
        repr(r.exc_info) for r in caplog.records
    ]


async def test_lying_content_length_aborts(serve: Serve) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "100")])
        return iter([b"only ten b"])

    fetch = serve(WSGIContainer(app))
    with pytest.raises(HTTPClientError) as info:
        await fetch("/")
    assert info.value.code == 599  # no complete answer


def test_custom_executor(serve: Serve) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mine") as pool:
        fetch = serve(WSGIContainer(environ_app, executor=pool))
        env = json.loads(fetch("/").body)
    assert env["thread"].startswith("mine")
    assert env["wsgi.multithread"] is False


# -- request bodies: read whole (the default) or streamed ----------------------

BODY_PIECE = bytes(range(256)) * 256  # 64 KiB
BIG_UPLOAD = 32 * 1024 * 1024


def pieces_of(total: int) -> Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]]:
    """A body_producer sending ``total`` bytes of BODY_PIECE, generated as it goes."""

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        sent = 0
        while sent < total:
            piece = BODY_PIECE[: total - sent]
            await write(piece)
            sent += len(piece)

    return produce


def expected_digest(total: int) -> str:
    digest = hashlib.sha256()
    for _ in range(total // len(BODY_PIECE)):
        digest.update(BODY_PIECE)
    digest.update(BODY_PIECE[: total % len(BODY_PIECE)])
    return digest.hexdigest()


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
async def test_max_body_size_is_a_413_before_the_app_runs(serve: Serve, stream: bool) -> None:
    calls: list[int] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b"took it"]

    fetch = serve(WSGIContainer(app, stream_request_body=stream), max_body_size=1000)
    # A declared Content-Length over the limit: refused from the head alone.
    refused = await fetch("/", method="POST", body=b"x" * 1001)
    assert refused.code == 413 and refused.body.startswith(b"413 ")
    assert calls == []
    # Within the limit: served as usual.
    accepted = await fetch("/", method="POST", body=b"x" * 1000)
    assert (accepted.code, accepted.body) == (200, b"took it")
    assert calls == [1000]


async def test_chunked_body_over_max_body_size_is_a_413(serve: Serve) -> None:
    calls: list[int] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b"took it"]

    fetch = serve(WSGIContainer(app), max_body_size=1000)
    refused = await fetch("/", method="POST", body_producer=pieces_of(3000))
    assert refused.code == 413
    assert calls == []  # buffered: the application never saw the request
    accepted = await fetch("/", method="POST", body_producer=pieces_of(900))
    assert (accepted.code, calls) == (200, [900])


async def test_streamed_body_over_max_body_size_fails_the_read(serve: Serve) -> None:
    failures: list[BaseException] = []
    entered = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        entered.set()
        try:
            environ["wsgi.input"].read()
        except RequestBodyError as error:
            failures.append(error)
            raise
        start_response("200 OK", [])
        return [b"took it"]

    fetch = serve(WSGIContainer(app, stream_request_body=True), max_body_size=100_000)
    # Chunked, so the size is only known as it arrives: the application has
    # started when the limit is crossed, and its read fails.
    refused = await fetch("/", method="POST", body_producer=pieces_of(300_000))
    assert refused.code == 413
    assert entered.is_set()
    assert len(failures) == 1 and isinstance(failures[0], OSError)
    assert "max_body_size" in str(failures[0])


@pytest.mark.squall_timeout(30)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_streamed_large_upload_is_read_as_it_arrives(serve: Serve, framing: str) -> None:
    reading = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        digest = hashlib.sha256()
        stream = environ["wsgi.input"]
        first = stream.read(len(BODY_PIECE))
        reading.set()  # the application runs while the body is still coming
        digest.update(first)
        size = len(first)
        while piece := stream.read(65536):
            digest.update(piece)
            size += len(piece)
        answer = {"size": size, "sha256": digest.hexdigest(), "length": environ.get("CONTENT_LENGTH")}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(BODY_PIECE)
        # Buffered, the application would only start once this returned:
        # waiting for it here would never end.
        await wait_until(reading.is_set, timeout=TIMEOUT)
        await pieces_of(BIG_UPLOAD - len(BODY_PIECE))(write)

    fetch = serve(WSGIContainer(app, stream_request_body=True))
    headers = {"Content-Length": str(BIG_UPLOAD)} if framing == "content-length" else {}
    tracemalloc.start()
    try:
        resp = await fetch("/", method="POST", body_producer=produce, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.code == 200
    answer = json.loads(resp.body)
    assert answer["size"] == BIG_UPLOAD
    assert answer["sha256"] == expected_digest(BIG_UPLOAD)
    assert answer["length"] == (str(BIG_UPLOAD) if framing == "content-length" else None)
    # Back-pressure: the process never held the 32 MiB body (read whole, it
    # peaks above twice that), only a window of it.
    assert peak < 8 * 1024 * 1024, peak


async def test_streamed_input_lines_and_iteration(serve: Serve) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen = {
            "readline": stream.readline().decode(),
            "limited": stream.readline(3).decode(),
            "rest_of_line": stream.readline().decode(),
            "readlines": [line.decode() for line in stream.readlines(1)],
            "iterated": [line.decode() for line in stream],
            "after_end": stream.read().decode(),
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(seen).encode()]

    lines = [b"first line\n", b"second line\n", b"third\n", b"fourth\n", b"no newline"]

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        data = b"".join(lines)
        for i in range(0, len(data), 5):  # pieces that split the lines
            await write(data[i : i + 5])

    fetch = serve(WSGIContainer(app, stream_request_body=True))
    seen = json.loads((await fetch("/", method="POST", body_producer=produce)).body)
    assert seen == {
        "readline": "first line\n",
        "limited": "sec",
        "rest_of_line": "ond line\n",
        "readlines": ["third\n"],
        "iterated": ["fourth\n", "no newline"],
        "after_end": "",
    }


async def test_streamed_client_leaving_mid_body_fails_the_read_quietly(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    got_first = threading.Event()
    failures: list[BaseException] = []
    done = threading.Event()

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        try:
            assert stream.read(1000) == b"a" * 1000
            got_first.set()
            stream.read()
        except RequestBodyError as error:
            failures.append(error)
            raise
        finally:
            done.set()
        start_response("200 OK", [])
        return [b"unreachable"]

    port = serve(WSGIContainer(app, stream_request_body=True)).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        writer.write(b"a" * 1000)
        await wait_until(got_first.is_set)
    finally:
        writer.close()
        await writer.wait_closed()
    with caplog.at_level(logging.INFO):
        await wait_until(done.is_set)
        for _ in range(10):  # let the container's task finish on the loop
            await asyncio.sleep(0)
    assert len(failures) == 1
    assert "closed before the request body was complete" in str(failures[0])
    # The client's doing, not an application bug: no error logged.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_streamed_app_may_answer_without_reading_the_body(serve: Serve) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("403 Forbidden", [])
        return [b"not from you"]

    fetch = serve(WSGIContainer(app, stream_request_body=True))
    # Larger than the window the server reads ahead: it must drop the rest
    # rather than wait for the application to read it.
    refused = await fetch("/", method="POST", body_producer=pieces_of(2 * 1024 * 1024))
    assert (refused.code, refused.body) == (403, b"not from you")
    again = await fetch("/", method="POST", body=b"small")
    assert (again.code, again.body) == (403, b"not from you")


@pytest.mark.squall_timeout(30)
async def test_flask_streamed_multipart_upload(serve: Serve) -> None:
    app = flask.Flask("flask_upload")
    started = threading.Event()

    @app.before_request
    def mark() -> None:
        started.set()  # called before the body is complete

    @app.route("/upload", methods=["POST"])
    def upload() -> Any:
        doc = flask.request.files["doc"]
        digest = hashlib.sha256()
        size = 0
        while piece := doc.stream.read(65536):
            digest.update(piece)
            size += len(piece)
        return flask.jsonify(
            size=size, sha256=digest.hexdigest(), name=doc.filename, note=flask.request.form["note"]
        )

    boundary = "squall-upload-boundary"

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        await write(BODY_PIECE)
        await wait_until(started.is_set, timeout=TIMEOUT)
        await pieces_of(BIG_UPLOAD - len(BODY_PIECE))(write)
        await write(f"\r\n--{boundary}--\r\n".encode())

    fetch = serve(WSGIContainer(app, stream_request_body=True))
    tracemalloc.start()
    try:
        resp = await fetch(
            "/upload",
            method="POST",
            body_producer=produce,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.code == 200, resp.body
    assert json.loads(resp.body) == {
        "size": BIG_UPLOAD,
        "sha256": expected_digest(BIG_UPLOAD),
        "name": "big.bin",
        "note": "hello",
    }
    # Werkzeug spools the file to disk; squall holds only a window of the body.
    assert peak < 8 * 1024 * 1024, peak


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


def test_flask_alone_on_httpserver(serve: Serve) -> None:
    fetch = serve(WSGIContainer(make_flask()))
    resp = fetch("/flask/hello/ada")
    assert (resp.code, resp.body.decode()) == (200, "hello ada from flask at /flask/hello/ada")
    resp = fetch(
        "/flask/json?k=v",
        method="POST",
        body=b'{"a": [1, 2]}',
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(resp.body) == {"got": {"a": [1, 2]}, "args": {"k": "v"}}
    first = fetch("/flask/session")
    cookie = first.headers["Set-Cookie"].split(";", 1)[0]
    assert first.body == b"1"
    assert fetch("/flask/session", headers={"Cookie": cookie}).body == b"2"
    assert fetch("/flask/stream").body == b"line 0\nline 1\nline 2\n"
    moved = fetch("/flask/redirect")
    assert (moved.code, moved.headers.get("Location")) == (302, "/flask/hello/again")
    assert fetch("/flask/missing").code == 404


class Native(RequestHandler):
    def get(self) -> None:
        self.write("native squall")


class NativeAsync(RequestHandler):
    async def get(self) -> None:
        self.write("native async")


@pytest.fixture
def app() -> squall.web.Application:
    """The application of the plugin's ``http_server`` / ``fetch`` fixtures."""
    container = WSGIContainer(make_flask())
    return squall.web.Application(
        [
            (r"/native", Native),
            (r"/native-async", NativeAsync),
            (r".*", FallbackHandler, dict(fallback=container)),
        ]
    )


async def test_flask_behind_fallback_handler(fetch: Any) -> None:
    assert (await fetch("/native")).body == b"native squall"
    assert (await fetch("/native-async")).body == b"native async"
    resp = await fetch("/flask/hello/bob")
    assert (resp.code, resp.body.decode()) == (200, "hello bob from flask at /flask/hello/bob")
    resp = await fetch(
        "/flask/json",
        method="POST",
        body=b'{"x": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(resp.body) == {"got": {"x": 1}, "args": {}}
    assert (await fetch("/flask/stream")).body == b"line 0\nline 1\nline 2\n"
    assert (await fetch("/elsewhere")).code == 404


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
