"""Tests of the sans-IO HTTP/1.1 codec: tables of inputs and expected results."""

from typing import Any

import pytest

from squall.httputil import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    HTTPOutputError,
    RequestHead,
    RequestStartLine,
    ResponseHead,
    ResponseStartLine,
)


def drain(codec: HTTP1Codec) -> list[Any]:
    """Collect events until the codec needs data or pauses; merge Data events."""
    out: list[Any] = []
    for _ in range(10_000):
        ev = codec.next_event()
        if ev is NEED_DATA or ev is PAUSED:
            return out
        if isinstance(ev, Data) and out and isinstance(out[-1], Data):
            out[-1] = Data(out[-1].data + ev.data)
        else:
            out.append(ev)
        if isinstance(ev, ConnectionClosed):
            return out
    raise AssertionError("codec did not stop producing events")


def server_events(data: bytes, eof: bool = False, **kw: Any) -> list[Any]:
    codec = HTTP1Codec("server", **kw)
    codec.receive_data(data)
    if eof:
        codec.receive_eof()
    return drain(codec)


def server_error(data: bytes, **kw: Any) -> int:
    with pytest.raises(HTTPInputError) as e:
        server_events(data, **kw)
    return e.value.status_code


def req(*header_lines: str, body: bytes = b"", line: str = "POST / HTTP/1.1") -> bytes:
    head = line + "\r\n" + "".join(h + "\r\n" for h in header_lines) + "\r\n"
    try:
        return head.encode("latin-1") + body
    except UnicodeEncodeError:
        return head.encode("utf-8") + body


# --- valid requests ---------------------------------------------------------


def test_simple_get() -> None:
    evs = server_events(req("Host: a", "X-Y:  z\t", line="GET /p?q=1 HTTP/1.1"))
    assert len(evs) == 2
    head, end = evs
    assert isinstance(head, RequestHead)
    assert head.start_line == RequestStartLine("GET", "/p?q=1", "HTTP/1.1")
    assert head.headers["x-y"] == "z"
    assert head.keep_alive is True and head.expect_continue is False
    assert end == EndOfMessage(None)


def test_content_length_body() -> None:
    evs = server_events(req("Host: a", "Content-Length: 5", body=b"helloGET"))
    assert evs[1:] == [Data(b"hello"), EndOfMessage()]


def test_chunked_body_with_extensions_and_trailers() -> None:
    body = (
        b"5;ext=val\r\nhello\r\n3;a;b=c\r\nabc\r\n2;q=\"x y\" ; r = s\r\nde\r\n"
        b"0\r\nX-Foo: bar\r\nContent-Length: 99\r\nHost: evil\r\n\r\n"
    )
    evs = server_events(req("Host: a", "Transfer-Encoding: CHUNKED", body=body))
    head = evs[0]
    assert evs[1] == Data(b"helloabcde")
    end = evs[2]
    assert isinstance(end, EndOfMessage) and end.trailers is not None
    assert end.trailers["X-Foo"] == "bar"
    assert end.trailers["content-length"] == "99"
    # Trailers are never merged into the request headers.
    assert "Content-Length" not in head.headers
    assert head.headers["Host"] == "a"


def test_keep_alive_rules() -> None:
    def ka(line: str, *headers: str) -> bool:
        head = server_events(req("Host: a", *headers, line=line))[0]
        return bool(head.keep_alive)

    assert ka("GET / HTTP/1.1")
    assert not ka("GET / HTTP/1.1", "Connection: close")
    assert not ka("GET / HTTP/1.1", "Connection: Upgrade, Close")
    assert not ka("GET / HTTP/1.0")
    assert ka("GET / HTTP/1.0", "Connection: keep-alive")


def test_http10_without_host() -> None:
    evs = server_events(b"GET / HTTP/1.0\r\n\r\n")
    assert evs[0].start_line.version == "HTTP/1.0"


def test_leading_empty_lines_ignored() -> None:
    evs = server_events(b"\r\n\r\n" + req("Host: a", line="GET / HTTP/1.1"))
    assert evs[0].start_line.method == "GET"


def test_expect_continue() -> None:
    head = server_events(req("Host: a", "Expect: 100-Continue", "Content-Length: 1"))[0]
    assert head.expect_continue is True
    # HTTP/1.0: an expectation is ignored (RFC 9110 section 10.1.1).
    head = server_events(req("Expect: whatever", line="GET / HTTP/1.0"))[0]
    assert head.expect_continue is False


@pytest.mark.parametrize(
    "line,host",
    [
        ("OPTIONS * HTTP/1.1", "a"),
        ("CONNECT a:443 HTTP/1.1", "a:443"),
        ("GET http://a/x HTTP/1.1", "a"),
        ("GET HTTPS://A:8/x?y HTTP/1.1", "a:8"),
        ("GET / HTTP/1.1", "[::1]:8080"),
        ("GET / HTTP/1.1", ""),
    ],
)
def test_target_forms_ok(line: str, host: str) -> None:
    evs = server_events(req(f"Host: {host}", line=line))
    assert isinstance(evs[0], RequestHead)


