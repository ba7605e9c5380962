from typing import Any

import pytest

from squall.httputil import (
    HTTPConnection,
    HTTPConnectionContext,
    HTTPFile,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
)


class FakeConnection(HTTPConnection):
    def __init__(self) -> None:
        self.context = HTTPConnectionContext(remote_ip="10.0.0.1", protocol="https")
        self.written: list[bytes] = []
        self.finished = False

    def write(self, chunk: bytes) -> Any:
        self.written.append(chunk)
        return None

    def finish(self) -> None:
        self.finished = True


def test_request_attributes() -> None:
    headers = HTTPHeaders({"Host": "Example.COM:8080", "Cookie": 'a=1; b="x y"'})
    req = HTTPServerRequest(
        "GET", "/p/q?x=1&x=2&e=", "HTTP/1.1", headers=headers, connection=FakeConnection()
    )
    assert req.method == "GET"
    assert req.path == "/p/q"
    assert req.query == "x=1&x=2&e="
    assert req.version == "HTTP/1.1"
    assert req.query_arguments == {"x": [b"1", b"2"], "e": [b""]}
    assert req.arguments == req.query_arguments
    assert req.arguments is not req.query_arguments
    assert req.body_arguments == {}
    assert req.body == b""
    assert req.files == {}
    assert req.remote_ip == "10.0.0.1"
    assert req.protocol == "https"
    assert req.host == "Example.COM:8080"
    assert req.host_name == "example.com"
    assert req.full_url() == "https://Example.COM:8080/p/q?x=1&x=2&e="
    assert req.cookies["a"].value == "1"
    assert req.cookies["b"].value == "x y"
    assert req.request_time() >= 0
    assert "GET" in repr(req)


def test_request_defaults_and_start_line() -> None:
    req = HTTPServerRequest(start_line=RequestStartLine("POST", "/a", "HTTP/1.1"))
    assert (req.method, req.uri, req.version) == ("POST", "/a", "HTTP/1.1")
    assert req.host == "127.0.0.1"
    assert req.protocol == "http"
    assert req.remote_ip is None
    assert req.query == "" and req.query_arguments == {}
    assert req.cookies == {}
    bare = HTTPServerRequest()
    assert bare.path == "" and bare.version == "HTTP/1.0"


def test_cookies_with_reserved_names_skipped() -> None:
    req = HTTPServerRequest("GET", "/", headers=HTTPHeaders({"Cookie": "expires=1; ok=2"}))
    assert set(req.cookies) == {"ok"}
    assert req.cookies is req.cookies  # parsed once


def test_legacy_write_finish() -> None:
    conn = FakeConnection()
    req = HTTPServerRequest("GET", "/", connection=conn)
    req.write(b"hello")
    req.finish()
    assert conn.written == [b"hello"]
    assert conn.finished
    t = req.request_time()
    assert t == req.request_time()  # frozen once finished
    with pytest.raises(RuntimeError):
        HTTPServerRequest("GET", "/").write(b"x")
    with pytest.raises(RuntimeError):
        HTTPServerRequest("GET", "/").finish()


def test_start_and_finish_times_are_public() -> None:
    import time

    before = time.time()
    conn = FakeConnection()
    req = HTTPServerRequest("GET", "/", connection=conn)
    assert before <= req.start_time <= time.time()
    assert req.finish_time is None
    req.finish()
    assert req.finish_time is not None and req.finish_time >= req.start_time
    assert req.request_time() == req.finish_time - req.start_time
    # The names older code reads still work, read-only.
    assert (req._start_time, req._finish_time) == (req.start_time, req.finish_time)
    with pytest.raises(AttributeError):
        req._start_time = 0.0  # type: ignore[misc]


def test_parse_body_merges_arguments() -> None:
    req = HTTPServerRequest(
        "POST",
        "/?a=1",
        headers=HTTPHeaders({"Content-Type": "application/x-www-form-urlencoded"}),
        body=b"a=2&b=3",
    )
    req._parse_body()
    assert req.body_arguments == {"a": [b"2"], "b": [b"3"]}
    assert req.arguments == {"a": [b"1", b"2"], "b": [b"3"]}
    assert req.query_arguments == {"a": [b"1"]}


