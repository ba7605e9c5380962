"""RequestHandler input, output and error machinery over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from squall.testing import wait_until
from squall.web import Application, Finish, HTTPError, MissingArgumentError, RequestHandler, __version__


class Args(RequestHandler):
    def get(self):
        self.write(
            {
                "a": self.get_argument("a"),
                "all": self.get_arguments("a"),
                "nostrip": self.get_argument("a", strip=False),
                "default": self.get_argument("missing", "dflt"),
                "none": self.get_argument("missing", None),
                "query": self.get_query_argument("a"),
            }
        )

    def post(self):
        self.write(
            {
                "body": self.get_body_arguments("b"),
                "query": self.get_query_arguments("b"),
                "all": self.get_arguments("b"),
                "body_one": self.get_body_argument("b"),
            }
        )


class Required(RequestHandler):
    def get(self):
        self.write(self.get_argument("needed"))


class PathArgs(RequestHandler):
    def get(self, value):
        self.write({"value": value, "path_args": self.path_args})


class Output(RequestHandler):
    def get(self):
        kind = self.get_argument("kind")
        if kind == "bytes":
            self.write(b"\x00\x01raw")
        elif kind == "json":
            self.write({"x": [1, 2], "html": "</script>"})
        elif kind == "list":
            self.write([1, 2])
        elif kind == "status":
            self.set_status(299)
            self.write(str(self.get_status()))
        elif kind == "reason":
            self.set_status(200, "Fine Thanks")
        elif kind == "headers":
            self.set_header("X-One", "1")
            self.set_header("x-one", 2)
            self.add_header("X-Multi", "a")
            self.add_header("X-Multi", "b")
            self.set_header("X-Tab", "a\tb")
            self.set_header("X-Gone", "x")
            self.clear_header("X-Gone")
        elif kind == "clear":
            self.write("discarded")
            self.set_header("X-Gone", "x")
            self.clear()
            self.write("kept")
        elif kind == "no-content":
            self.set_status(204)
        elif kind == "finish-twice":
            self.finish("once")
            self.finish("twice")


class BadHeader(RequestHandler):
    def get(self):
        value = {"crlf": "a\r\nX-Injected: 1", "lf": "a\nb", "nul": "a\x00b", "del": "a\x7fb", "esc": "a\x1bb"}[
            self.get_argument("kind")
        ]
        try:
            self.set_header("X-Test", value)
        except ValueError as exc:
            self.write("refused: " + str(exc)[:40])
            return
        self.write("accepted")


class BadReason(RequestHandler):
    def get(self):
        kind = self.get_argument("kind")
        if kind == "set_status":
            self.set_status(400, "Bad\r\nX-Injected: 1")
        elif kind == "http_error":
            raise HTTPError(400, reason="<script>\nalert(1)</script>")
        elif kind == "html":
            raise HTTPError(400, reason="<script>alert(1)</script>")
        elif kind == "code":
            self.set_status(1000)


class Raises(RequestHandler):
    def get(self):
        kind = self.get_argument("kind")
        if kind == "finish":
            self.write("partial ")
            raise Finish("finished early")
        if kind == "http":
            raise HTTPError(409, "log only %s", "detail")
        if kind == "missing":
            raise MissingArgumentError("thing")
        if kind == "custom-reason":
            raise HTTPError(499, reason="Client Closed")
        raise RuntimeError("secret detail")


class AfterFlush(RequestHandler):
    async def get(self):
        self.write("x" * 100)
        await self.flush()
        raise RuntimeError("after flush")


class Methods(RequestHandler):
    def get(self):
        self.write("get")

    def post(self):
        self.write("post")


class OnlyGet(RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def get(self):
        self.write("get")

    def post(self):  # not supported: never called
        self.write("post")


class AllMethods(RequestHandler):
    def _answer(self):
        self.write(self.request.method.lower() + ":" + self.request.body.decode())

    get = post = put = patch = delete = options = _answer

    def head(self):
        self.set_header("Content-Length", "5")


class AsyncMethods(RequestHandler):
    async def prepare(self):
        await asyncio.sleep(0)
        self.prepared = True

    async def get(self):
        await asyncio.sleep(0)
        self.write("async get, prepared=%s" % self.prepared)

    async def post(self):
        await asyncio.sleep(0)
        raise HTTPError(418)


class AsyncPrepareFinishes(RequestHandler):
    async def prepare(self):
        await asyncio.sleep(0)
        self.finish("from prepare")

    def get(self):
        raise AssertionError("get must not run")


class Etag(RequestHandler):
    def get(self):
        self.write("etag body")


class CustomEtag(RequestHandler):
    def compute_etag(self):
        return None

    def get(self):
        self.write("no etag")


class Flushing(RequestHandler):
    async def get(self):
        for i in range(3):
            self.write(f"part{i};")
            await self.flush()


class Legacy(RequestHandler):
    def get(self):
        self.write("legacy callable")


@pytest.fixture
def app():
    return Application(
        [
            (r"/args", Args),
            (r"/required", Required),
            (r"/path/(.*)", PathArgs),
            (r"/out", Output),
            (r"/badheader", BadHeader),
            (r"/badreason", BadReason),
            (r"/raise", Raises),
            (r"/afterflush", AfterFlush),
            (r"/methods", Methods),
            (r"/onlyget", OnlyGet),
            (r"/all", AllMethods),
            (r"/async", AsyncMethods),
            (r"/asyncprepare", AsyncPrepareFinishes),
            (r"/etag", Etag),
            (r"/noetag", CustomEtag),
            (r"/flush", Flushing),
        ]
    )


def test_default_headers(fetch):
    response = fetch("/etag")
    assert response.headers["Server"] == "SquallServer/" + __version__
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.headers["Date"].endswith(" GMT")
    assert response.headers["Content-Length"] == str(len(b"etag body"))


def test_arguments(fetch):
    data = json.loads(fetch("/args?a=1&a=%20two%20").body)
    assert data == {
        "a": "two",
        "all": ["1", "two"],
        "nostrip": " two ",
        "default": "dflt",
        "none": None,
        "query": "two",
    }


def test_body_and_query_arguments(fetch):
    data = json.loads(fetch("/args?b=q", method="POST", body="b=x&b=y").body)
    assert data == {"body": ["x", "y"], "query": ["q"], "all": ["q", "x", "y"], "body_one": "y"}


def test_missing_argument_is_400(fetch):
    response = fetch("/required")
    assert response.code == 400
    assert b"400: Bad Request" in response.body


def test_invalid_utf8_argument_is_400(fetch):
    assert fetch("/args?a=%FF%FE").code == 400
    assert fetch("/args", method="POST", body=b"b=%C3%28").code == 400
    assert fetch("/path/%FF").code == 400


def test_control_characters_in_arguments_become_spaces(fetch):
    data = json.loads(fetch("/args?a=x%01y").body)
    assert data["a"] == "x y"


def test_malformed_multipart_body_is_400(fetch):
    response = fetch(
        "/args",
        method="POST",
        body=b"garbage",
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert response.code == 400


def test_write_kinds(fetch):
    assert fetch("/out?kind=bytes").body == b"\x00\x01raw"
    response = fetch("/out?kind=json")
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(response.body) == {"x": [1, 2], "html": "</script>"}
    assert b"</script>" not in response.body
    assert fetch("/out?kind=list").code == 500


def test_status_and_reason(fetch):
    response = fetch("/out?kind=status")
    assert (response.code, response.reason, response.body) == (299, "Unknown", b"299")
    assert fetch("/out?kind=reason").reason == "Fine Thanks"


def test_header_methods(fetch):
    response = fetch("/out?kind=headers")
    assert response.headers.get_list("X-One") == ["2"]
    assert response.headers.get_list("X-Multi") == ["a", "b"]
    assert response.headers["X-Tab"] == "a\tb"
    assert "X-Gone" not in response.headers


def test_clear_resets_output(fetch):
    response = fetch("/out?kind=clear")
    assert response.body == b"kept"
    assert "X-Gone" not in response.headers


def test_no_content(fetch):
    response = fetch("/out?kind=no-content")
    assert response.code == 204
    assert response.body == b""


def test_finish_twice_is_an_error_after_the_response(fetch, caplog):
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        response = fetch("/out?kind=finish-twice")
    assert response.body == b"once"


@pytest.mark.parametrize("kind", ["crlf", "lf", "nul", "del", "esc"])
def test_header_values_with_control_characters_are_refused(fetch, kind):
    response = fetch("/badheader?kind=" + kind)
    assert response.body.startswith(b"refused: unsafe header value")
    assert "X-Injected" not in response.headers


def test_set_status_reason_injection_is_refused(fetch):
    response = fetch("/badreason?kind=set_status")
    assert response.code == 500
    assert "X-Injected" not in response.headers


def test_http_error_reason_with_newline_is_refused(fetch):
    # Constructing the HTTPError raises ValueError: a plain 500.
    response = fetch("/badreason?kind=http_error")
    assert response.code == 500
    assert b"<script>" not in response.body


def test_http_error_reason_is_escaped_in_the_page(fetch):
    response = fetch("/badreason?kind=html")
    assert response.code == 400
    assert response.reason == "<script>alert(1)</script>"
    assert b"<script>" not in response.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.body


def test_invalid_status_code(fetch):
    assert fetch("/badreason?kind=code").code == 500


def test_finish_exception(fetch):
    response = fetch("/raise?kind=finish")
    assert (response.code, response.body) == (200, b"partial finished early")


def test_http_error_logs_its_message(fetch, caplog):
    with caplog.at_level(logging.WARNING):
        response = fetch("/raise?kind=http")
    assert response.code == 409
    assert b"detail" not in response.body
    assert any("log only detail" in r.getMessage() for r in caplog.records)


def test_custom_reason_code(fetch):
    response = fetch("/raise?kind=custom-reason")
    assert (response.code, response.reason) == (499, "Client Closed")
    assert b"499: Client Closed" in response.body


def test_uncaught_exception_is_500_and_logged(fetch, caplog):
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        response = fetch("/raise?kind=other")
    assert response.code == 500
    assert b"secret detail" not in response.body
    records = [r for r in caplog.records if r.name == "squall.application"]
    assert records and records[0].exc_info and records[0].exc_info[0] is RuntimeError


async def test_error_after_flush_cuts_the_response(http_port):
    # The head and a first chunk are out when the handler fails: the
    # connection is aborted, so the client can tell the response is cut
    # (no last chunk), rather than seeing a complete-looking one.
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    writer.write(b"GET /afterflush HTTP/1.1\r\nHost: x\r\n\r\n")
    chunks = []
    try:
        for _ in range(1000):  # until the server closes (bounded)
            try:
                chunk = await reader.read(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionResetError:
            pass  # the server aborted the connection: what this test expects
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding: chunked" in head
    assert body.startswith(b"64\r\n" + b"x" * 100 + b"\r\n")
    assert not body.endswith(b"0\r\n\r\n")
    assert b"500" not in body


def test_405_with_allow(fetch):
    response = fetch("/methods", method="PUT", body="")
    assert response.code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert fetch("/onlyget", method="POST", body="").code == 405
    assert fetch("/methods", method="POST", body="").body == b"post"


def test_every_method(fetch):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = fetch(
            "/all",
            method=method,
            body="data" if method != "GET" else None,
            allow_nonstandard_methods=method in ("DELETE", "OPTIONS"),  # a body on those is unusual
        )
        assert response.code == 200, method
        expected = method.lower() + ":" + ("data" if method != "GET" else "")
        assert response.body == expected.encode()
    response = fetch("/all", method="HEAD")
    assert response.code == 200
    assert response.body == b""


def test_head_of_get_has_no_body(fetch):
    response = fetch("/methods", method="HEAD")
    assert response.code == 405 or response.body == b""


def test_async_prepare_and_method(fetch):
    assert fetch("/async").body == b"async get, prepared=True"
    assert fetch("/async", method="POST", body="").code == 418
    assert fetch("/asyncprepare").body == b"from prepare"


def test_etag_and_304(fetch):
    response = fetch("/etag")
    etag = response.headers["Etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = fetch("/etag", headers={"If-None-Match": etag})
    assert again.code == 304
    assert again.body == b""
    assert "Content-Type" not in again.headers
    assert fetch("/etag", headers={"If-None-Match": "W/" + etag}).code == 304
    assert fetch("/etag", headers={"If-None-Match": '"other", ' + etag}).code == 304
    assert fetch("/etag", headers={"If-None-Match": "*"}).code == 304
    assert fetch("/etag", headers={"If-None-Match": '"other"'}).code == 200
    assert "Etag" not in fetch("/noetag").headers


def test_flush_streams_in_chunks(fetch):
    response = fetch("/flush")
    assert response.body == b"part0;part1;part2;"
    assert response.headers.get("Transfer-Encoding") == "chunked"


async def test_access_log(fetch, caplog):
    with caplog.at_level(logging.INFO, logger="squall.access"):
        await fetch("/etag")
        await fetch("/missing%1b[31mred")
        await fetch("/raise?kind=other")
        await wait_until(lambda: len([r for r in caplog.records if r.name == "squall.access"]) == 3)
    records = [r for r in caplog.records if r.name == "squall.access"]
    messages = [r.getMessage() for r in records]
    assert messages[0].startswith("200 GET /etag (127.0.0.1) ")
    assert messages[0].endswith("ms")
    assert [r.levelno for r in records] == [logging.INFO, logging.WARNING, logging.ERROR]
    assert "\x1b" not in messages[1]
    assert "404 GET /missing%1b[31mred" in messages[1]


async def test_log_function_setting(serve):
    seen = []
    fetch = serve(
        Application([(r"/", Legacy)], log_function=lambda h: seen.append((h.get_status(), h.request.path)))
    )
    await fetch("/")
    await fetch("/x")
    await wait_until(lambda: len(seen) == 2)
    assert seen == [(200, "/"), (404, "/x")]


async def test_log_exception_escapes_control_characters(raw_request, caplog):
    with caplog.at_level(logging.INFO, logger="squall.access"):
        await raw_request(b"GET /raise?kind=x%0d%0a HTTP/1.1\r\nHost: x\r\n\r\n")
    for record in caplog.records:
        assert "\r" not in record.getMessage() and "\n" not in record.getMessage().splitlines()[0]


def test_debug_settings_and_autoreload(monkeypatch):
    import squall.autoreload

    started = []
    monkeypatch.setattr(squall.autoreload, "start", lambda: started.append(True), raising=False)
    application = Application([], debug=True)
    assert started == [True]
    assert application.settings["serve_traceback"] is True
    assert application.settings["compiled_template_cache"] is False
    Application([], debug=True, autoreload=False)
    assert started == [True]
    assert Application([]).settings.get("serve_traceback") is None


# -- the fast path of finish() keeps every hook --------------------------------


class PartsBody(RequestHandler):
    def get(self):
        self.write("a")
        self.write(b"b")
        self.write("c")


class OneBody(RequestHandler):
    def get(self):
        self.write(b"abc")


def test_default_etag_is_the_sha1_of_the_whole_body(serve):
    import hashlib

    expected = '"' + hashlib.sha1(b"abc").hexdigest() + '"'
    fetch = serve(Application([(r"/parts", PartsBody), (r"/one", OneBody)]))
    for path in ("/parts", "/one"):
        response = fetch(path)
        assert response.body == b"abc"
        assert response.headers["Etag"] == expected
        assert response.headers["Content-Length"] == "3"


class OwnClearAndFlush(RequestHandler):
    flushes: list[bool] = []

    def clear(self):
        super().clear()
        self.set_header("X-Cleared", "yes")

    def flush(self, include_footers=False):
        OwnClearAndFlush.flushes.append(include_footers)
        return super().flush(include_footers)

    def get(self):
        self.write("body")


def test_overridden_clear_and_flush_are_called(serve):
    OwnClearAndFlush.flushes.clear()
    fetch = serve(Application([(r"/", OwnClearAndFlush)]))
    response = fetch("/")
    assert response.body == b"body"
    assert response.headers["X-Cleared"] == "yes"
    assert OwnClearAndFlush.flushes == [True]


class Hello(RequestHandler):
    def get(self):
        self.write("hello")


async def test_access_log_record_goes_through_the_logger(serve, caplog):
    # Paths of its own: a server of an earlier test may still be logging.
    fetch = serve(Application([(r"/logged", Hello)]))
    logger = logging.getLogger("squall.access")

    def access_lines():
        return [r for r in caplog.records if r.name == "squall.access" and "/logged" in r.getMessage()]

    with caplog.at_level(logging.INFO, logger="squall.access"):
        await fetch("/logged")
        await wait_until(lambda: access_lines())
        (record,) = access_lines()
        # The record names its real source, as logger.log() would.
        assert record.funcName == "log_request"
        assert record.module == "_application"
        assert record.levelno == logging.INFO
        assert record.getMessage().startswith("200 GET /logged (127.0.0.1) ")
        caplog.clear()
        # A filter on the logger applies, and a disabled level logs nothing.
        # (The line is written after the response: the filter and the level
        # stay until a later request's line shows the earlier ones are done.)
        refuse = lambda r: "filtered" not in r.getMessage()  # noqa: E731
        logger.addFilter(refuse)
        logger.setLevel(logging.WARNING)
        try:
            await fetch("/logged/filtered")  # 404: logged at WARNING, but filtered
            await fetch("/logged?disabled")  # 200: INFO is disabled
            # One server loop, one request at a time: once this line is in,
            # the earlier two were decided.
            await fetch("/logged/after")  # 404: WARNING
            await wait_until(lambda: access_lines())
        finally:
            logger.removeFilter(refuse)
    messages = [r.getMessage() for r in access_lines()]
    assert len(messages) == 1 and messages[0].startswith("404 GET /logged/after ")