def test_pipelined_requests_wait_for_next_cycle() -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(req("Host: a", line="GET /1 HTTP/1.1") + req("Host: a", line="GET /2 HTTP/1.1"))
    first = drain(codec)
    assert first[0].start_line.path == "/1"
    assert codec.paused
    assert codec.next_event() is PAUSED
    with pytest.raises(HTTPOutputError):
        codec.start_next_cycle()  # response not sent yet
    codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"}))
    codec.send_end()
    codec.start_next_cycle()
    second = drain(codec)
    assert second[0].start_line.path == "/2"


def test_clean_eof_between_messages() -> None:
    assert server_events(b"", eof=True) == [ConnectionClosed()]
    codec = HTTP1Codec("server")
    codec.receive_eof()
    assert drain(codec) == [ConnectionClosed()]
    assert codec.next_event() == ConnectionClosed()
    with pytest.raises(RuntimeError):
        codec.receive_data(b"x")


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\n",
        req("Host: a", "Content-Length: 5", body=b"hel"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhel"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"5"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello\r"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nX: 1\r\n"),
        req("Host: a", "Content-Length: 5"),
        req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello\r\n"),
    ],
)
def test_eof_mid_message_is_an_error(data: bytes) -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(data)
    codec.receive_eof()
    with pytest.raises(HTTPInputError):
        drain(codec)


# --- the strictness list: each gets its status --------------------------------

