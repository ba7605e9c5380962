"""Property tests of the codec: any input yields valid events or HTTPInputError,
never another exception or a hang, and the split of the byte stream never
changes the outcome."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.httputil import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    RequestHead,
    RequestStartLine,
    ResponseHead,
    ResponseStartLine,
)

VALID_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /p?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=v\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"PUT /y HTTP/1.1\r\nHost: b:80\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
]
VALID_RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\n\r\nuntil close",
]
INTERESTING = [b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b";", b"0", b"\x00", b"\xa0", b",", b"chunked", b"Content-Length: 3\r\n", b"Transfer-Encoding: chunked\r\n"]


def run(role: str, pieces: list[bytes], eof: bool) -> list[Any]:
    """Feed pieces; return the merged event list, ending with an error marker."""
    codec = HTTP1Codec(role, max_header_size=2048, max_start_line_size=512, max_body_size=4096)  # type: ignore[arg-type]
    if role == "client":
        codec.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders())
        codec.send_end()
    out: list[Any] = []
    steps = 0

    def pump() -> bool:
        nonlocal steps
        while True:
            steps += 1
            assert steps < 100_000, "codec does not make progress"
            ev = codec.next_event()
            if ev is NEED_DATA:
                return True
            if ev is PAUSED:
                if not codec.keep_alive or codec.role == "client":
                    return False
                codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"}))
                codec.send_end()
                codec.start_next_cycle()
                continue
            assert isinstance(ev, (RequestHead, ResponseHead, Data, EndOfMessage, ConnectionClosed)), ev
            if isinstance(ev, Data):
                assert ev.data, "empty Data event"
                if out and isinstance(out[-1], Data):
                    out[-1] = Data(out[-1].data + ev.data)
                    continue
            out.append(ev)
            if isinstance(ev, ConnectionClosed):
                return False

    try:
        for piece in pieces:
            codec.receive_data(piece)
            if not pump():
                return out
        if eof:
            codec.receive_eof()
            pump()
    except HTTPInputError as e:
        assert e.status_code in (400, 413, 414, 417, 431, 501, 505)
        out.append(("error", e.status_code))
    return out


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


@st.composite
def mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    data = bytearray(b"".join(draw(st.lists(st.sampled_from(corpus), min_size=1, max_size=3))))
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            data[pos:pos] = draw(st.sampled_from(INTERESTING) | st.binary(max_size=4))
        elif kind == 1:
            del data[pos : pos + draw(st.integers(1, 4))]
        elif pos < len(data):
            data[pos] = draw(st.integers(0, 255))
    return bytes(data)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 400), max_size=6), eof=st.booleans())
def test_random_bytes_server(data: bytes, cuts: list[int], eof: bool) -> None:
    assert run("server", split(data, cuts), eof) == run("server", [data], eof)


@FUZZ
@given(data=mutated(VALID_REQUESTS), cuts=st.lists(st.integers(0, 400), max_size=8), eof=st.booleans())
def test_mutated_requests_any_split(data: bytes, cuts: list[int], eof: bool) -> None:
    assert run("server", split(data, cuts), eof) == run("server", [data], eof)


@FUZZ
@given(data=mutated(VALID_RESPONSES), cuts=st.lists(st.integers(0, 400), max_size=8), eof=st.booleans())
def test_mutated_responses_any_split(data: bytes, cuts: list[int], eof: bool) -> None:
    assert run("client", split(data, cuts), eof) == run("client", [data], eof)


@FUZZ
@given(data=st.sampled_from(VALID_REQUESTS), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_valid_requests_parse_whatever_the_split(data: bytes, cuts: list[int]) -> None:
    events = run("server", split(data, cuts), False)
    assert isinstance(events[0], RequestHead)
    assert isinstance(events[-1], EndOfMessage)


HEADS = [r.split(b"\r\n\r\n", 1)[0] + b"\r\n" for r in VALID_REQUESTS] + [
    b"GET /a HTTP/1.1\r\nHost: a\r\nX: \t v \xe9 \r\nx: 2\r\nCookie: a=b\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close, x\r\n",
]


def head_outcome(parse: Any) -> Any:
    try:
        head = parse()
    except HTTPInputError as e:
        return ("error", e.status_code)
    return (head.start_line, dict(head.headers._dict), head.keep_alive, head.expect_continue)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated(HEADS))
def test_fast_head_path_agrees_with_the_line_parser(data: bytes) -> None:
    # The one-regex fast path must never accept what the line-by-line parser
    # rejects, nor read an accepted head differently.
    from squall.httputil._codec_recv import _REQUEST_HEAD_RE

    text = data.decode("latin-1")
    m = _REQUEST_HEAD_RE.match(text)
    if m is None:
        return  # the server uses the line parser: nothing to compare
    fast = head_outcome(lambda: HTTP1Codec("server")._fast_request_head(m))
    slow = head_outcome(lambda: HTTP1Codec("server")._parse_request_head(text[:-2]))
    assert fast == slow