def test_http_file_dict_and_attributes() -> None:
    f = HTTPFile(filename="a.txt", content_type="text/plain", body=b"hi")
    assert f["filename"] == f.filename == "a.txt"
    assert f["content_type"] == f.content_type == "text/plain"
    assert f["body"] == f.body == b"hi"
    assert dict(f) == {"filename": "a.txt", "content_type": "text/plain", "body": b"hi"}
    with pytest.raises(AttributeError):
        f.nope
    g = HTTPFile(filename="b", extra=1)
    assert g.extra == 1


def test_delegate_defaults() -> None:
    d = HTTPMessageDelegate()
    assert d.headers_received(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders()) is None
    assert d.data_received(b"x") is None
    d.finish()
    d.on_connection_close()
    s = HTTPServerConnectionDelegate()
    with pytest.raises(NotImplementedError):
        s.start_request(object(), HTTPConnection())
    s.on_close(object())
    c = HTTPConnection()
    with pytest.raises(NotImplementedError):
        c.write_headers(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders())
    for call in (
        lambda: c.write(b""),
        c.finish,
        c.close,
        lambda: c.set_close_callback(None),
        lambda: c.set_max_body_size(1),
        lambda: c.set_body_timeout(1.0),
    ):
        with pytest.raises(NotImplementedError):
            call()
    ctx = HTTPConnectionContext()
    assert str(ctx) == "unix-socket"
    assert ctx.sockname is None
    assert HTTPConnectionContext("1.2.3.4", sockname=("127.0.0.1", 80)).sockname == ("127.0.0.1", 80)
    assert str(HTTPConnectionContext("1.2.3.4")) == "1.2.3.4"


def test_query_arguments_from_hand_built_unicode_uri() -> None:
    req = HTTPServerRequest("GET", "/?q=caf\u00e9&x=\u65e5")
    assert req.query_arguments["x"] == ["\u65e5".encode()]
    assert HTTPServerRequest("GET", "/?q=%C3%A9").query_arguments == {"q": ["é".encode()]}


@pytest.mark.parametrize(
    "uri,path,query,host",
    [
        ("http://a/t", "/t", "", "a"),
        ("http://Example.com:8080/p/q?x=1", "/p/q", "x=1", "Example.com:8080"),
        ("https://a", "/", "", "a"),
        ("http://a?x=1", "/", "x=1", "a"),
        ("http://a/?x=http://b/c", "/", "x=http://b/c", "a"),
    ],
)
def test_absolute_form_target(uri: str, path: str, query: str, host: str) -> None:
    # RFC 9112 3.2.2: the authority replaces Host; uri keeps what was sent.
    req = HTTPServerRequest("GET", uri, "HTTP/1.1", headers=HTTPHeaders({"Host": "ignored"}))
    assert (req.uri, req.path, req.query, req.host) == (uri, path, query, host)
    assert req.full_url() == f"http://{host}{path}" + (f"?{query}" if query else "")
    assert req.host_name == host.lower().split(":")[0]


def test_origin_and_other_forms_keep_their_target() -> None:
    req = HTTPServerRequest("GET", "/a/http://b?c", "HTTP/1.1", headers=HTTPHeaders({"Host": "h"}))
    assert (req.path, req.query, req.host) == ("/a/http://b", "c", "h")
    assert req.full_url() == "http://h/a/http://b?c"
    assert HTTPServerRequest("OPTIONS", "*").path == "*"
    assert HTTPServerRequest("CONNECT", "a:80").path == "a:80"
    # An explicit host argument wins over the target's authority.
    assert HTTPServerRequest("GET", "http://a/t", host="b").host == "b"


def test_connection_facts_are_read_lazily_and_can_be_set() -> None:
    req = HTTPServerRequest("GET", "/", headers=HTTPHeaders({"Host": "h"}), connection=FakeConnection())
    assert "remote_ip" not in vars(req)
    assert (req.remote_ip, req.protocol, req.host) == ("10.0.0.1", "https", "h")
    req.remote_ip = "192.0.2.1"  # e.g. a proxy-aware application
    req.host = "other"
    assert (req.remote_ip, req.host, req.full_url()) == ("192.0.2.1", "other", "https://other/")
    with pytest.raises(AttributeError):
        req.no_such_attribute  # noqa: B018