STRICT_CASES = [
    # framing
    ("cl-and-te", req("Host: a", "Transfer-Encoding: chunked", "Content-Length: 2", body=b"2\r\nok\r\n0\r\n\r\n"), 400),
    ("te-duplicate", req("Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"), 400),
    ("te-chunked-chunked", req("Host: a", "Transfer-Encoding: chunked, chunked"), 400),
    ("te-gzip-chunked", req("Host: a", "Transfer-Encoding: gzip, chunked"), 501),
    ("te-chunked-gzip", req("Host: a", "Transfer-Encoding: chunked, gzip"), 400),
    ("te-identity", req("Host: a", "Transfer-Encoding: identity"), 400),
    ("te-xchunked", req("Host: a", "Transfer-Encoding: xchunked"), 400),
    ("te-comma-first", req("Host: a", "Transfer-Encoding: ,chunked"), 400),
    ("te-comma-last", req("Host: a", "Transfer-Encoding: chunked,"), 400),
    ("te-quoted", req("Host: a", 'Transfer-Encoding: "chunked"'), 400),
    ("te-chunk", req("Host: a", "Transfer-Encoding: chunk"), 400),
    ("te-param", req("Host: a", "Transfer-Encoding: chunked;ext=val"), 400),
    ("te-empty", req("Host: a", "Transfer-Encoding: "), 400),
    ("te-http10", req("Transfer-Encoding: chunked", line="POST / HTTP/1.0"), 400),
    ("te-vt", req("Host: a", "Transfer-Encoding:\x0bchunked"), 400),
    ("te-ff", req("Host: a", "Transfer-Encoding:\x0cchunked"), 400),
    ("te-nbsp", req("Host: a", "Transfer-Encoding: \xa0chunked\xa0"), 400),
    ("te-nel", req("Host: a", "Transfer-Encoding: \x85chunked"), 400),
    ("space-before-colon", req("Host: a", "Transfer-Encoding : chunked"), 400),
    ("leading-ws-first-header", req(" Transfer-Encoding: chunked", "Host: a"), 400),
    ("bare-cr-in-value", req("Host: a", "X: X\rTransfer-Encoding: chunked"), 400),
    # content-length
    *[
        (f"cl-{v!r}", req("Host: a", f"Content-Length: {v}"), 400)
        for v in ["+10", "-1", "-0", "1_0", "0x10", "010", "1 0", "", "١٠", "99999999999999999999999999", "10, 11", "10, 10", "1e3"]
    ],
    ("cl-tab-inside", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\t0\r\n\r\n", 400),
    ("cl-twice-differ", req("Host: a", "Content-Length: 1", "Content-Length: 2"), 400),
    ("cl-twice-same", req("Host: a", "Content-Length: 1", "Content-Length: 1"), 400),
    # chunk sizes
    *[
        (f"chunk-{s!r}", req("Host: a", "Transfer-Encoding: chunked", body=s + b"\r\nhello\r\n0\r\n\r\n"), 400)
        for s in [b"1_a", b"+5", b"-5", b"0x5", b" 5", b"", b";ext", b"5 ", b"FFFFFFFFFFFFFFFF0", b"5;", b"5;a=", b"5;=b", b"5;a=\"x", b"5;a\x01", b"5;\xff"]
    ],
    ("chunk-bare-lf", req("Host: a", "Transfer-Encoding: chunked", body=b"5\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-bare-cr", req("Host: a", "Transfer-Encoding: chunked", body=b"5\rXhello\r\n0\r\n\r\n"), 400),
    ("chunk-ext-lf", req("Host: a", "Transfer-Encoding: chunked", body=b"5;\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-ext-cr", req("Host: a", "Transfer-Encoding: chunked", body=b"5;ext\r=x\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-spill", req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello!!\r\n0\r\n\r\n"), 400),
    ("chunk-data-lf", req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello\n0\r\n\r\n"), 400),
    ("chunk-ext-long", req("Host: a", "Transfer-Encoding: chunked", body=b"5;a=" + b"b" * 65536 + b"\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-too-big", req("Host: a", "Transfer-Encoding: chunked", body=b"FFFFFFFFFFFFFFFF\r\n"), 413),
    ("last-chunk-lf", req("Host: a", "Transfer-Encoding: chunked", body=b"0\n\r\n"), 400),
    ("last-chunk-bad-end", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nXX\r\n\r\n"), 400),
    ("last-chunk-cr-x", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\n\rX"), 400),
    ("trailer-bare-lf", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nX: 1\nY: 2\r\n\r\n"), 400),
    ("trailer-bad-name", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nX Y: 1\r\n\r\n"), 400),
    ("trailer-too-big", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nX: " + b"a" * 70000 + b"\r\n\r\n"), 431),
    ("trailer-too-big-incomplete", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\nX: " + b"a" * 70000), 431),
    ("trailer-too-many", req("Host: a", "Transfer-Encoding: chunked", body=b"0\r\n" + b"X: 1\r\n" * 101 + b"\r\n"), 431),
    # header block
    ("obs-fold", req("Host: a", "X: a", " b"), 400),
    ("obs-fold-tab", req("Host: a", "X: a", "\tb"), 400),
    ("obs-fold-te", req("Host: a", "Transfer-Encoding:", " chunked"), 400),
    ("no-colon", req("Host: a", "Nocolon"), 400),
    ("empty-name", req("Host: a", ": value"), 400),
    *[
        (f"name-{c!r}", req("Host: a", f"X{c}Y: 1"), 400)
        for c in ['"', "(", ")", ",", "/", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "{", "}", "\xef", "\x01"]
    ],
    ("nul-in-value", req("Host: a", "X: a\x00b"), 400),
    ("del-in-value", req("Host: a", "X: a\x7fb"), 400),
    ("bare-lf-line", b"GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    ("bare-lf-header", b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400),
    ("bare-cr-line", b"GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
    ("no-host", req(line="GET / HTTP/1.1"), 400),
    ("two-hosts", req("Host: a", "Host: b", line="GET / HTTP/1.1"), 400),
    ("two-content-types", req("Host: a", "Content-Type: a/b", "Content-Type: c/d", "Content-Length: 0"), 400),
    ("content-type-twice-same", req("Host: a", "Content-type: a/b", "CONTENT-TYPE: a/b"), 400),
    ("two-authorizations", req("Host: a", "Authorization: Basic eA==", "Authorization: Basic eQ=="), 400),
    ("two-proxy-authorizations", req("Host: a", "Proxy-Authorization: a", "Proxy-Authorization: b"), 400),
    ("host-userinfo", req("Host: u@a", line="GET / HTTP/1.1"), 400),
    ("host-path", req("Host: a/b", line="GET / HTTP/1.1"), 400),
    ("host-comma", req("Host: a, b", line="GET / HTTP/1.1"), 400),
    ("host-space", req("Host: a b", line="GET / HTTP/1.1"), 400),
    # request line
    ("method-junk", req("Host: a", line='G=":<>(e),[T];?" /get HTTP/1.1'), 400),
    ("v-1.32", req("Host: a", line="GET / HTTP/1.32"), 400),
    ("v-2.0", req("Host: a", line="GET / HTTP/2.0"), 505),
    ("v-0.9-form", b"GET /\r\n\r\n", 400),
    ("v-01.1", req("Host: a", line="GET / HTTP/01.1"), 400),
    ("v-lower", req("Host: a", line="GET / http/1.1"), 400),
    ("lf-separator", b"GET /\nHTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("two-spaces", req("Host: a", line="GET  / HTTP/1.1"), 400),
    ("tab-separator", req("Host: a", line="GET\t/ HTTP/1.1"), 400),
    ("nul-target", req("Host: a", line="GET /\x00 HTTP/1.1"), 400),
    ("ctl-target", req("Host: a", line="GET /\x1b HTTP/1.1"), 400),
    ("bang-target", req("Host: a", line="GET ! HTTP/1.1"), 400),
    ("star-not-options", req("Host: a", line="GET * HTTP/1.1"), 400),
    ("absolute-host-mismatch", req("Host: a", line="GET http://other.example/ HTTP/1.1"), 400),
    ("absolute-bad-scheme", req("Host: a", line="GET ftp://a/ HTTP/1.1"), 400),
    ("absolute-userinfo", req("Host: a", line="GET http://u@a/ HTTP/1.1"), 400),
    ("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    # expectations
    ("expect-unknown", req("Host: a", "Expect: 200-ok"), 417),
    ("expect-twice", req("Host: a", "Expect: 100-continue", "Expect: 100-continue"), 417),
    # sizes
    ("long-url", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ("long-url-incomplete", b"GET /" + b"a" * 100_000, 414),
    ("long-method", b"G" * 100_000 + b" / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("long-method-incomplete", b"G" * 100_000, 400),
    ("many-headers", req("Host: a", *[f"X-{i}: v" for i in range(10_000)]), 431),
    ("101-headers", req("Host: a", *[f"X-{i}: v" for i in range(100)]), 431),
    ("long-value", req("Host: a", "X: " + "v" * 100_000), 431),
    ("long-value-incomplete", req("Host: a", "X: " + "v" * 100_000)[:-4], 431),
    ("body-too-big-cl", req("Host: a", "Content-Length: 104857601"), 413),
]


@pytest.mark.parametrize("name,data,status", STRICT_CASES, ids=[c[0] for c in STRICT_CASES])
def test_strict_rejections(name: str, data: bytes, status: int) -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(data)
    with pytest.raises(HTTPInputError) as e:
        drain(codec)
    assert e.value.status_code == status
    assert codec.keep_alive is False
    # The error is sticky: the connection must be closed.
    with pytest.raises(HTTPInputError):
        codec.next_event()


@pytest.mark.parametrize("name,data,status", STRICT_CASES, ids=[c[0] for c in STRICT_CASES])
def test_strict_rejections_byte_by_byte(name: str, data: bytes, status: int) -> None:
    # The same limits hold however the bytes are split across reads.
    codec = HTTP1Codec("server")
    step = 1 if len(data) < 3000 else 997
    with pytest.raises(HTTPInputError) as e:
        for i in range(0, len(data), step):
            codec.receive_data(data[i : i + step])
            drain(codec)
    assert e.value.status_code == status


def test_allow_repeated_content_length_option() -> None:
    data = req("Host: a", "Content-Length: 2, 2", body=b"ok")
    evs = server_events(data, allow_repeated_content_length=True)
    assert evs[1] == Data(b"ok")
    data = req("Host: a", "Content-Length: 2", "Content-Length: 2", body=b"ok")
    assert server_events(data, allow_repeated_content_length=True)[1] == Data(b"ok")
    assert server_error(req("Host: a", "Content-Length: 2, 3"), allow_repeated_content_length=True) == 400


def test_body_limits_and_max_body_size_change() -> None:
    data = req("Host: a", "Content-Length: 10", body=b"0123456789")
    assert server_error(data, max_body_size=9) == 413
    chunked = req("Host: a", "Transfer-Encoding: chunked", body=b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n")
    assert server_error(chunked, max_body_size=9) == 413
    assert server_events(chunked, max_body_size=10)[1] == Data(b"helloworld")
    # The limit may be raised after the head, before the body is read.
    codec = HTTP1Codec("server", max_body_size=5)
    codec.receive_data(data)
    assert isinstance(codec.next_event(), RequestHead)
    assert codec.reading_body
    codec.max_body_size = 10
    assert drain(codec) == [Data(b"0123456789"), EndOfMessage()]
    assert not codec.reading_body


def test_limits_configurable() -> None:
    assert server_error(req("Host: a", "A: 1", "B: 2"), max_header_count=2) == 431
    assert server_error(req("Host: a", line="GET /abc HTTP/1.1"), max_start_line_size=10) == 414
    assert server_error(req("Host: a", "X: " + "v" * 100), max_header_size=100) == 431


def test_error_state_is_sticky_and_bad_role() -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(b"BAD\r\n\r\n")
    with pytest.raises(HTTPInputError):
        codec.next_event()
    with pytest.raises(HTTPInputError, match="already failed"):
        codec.next_event()
    with pytest.raises(ValueError):
        HTTP1Codec("proxy")  # type: ignore[arg-type]


def test_need_data_while_head_incomplete() -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(b"GET / HTTP/1.1\r\nHo")
    assert codec.next_event() is NEED_DATA
    codec.receive_data(b"st: a\r\n\r")
    assert codec.next_event() is NEED_DATA
    codec.receive_data(b"\n")
    assert isinstance(codec.next_event(), RequestHead)


def test_body_need_data_states() -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(req("Host: a", "Transfer-Encoding: chunked"))
    assert isinstance(codec.next_event(), RequestHead)
    for piece, expected in [
        (b"", NEED_DATA),
        (b"5", NEED_DATA),
        (b"\r\nhe", Data(b"he")),
        (b"", NEED_DATA),
        (b"llo", Data(b"llo")),
        (b"\r", NEED_DATA),
        (b"\n0\r\n", NEED_DATA),
        (b"X: 1\r\n", NEED_DATA),
        (b"\r\n", EndOfMessage(HTTPHeaders({"X": "1"}))),
    ]:
        codec.receive_data(piece)
        assert codec.next_event() == expected
    codec = HTTP1Codec("server")
    codec.receive_data(req("Host: a", "Content-Length: 3"))
    assert isinstance(codec.next_event(), RequestHead)
    assert codec.next_event() is NEED_DATA
    codec.receive_data(b"abcGET")
    assert codec.next_event() == Data(b"abc")
    assert codec.next_event() == EndOfMessage()
    assert codec.trailing_data == b"GET"


# --- client role ----------------------------------------------------------------


def client_events(method: str, response: bytes, eof: bool = False, **kw: Any) -> tuple[HTTP1Codec, list[Any]]:
    codec = HTTP1Codec("client", **kw)
    codec.send_head(RequestStartLine(method, "/", "HTTP/1.1"), HTTPHeaders({"Host": "a"}))
    codec.send_end()
    codec.receive_data(response)
    if eof:
        codec.receive_eof()
    return codec, drain(codec)


def test_client_content_length() -> None:
    codec, evs = client_events("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert isinstance(evs[0], ResponseHead)
    assert evs[0].start_line == ResponseStartLine("HTTP/1.1", 200, "OK")
    assert evs[1:] == [Data(b"ok"), EndOfMessage()]
    assert codec.keep_alive
    codec.start_next_cycle()


def test_client_head_and_no_body_statuses() -> None:
    _, evs = client_events("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")
    assert evs[1:] == [EndOfMessage()]
    for code in (204, 304):
        _, evs = client_events("GET", f"HTTP/1.1 {code} X\r\nContent-Length: 5\r\n\r\n".encode())
        assert evs[1:] == [EndOfMessage()]
    _, evs = client_events("CONNECT", b"HTTP/1.1 200 OK\r\n\r\n")
    assert evs[1:] == [EndOfMessage()]
    with pytest.raises(HTTPInputError):
        client_events("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n")


def test_client_informational_then_final() -> None:
    _, evs = client_events(
        "POST",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    )
    codes = [e.start_line.code for e in evs if isinstance(e, ResponseHead)]
    assert codes == [100, 103, 200]
    assert evs[-2:] == [Data(b"x"), EndOfMessage()]


def test_client_switching_protocols() -> None:
    codec, evs = client_events("GET", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00")
    assert len(evs) == 1 and evs[0].start_line.code == 101
    assert codec.paused and codec.next_event() is PAUSED
    assert codec.trailing_data == b"\x81\x00"
    assert not codec.keep_alive


def test_client_read_until_close() -> None:
    codec, evs = client_events("GET", b"HTTP/1.1 200 OK\r\n\r\nsome body", eof=False)
    assert evs[1:] == [Data(b"some body")]
    assert not codec.keep_alive
    codec.receive_eof()
    assert drain(codec) == [EndOfMessage()]
    _, evs = client_events("GET", b"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", eof=True)
    assert evs[1:] == [Data(b"zz"), EndOfMessage()]
    with pytest.raises(HTTPInputError) as e:
        client_events("GET", b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 11, max_body_size=10)
    assert e.value.status_code == 413


def test_client_chunked_and_errors() -> None:
    _, evs = client_events("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
    assert evs[1:] == [Data(b"ok"), EndOfMessage()]
    codec, evs = client_events("GET", b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert evs[0].keep_alive is False and codec.keep_alive is False
    for bad in [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
        b"HTTP/1.1 200 OK" + b"K" * 20000,
    ]:
        with pytest.raises(HTTPInputError):
            client_events("GET", bad)


# --- serializer -------------------------------------------------------------------


def served(*lines: str, line: str = "GET / HTTP/1.1") -> HTTP1Codec:
    codec = HTTP1Codec("server")
    codec.receive_data(req(*lines, line=line))
    drain(codec)
    return codec


def test_response_content_length() -> None:
    codec = served("Host: a")
    out = codec.send_head(
        ResponseStartLine("", 200, "OK"),
        HTTPHeaders({"Content-Length": "5", "X-A": "1"}),
        extra=[("Date", "now")],
    )
    assert b"".join(out) == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nDate: now\r\n\r\n"
    assert codec.head_sent
    assert codec.send_data(b"he") == [b"he"]
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"llo!")
    codec.send_data(b"llo")
    assert codec.send_end() == []
    assert codec.sending_done and codec.keep_alive
    codec.start_next_cycle()


def test_response_chunked_by_default_for_http11() -> None:
    codec = served("Host: a")
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders()))
    assert b"Transfer-Encoding: chunked\r\n" in head
    assert codec.send_data(b"") == []
    assert b"".join(codec.send_data(b"hello")) == b"5\r\nhello\r\n"
    assert codec.send_end() == [b"0\r\n\r\n"]
    # The output parses back to the same body.
    client = HTTP1Codec("client")
    client.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders())
    client.receive_data(head + b"5\r\nhello\r\n0\r\n\r\n")
    assert drain(client)[1:] == [Data(b"hello"), EndOfMessage()]


def test_response_http10() -> None:
    codec = served(line="GET / HTTP/1.0")
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders()))
    assert b"Connection: close\r\n" in head and b"Transfer-Encoding" not in head
    assert codec.send_data(b"raw") == [b"raw"]
    codec.send_end()
    assert not codec.keep_alive
    with pytest.raises(HTTPOutputError):
        codec.start_next_cycle()
    codec = served("Connection: keep-alive", line="GET / HTTP/1.0")
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"})))
    assert b"Connection: keep-alive\r\n" in head
    codec = served(line="GET / HTTP/1.0")
    with pytest.raises(HTTPOutputError):
        codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Transfer-Encoding": "chunked"}))


def test_response_connection_close() -> None:
    codec = served("Host: a", "Connection: close")
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"})))
    assert b"Connection: close\r\n" in head
    codec = served("Host: a")
    codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Connection": "close", "Transfer-Encoding": "chunked"}))
    assert not codec.keep_alive


def test_response_without_body() -> None:
    codec = served("Host: a", line="HEAD / HTTP/1.1")
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "10"})))
    assert head.endswith(b"Content-Length: 10\r\n\r\n")
    assert codec.send_data(b"dropped") == []
    codec.send_end()
    for code in (204, 304):
        codec = served("Host: a")
        head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", code, "X"), HTTPHeaders()))
        assert b"Transfer-Encoding" not in head
        with pytest.raises(HTTPOutputError):
            codec.send_data(b"x")


def test_informational_response_then_final() -> None:
    codec = served("Host: a", "Expect: 100-continue", "Content-Length: 0")
    assert codec.send_head(ResponseStartLine("HTTP/1.1", 100, "Continue"), HTTPHeaders()) == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert not codec.head_sent
    codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"}))


def test_response_before_body_read_closes() -> None:
    codec = HTTP1Codec("server")
    codec.receive_data(req("Host: a", "Content-Length: 100", body=b"par"))
    codec.next_event()
    head = b"".join(codec.send_head(ResponseStartLine("HTTP/1.1", 413, "Too Big"), HTTPHeaders({"Content-Length": "0"})))
    assert b"Connection: close" in head and not codec.keep_alive


@pytest.mark.parametrize(
    "headers,reason",
    [
        ({"X": "a\r\nSet-Cookie: x"}, "OK"),
        ({"X": "a\nb"}, "OK"),
        ({"X": "a\rb"}, "OK"),
        ({"X": "a\x00b"}, "OK"),
        ({"X": "a\x7fb"}, "OK"),
        ({"X Y": "a"}, "OK"),
        ({"X:": "a"}, "OK"),
        ({}, "OK\r\nX: y"),
        ({"X": "\u2603"}, "OK"),
        ({"Content-Length": "+1"}, "OK"),
        ({"Content-Length": "1, 1"}, "OK"),
        ({"Transfer-Encoding": "gzip"}, "OK"),
    ],
)
def test_output_injection_rejected(headers: dict[str, str], reason: str) -> None:
    codec = served("Host: a")
    with pytest.raises(HTTPOutputError):
        codec.send_head(ResponseStartLine("HTTP/1.1", 200, reason), HTTPHeaders(headers))


def test_output_misuse() -> None:
    codec = served("Host: a")
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"x")
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"")
    with pytest.raises(HTTPOutputError):
        codec.send_end()
    with pytest.raises(HTTPOutputError):
        codec.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders())
    with pytest.raises(HTTPOutputError):
        codec.send_head(ResponseStartLine("HTTP/1.1", 99, "OK"), HTTPHeaders())
    with pytest.raises(HTTPOutputError):
        codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), extra=[("Bad Name", "x")])
    codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "3"}))
    with pytest.raises(HTTPOutputError):
        codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders())
    codec.send_data(b"ab")
    with pytest.raises(HTTPOutputError):
        codec.send_end()
    assert not codec.keep_alive
    with pytest.raises(HTTPOutputError):
        codec.send_end()
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"x")


def test_client_requests_serialized() -> None:
    codec = HTTP1Codec("client")
    out = codec.send_head(RequestStartLine("POST", "/up?x=1", "HTTP/1.1"), HTTPHeaders({"Host": "a", "Content-Length": "2"}))
    out += codec.send_data(b"ok") + codec.send_end()
    server = HTTP1Codec("server")
    server.receive_data(b"".join(out))
    evs = drain(server)
    assert evs[0].start_line == RequestStartLine("POST", "/up?x=1", "HTTP/1.1")
    assert evs[1:] == [Data(b"ok"), EndOfMessage()]

    codec = HTTP1Codec("client")
    out = codec.send_head(RequestStartLine("PUT", "/", "HTTP/1.1"), HTTPHeaders({"Host": "a", "Transfer-Encoding": "chunked", "Connection": "close"}))
    out += codec.send_data(b"abc") + codec.send_end()
    assert not codec.keep_alive
    server = HTTP1Codec("server")
    server.receive_data(b"".join(out))
    assert drain(server)[1:] == [Data(b"abc"), EndOfMessage()]

    codec = HTTP1Codec("client")
    codec.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders({"Host": "a"}))
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"x")
    for bad in [
        RequestStartLine("G T", "/", "HTTP/1.1"),
        RequestStartLine("GET", "/a b", "HTTP/1.1"),
        RequestStartLine("GET", "/\r\nX: y", "HTTP/1.1"),
        RequestStartLine("GET", "/", "HTTP/2"),
    ]:
        with pytest.raises(HTTPOutputError):
            HTTP1Codec("client").send_head(bad, HTTPHeaders())
    with pytest.raises(HTTPOutputError):
        HTTP1Codec("client").send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders({"Transfer-Encoding": "gzip"}))
    with pytest.raises(HTTPOutputError):
        HTTP1Codec("client").send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders())


