"""Tests of HeaderBlock and of response heads the codec remembers (send_head)."""

from __future__ import annotations

import pytest

from squall.httputil import (
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    HeaderBlock,
    HTTP1Codec,
    HTTPHeaders,
    HTTPOutputError,
    ResponseHead,
    ResponseStartLine,
)

OK = ResponseStartLine("HTTP/1.1", 200, "OK")


def served(request: bytes = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") -> HTTP1Codec:
    codec = HTTP1Codec("server")
    codec.receive_data(request)
    while codec.next_event() not in (NEED_DATA, PAUSED):
        pass
    return codec


def parse_response(data: bytes, method: str = "GET") -> tuple[ResponseHead, bytes]:
    """Read ``data`` back with a client codec (an independent parse)."""
    client = HTTP1Codec("client")
    client.send_head(
        __import__("squall.httputil", fromlist=["RequestStartLine"]).RequestStartLine(
            method, "/", "HTTP/1.1"
        ),
        HTTPHeaders({"Host": "a"}),
    )
    client.send_end()
    client.receive_data(data)
    head = client.next_event()
    assert isinstance(head, ResponseHead)
    body = b""
    while True:
        event = client.next_event()
        if isinstance(event, Data):
            body += event.data
        else:
            assert isinstance(event, EndOfMessage)
            return head, body


def respond(
    codec: HTTP1Codec,
    headers: HTTPHeaders,
    body: bytes = b"",
    *,
    date: str | None = None,
    block: HeaderBlock | None = None,
    start: ResponseStartLine = OK,
) -> bytes:
    out = codec.send_head(start, headers, date=date, block=block)
    if body:
        out += codec.send_data(body)
    out += codec.send_end()
    return b"".join(out)


# -- HeaderBlock -----------------------------------------------------------


def test_block_encodes_normalised_fields_in_order() -> None:
    block = HeaderBlock([("server", "demo/1"), ("X-Tab", "a\tb"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
    assert bytes(block) == (
        b"Server: demo/1\r\nX-Tab: a\tb\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
    )
    assert len(block) == 4
    assert "SERVER" in block and "Date" not in block and 3 not in block
    assert block.names == frozenset({"Server", "X-Tab", "Set-Cookie"})
    assert list(block)[0] == ("Server", "demo/1")
    assert bytes(HeaderBlock({"A": "1"})) == b"A: 1\r\n"
    headers = HTTPHeaders()
    headers.add("V", "1")
    headers.add("V", "2")
    assert bytes(HeaderBlock(headers)) == b"V: 1\r\nV: 2\r\n"
    assert bytes(HeaderBlock([])) == b""
    assert "HeaderBlock" in repr(block)


@pytest.mark.parametrize(
    "name, value",
    [
        ("X", "a\r\nInjected: 1"),
        ("X", "a\nb"),
        ("X", "a\rb"),
        ("X", "a\x00b"),
        ("X", "a\x7fb"),
        ("X", "a\x0bb"),
        ("X", "caf\u00e9\u20ac"),  # not Latin-1
        ("Bad Name", "v"),
        ("Bad:Name", "v"),
        ("", "v"),
        ("X\r\nY", "v"),
    ],
)
def test_block_refuses_what_send_head_refuses(name: str, value: str) -> None:
    with pytest.raises(HTTPOutputError):
        HeaderBlock([(name, value)])
    with pytest.raises(HTTPOutputError):
        served().send_head(OK, HTTPHeaders({name: value, "Content-Length": "0"}) if name else HTTPHeaders([(name, value)]))


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding", "CONNECTION"])
def test_block_refuses_framing_fields(name: str) -> None:
    with pytest.raises(HTTPOutputError, match="framing"):
        HeaderBlock([(name, "close")])


def test_block_refuses_non_str() -> None:
    with pytest.raises(TypeError):
        HeaderBlock([("X", 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        HeaderBlock([(b"X", "1")])  # type: ignore[list-item]


def test_block_is_sent_verbatim_after_the_headers() -> None:
    block = HeaderBlock([("Server", "demo"), ("Content-Type", "text/plain")])
    data = respond(served(), HTTPHeaders({"Content-Length": "2", "Etag": '"x"'}), b"ok", date="D1", block=block)
    assert data == (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nEtag: \"x\"\r\n"
        b"Server: demo\r\nContent-Type: text/plain\r\nDate: D1\r\n\r\nok"
    )
    head, body = parse_response(data)
    assert head.headers["Server"] == "demo" and body == b"ok"


def test_block_keeps_the_connections_framing_rules() -> None:
    block = HeaderBlock([("Server", "demo")])
    # No Content-Length: chunked to an HTTP/1.1 client.
    data = respond(served(), HTTPHeaders(), b"abc", block=block)
    head, body = parse_response(data)
    assert head.headers["Transfer-Encoding"] == "chunked" and body == b"abc"
    assert head.headers["Server"] == "demo"
    # A client that asked to close: Connection: close is added.
    codec = served(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    data = respond(codec, HTTPHeaders({"Content-Length": "1"}), b"x", block=block)
    assert b"\r\nConnection: close\r\n" in data and not codec.keep_alive
    # HTTP/1.0 without a length: delimited by the close.
    codec = served(b"GET / HTTP/1.0\r\n\r\n")
    respond(codec, HTTPHeaders(), b"x", block=block)
    assert not codec.keep_alive
    # Too much body for the Content-Length is still refused.
    codec = served()
    codec.send_head(OK, HTTPHeaders({"Content-Length": "1"}), block=block)
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"xx")


def test_block_and_headers_may_not_share_a_field() -> None:
    block = HeaderBlock([("Content-Type", "text/plain")])
    with pytest.raises(HTTPOutputError, match="Content-Type"):
        served().send_head(OK, HTTPHeaders({"content-type": "text/html", "Content-Length": "0"}), block=block)


def test_date_in_a_block_replaces_the_servers_date() -> None:
    block = HeaderBlock([("Date", "Thu, 01 Jan 1970 00:00:00 GMT")])
    data = respond(served(), HTTPHeaders({"Content-Length": "0"}), date="Now", block=block)
    assert data.count(b"Date:") == 1 and b"1970" in data


# -- remembered response heads ---------------------------------------------------


def test_repeated_heads_give_the_same_bytes_as_the_first() -> None:
    def headers() -> HTTPHeaders:
        return HTTPHeaders({"Server": "s", "Content-Type": "text/plain", "Content-Length": "5"})

    first = respond(served(), headers(), b"hello", date="D1")
    for _ in range(3):
        assert respond(served(), headers(), b"hello", date="D1") == first
    # A new date is sent, not the remembered one.
    assert b"Date: D2\r\n" in respond(served(), headers(), b"hello", date="D2")
    assert b"Date:" not in respond(served(), headers(), b"hello")
    # And a different value of the same fields.
    changed = headers()
    changed["Server"] = "other"
    assert b"Server: other\r\n" in respond(served(), changed, b"hello", date="D1")


def test_remembered_heads_never_skip_a_check() -> None:
    good = {"X-Reflected": "fine", "Content-Length": "0"}
    for _ in range(3):
        respond(served(), HTTPHeaders(good))
    for bad in ("a\r\nSet-Cookie: x=1", "a\nb", "a\x00"):
        with pytest.raises(HTTPOutputError):
            served().send_head(OK, HTTPHeaders({"X-Reflected": bad, "Content-Length": "0"}))
    with pytest.raises(HTTPOutputError):
        served().send_head(OK, HTTPHeaders({"X-Reflected": "fine", "Content-Length": "-1"}))
    with pytest.raises(HTTPOutputError):
        served().send_head(ResponseStartLine("HTTP/1.1", 200, "OK\r\nX: y"), HTTPHeaders(good))
    with pytest.raises(HTTPOutputError):
        served().send_head(("HTTP/1.1", 200, "OK"), HTTPHeaders(good))  # type: ignore[arg-type]


def test_a_changed_headers_object_is_not_served_from_memory() -> None:
    headers = HTTPHeaders({"Content-Length": "2", "Vary": "Accept"})
    first = respond(served(), headers, b"ok")
    headers.add("Vary", "Cookie")  # mutates the list in place
    second = respond(served(), headers, b"ok")
    assert first.count(b"Vary:") == 1 and second.count(b"Vary:") == 2


def test_remembered_heads_follow_the_connection_state() -> None:
    def headers() -> HTTPHeaders:
        return HTTPHeaders({"Content-Length": "3", "X": "1"})

    for _ in range(3):
        respond(served(), headers(), b"abc")
    # The same fields for a HEAD request: no body goes out.
    codec = served(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert codec.send_head(OK, headers()) and codec.send_data(b"abc") == []
    # For a client that closes: Connection: close is added.
    codec = served(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert b"Connection: close" in respond(codec, headers(), b"abc")
    # HTTP/1.0 keep-alive: the keep-alive answer is added.
    codec = served(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert b"Connection: keep-alive" in respond(codec, headers(), b"abc")
    # A 204 with the same fields is framed as a 204.
    codec = served()
    codec.send_head(ResponseStartLine("HTTP/1.1", 204, "No Content"), HTTPHeaders({"X": "1"}))
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"x")
    # The remembered Content-Length is enforced.
    codec = served()
    codec.send_head(OK, headers())
    with pytest.raises(HTTPOutputError):
        codec.send_data(b"abcd")
    codec = served()
    codec.send_head(OK, headers())
    codec.send_data(b"ab")
    with pytest.raises(HTTPOutputError):
        codec.send_end()


def test_remembered_heads_are_bounded() -> None:
    from squall.httputil import _codec_send

    for i in range(_codec_send._HEADS_MAX_ENTRIES * 3):
        respond(served(), HTTPHeaders({f"X-{i}": "v", "Content-Length": "0"}))
    assert len(_codec_send._HEADS) <= _codec_send._HEADS_MAX_ENTRIES