def test_repeated_list_fields_are_fine_singletons_once_too() -> None:
    evs = server_events(
        req("Host: a", "Accept: a/b", "Accept: c/d", "Content-Type: x/y", "Authorization: t", "Cookie: a=1", "Cookie: b=2")
    )
    headers = evs[0].headers
    assert headers.get_list("Accept") == ["a/b", "c/d"]
    assert headers["Content-Type"] == "x/y"
    assert headers.get_list("Cookie") == ["a=1", "b=2"]


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\nHost: a\n",
        b"GET / HTTP/1.1\r\nHost: a\n",
        b"\nGET / HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: b\nY",
    ],
)
def test_bare_lf_in_an_unfinished_head_fails_at_once(data: bytes) -> None:
    # Without waiting for a CRLF CRLF that an LF-only peer never sends.
    codec = HTTP1Codec("server")
    codec.receive_data(data)
    with pytest.raises(HTTPInputError) as e:
        codec.next_event()
    assert e.value.status_code == 400 and "bare LF" in str(e.value)
    # The same when the bytes arrive one at a time.
    codec = HTTP1Codec("server")
    with pytest.raises(HTTPInputError):
        for i in range(len(data)):
            codec.receive_data(data[i : i + 1])
            assert codec.next_event() is NEED_DATA


def test_crlf_head_split_anywhere_is_not_taken_for_bare_lf() -> None:
    data = b"\r\nGET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"
    for cut in range(1, len(data)):
        codec = HTTP1Codec("server")
        codec.receive_data(data[:cut])
        assert codec.next_event() is NEED_DATA
        codec.receive_data(data[cut:])
        assert isinstance(codec.next_event(), RequestHead)


def test_client_sees_a_bare_lf_response_head_before_the_close() -> None:
    codec = HTTP1Codec("client")
    codec.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders({"Host": "a"}))
    codec.send_end()
    codec.receive_data(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
    with pytest.raises(HTTPInputError):
        codec.next_event()


def test_framing_fields_in_extra_count_as_headers() -> None:
    start = ResponseStartLine("HTTP/1.1", 200, "OK")
    # Content-Length in extra: the body is length-delimited, not chunked.
    codec = served("Host: a")
    head = b"".join(codec.send_head(start, HTTPHeaders(), extra=[("content-length", "2")]))
    assert b"Transfer-Encoding" not in head and b"content-length: 2\r\n" in head.lower()
    assert codec.send_data(b"ok") == [b"ok"]
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"!")
    assert codec.send_end() == []
    assert codec.keep_alive
    # Connection: close in extra: the codec knows the connection ends.
    codec = served("Host: a")
    head = b"".join(codec.send_head(start, HTTPHeaders({"Content-Length": "0"}), extra=[("Connection", "close")]))
    assert head.count(b"Connection") == 1
    codec.send_end()
    assert not codec.keep_alive
    # Content-Length in both: two values, refused.
    with pytest.raises(HTTPOutputError):
        served("Host: a").send_head(start, HTTPHeaders({"Content-Length": "2"}), extra=[("Content-Length", "2")])
    # Transfer-Encoding in extra, client role: a chunked request body.
    client = HTTP1Codec("client")
    out = client.send_head(
        RequestStartLine("POST", "/", "HTTP/1.1"), HTTPHeaders({"Host": "a"}), extra=[("Transfer-Encoding", "chunked")]
    )
    out += client.send_data(b"abc") + client.send_end()
    server = HTTP1Codec("server")
    server.receive_data(b"".join(out))
    assert drain(server)[1:] == [Data(b"abc"), EndOfMessage()]
    # The headers object passed in is never changed.
    headers = HTTPHeaders({"Host": "a"})
    HTTP1Codec("client").send_head(RequestStartLine("GET", "/", "HTTP/1.1"), headers, extra=[("Connection", "close")])
    assert dict(headers) == {"Host": "a"}


RECEIVE_REQUEST_CASES = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /x?y=1 HTTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: \xff\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n",
    b"GET http://a/t HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    req("Host: a", *[f"X-{i}: v" for i in range(101)], line="GET / HTTP/1.1"),
]


def _events_or_error(codec: HTTP1Codec, first: Any = None) -> list[Any]:
    out: list[Any] = [] if first is None else [first]
    try:
        out += drain(codec)
    except HTTPInputError as e:
        out.append(("error", e.status_code))
    return out


RECEIVE_REQUEST_CASES += [
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept: a\r\nAccept: b\r\nX: 1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
]


@pytest.mark.parametrize("data", RECEIVE_REQUEST_CASES)
def test_receive_request_matches_receive_data_and_next_event(data: bytes) -> None:
    slow = HTTP1Codec("server")
    slow.receive_data(data)
    expected = _events_or_error(slow)
    # Three times: a head seen before is replayed from memory, and must mean
    # exactly what parsing it means.
    for _ in range(3):
        fast = HTTP1Codec("server")
        try:
            head = fast.receive_request(data)
        except HTTPInputError as e:
            got = [("error", e.status_code)]
        else:
            got = _events_or_error(fast, head)
        assert got == expected
        assert fast.buffered_size == slow.buffered_size
        assert fast.keep_alive == slow.keep_alive


def test_a_remembered_head_still_obeys_each_codecs_limits() -> None:
    five = req("Host: a", "A: 1", "B: 2", "C: 3", "D: 4", line="GET / HTTP/1.1")
    assert isinstance(HTTP1Codec("server").receive_request(five), RequestHead)
    strict = HTTP1Codec("server", max_header_count=3)
    assert strict.receive_request(five) is None  # (left to next_event, which names the error)
    with pytest.raises(HTTPInputError) as e:
        strict.next_event()
    assert e.value.status_code == 431
    small = HTTP1Codec("server", max_header_size=len(five) - 1)
    assert small.receive_request(five) is None
    with pytest.raises(HTTPInputError) as e:
        small.next_event()
    assert e.value.status_code == 431
    # "3, 3" is accepted only where allow_repeated_content_length says so,
    # whichever codec saw the bytes first.
    repeated = req("Host: a", "Content-Length: 3, 3", body=b"abc")
    lenient = HTTP1Codec("server", allow_repeated_content_length=True)
    assert isinstance(lenient.receive_request(repeated), RequestHead)
    with pytest.raises(HTTPInputError):
        HTTP1Codec("server").receive_request(repeated)
    assert isinstance(
        HTTP1Codec("server", allow_repeated_content_length=True).receive_request(repeated),
        RequestHead,
    )


def test_a_remembered_head_gives_independent_headers() -> None:
    data = b"GET /h HTTP/1.1\r\nHost: a\r\nAccept: x\r\nAccept: y\r\n\r\n"
    first = HTTP1Codec("server").receive_request(data)
    assert first is not None
    first.headers.add("Accept", "z")
    first.headers["Host"] = "changed"
    second = HTTP1Codec("server").receive_request(data)
    assert second is not None
    assert second.headers.get_list("Accept") == ["x", "y"]
    assert second.headers["Host"] == "a"
    # A bytearray works too (it is not a valid dict key: copied first).
    third = HTTP1Codec("server").receive_request(bytearray(data))  # type: ignore[arg-type]
    assert third is not None and third.headers == second.headers


def test_remembered_heads_are_bounded() -> None:
    from squall.httputil import _codec_recv

    for i in range(_codec_recv._HEAD_CACHE_MAX_ENTRIES * 3):
        HTTP1Codec("server").receive_request(f"GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    assert len(_codec_recv._HEAD_CACHE) <= _codec_recv._HEAD_CACHE_MAX_ENTRIES
    # A big head is parsed as always but not remembered.
    big = req("Host: a", "X: " + "v" * _codec_recv._HEAD_CACHE_MAX_BYTES, line="GET / HTTP/1.1")
    assert isinstance(HTTP1Codec("server").receive_request(big), RequestHead)
    assert big not in _codec_recv._HEAD_CACHE


def test_receive_request_only_buffers_when_not_waiting_for_a_head() -> None:
    codec = HTTP1Codec("server")
    assert isinstance(codec.receive_request(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"), RequestHead)
    # The first exchange is not over: the next head waits in the buffer.
    assert codec.receive_request(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n") is None
    assert drain(codec) == [EndOfMessage()]
    codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"}))
    codec.send_end()
    codec.start_next_cycle()
    assert drain(codec)[0].start_line.path == "/2"
    client = HTTP1Codec("client")
    assert client.receive_request(b"HTTP/1.1 200 OK\r\n\r\n") is None
    assert client.buffered_size == 19
