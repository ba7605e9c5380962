"""raw_exchange against scripted servers, and the raw_request fixture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from squall.testing import ResponseTimeoutError, bind_unused_port, raw_exchange

pytest_plugins = ["_pytest.pytester"]

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@asynccontextmanager
async def scripted(
    *pieces: bytes, close: bool = False, pause: float = 0.0
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A server that reads a request head, sends ``pieces`` one by one, then
    closes the connection if ``close`` (else keeps it open until the client
    leaves). Yields (port, what each connection sent)."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            requests.append(await reader.readuntil(b"\r\n\r\n"))
            for i, piece in enumerate(pieces):
                if i and pause:
                    await asyncio.sleep(pause)
                writer.write(piece)
                await writer.drain()
            if not close:
                await reader.read()  # until the client closes
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], requests
    finally:
        server.close()
        await server.wait_closed()


GET = b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


async def test_one_response_by_content_length_on_a_kept_open_connection() -> None:
    async with scripted(OK) as (port, requests):
        assert await raw_exchange(port, GET, timeout=2) == OK
    assert requests == [GET]
    async with scripted(*[OK[i : i + 1] for i in range(len(OK))], pause=0.002) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == OK


async def test_chunked_body_ends_with_the_last_chunk_and_trailers() -> None:
    response = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    # One byte at a time: the framing must not depend on how reads split.
    pieces = [response[i : i + 1] for i in range(len(response))]
    async with scripted(*pieces, pause=0.001) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == response
    plain = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    async with scripted(plain) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == plain


@pytest.mark.parametrize(
    "request_line, head",
    [
        (b"HEAD / HTTP/1.1", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        (b"GET / HTTP/1.1", b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
        (b"GET / HTTP/1.1", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
        (b"GET / HTTP/1.1", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"),
    ],
)
async def test_answers_without_a_body_end_with_their_head(request_line: bytes, head: bytes) -> None:
    async with scripted(head) as (port, _):
        assert await raw_exchange(port, request_line + b"\r\nHost: x\r\n\r\n", timeout=2) == head


async def test_interim_responses_are_kept_and_the_final_one_awaited() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    async with scripted(interim, OK, pause=0.01) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == interim + OK


async def test_a_body_without_length_ends_when_the_server_closes() -> None:
    response = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    async with scripted(response, close=True) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == response


async def test_until_close_reads_every_response() -> None:
    async with scripted(OK, OK, close=True) as (port, _):
        assert await raw_exchange(port, GET, timeout=2, until_close=True) == OK + OK


async def test_an_early_close_returns_what_arrived() -> None:
    async with scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf", close=True) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf"
    async with scripted(close=True) as (port, _):
        assert await raw_exchange(port, GET, timeout=2) == b""


@pytest.mark.parametrize(
    "pieces, awaited",
    [
        ((b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf",), "5 more body bytes (Content-Length)"),
        ((b"HTTP/1.1 200 OK\r\nContent-",), "the end of the response head"),
        ((b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",), "5 more bytes of a chunk"),
        ((b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",), "the next chunk-size line"),
        ((b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",), "the end of the trailer section"),
        ((b"HTTP/1.1 200 OK\r\n\r\nno length",), "the server to close the connection"),
        ((), "the end of the response head"),
    ],
)
async def test_timeout_says_what_was_awaited_and_shows_what_arrived(
    pieces: tuple[bytes, ...], awaited: str
) -> None:
    async with scripted(*pieces) as (port, _):
        with pytest.raises(ResponseTimeoutError) as caught:
            await raw_exchange(port, GET, timeout=0.2)
    sent = b"".join(pieces)
    assert caught.value.received == sent
    message = str(caught.value)
    assert f"raw_exchange() to 127.0.0.1:{port} gave up after 0.2 s waiting for {awaited}" in message
    assert f"received {len(sent)} bytes: {sent!r}" in message
    assert isinstance(caught.value, TimeoutError)


async def test_timeout_with_until_close_and_a_long_answer_shortened() -> None:
    body = b"a" * 3000 + b"b" * 1000 + b"THE-END"
    response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    async with scripted(response) as (port, _):
        with pytest.raises(ResponseTimeoutError) as caught:
            await raw_exchange(port, GET, timeout=0.2, until_close=True)
    assert caught.value.received == response
    message = str(caught.value)
    assert "waiting for the server to close the connection (until_close=True)" in message
    assert f"received {len(response)} bytes" in message
    assert "bytes not shown" in message and "THE-END" in message
    assert len(message) < 2500


@pytest.mark.parametrize(
    "response, complaint",
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "does not start with an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "unusable Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "unusable Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk-size line"),
    ],
)
async def test_an_answer_whose_end_cannot_be_found_is_an_error(response: bytes, complaint: str) -> None:
    async with scripted(response) as (port, _):
        with pytest.raises(AssertionError, match=complaint) as caught:
            await raw_exchange(port, GET, timeout=2)
    assert "until_close=True" in str(caught.value)
    # The same answer read until close is just bytes.
    async with scripted(response, close=True) as (port, _):
        assert await raw_exchange(port, GET, timeout=2, until_close=True) == response


async def test_bad_arguments_and_refused_connections() -> None:
    with pytest.raises(TypeError, match=r"sends bytes, not str \(encode it"):
        await raw_exchange(1, "GET / HTTP/1.1\r\n\r\n")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be a positive"):
        await raw_exchange(1, GET, timeout=0)
    sock, port = bind_unused_port()
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        await raw_exchange(port, GET, timeout=2)


APP = """
import pytest
from squall.httputil import HTTPHeaders, ResponseStartLine


def handle(request):
    if request.path == "/silent":
        return  # never answers
    body = f"{request.method} {request.path} {request.protocol}".encode()
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": str(len(body))}), body
    )
    request.connection.finish()


@pytest.fixture
def app():
    return handle
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makeconftest(APP)
    pytester.makepyfile(test_it=source)
    return pytester.runpytest(*QUIET, *args)


def test_raw_request_fixture_in_async_and_plain_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        async def test_async(raw_request, http_port):
            assert raw_request.port == http_port
            answer = await raw_request(b"GET /a HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            assert answer.startswith(b"HTTP/1.1 200 OK\\r\\n")
            assert answer.endswith(b"\\r\\n\\r\\nGET /a http")

        def test_plain(raw_request):
            answer = raw_request(b"GET /b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            assert answer.endswith(b"\\r\\n\\r\\nGET /b http")
        """,
    )
    result.assert_outcomes(passed=2)


def test_raw_request_speaks_tls_to_a_tls_server(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from squall.testing import get_test_ssl_options

        @pytest.fixture
        def http_server_options():
            return {"ssl_options": get_test_ssl_options()}

        async def test_tls(raw_request):
            assert raw_request.ssl is not None
            answer = await raw_request(b"GET /s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            assert answer.endswith(b"GET /s https")
        """,
    )
    result.assert_outcomes(passed=1)


def test_raw_request_timeout_fails_with_what_arrived(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.squall_timeout(1)
        async def test_default_is_half_the_test_timeout(raw_request):
            await raw_request(b"GET /silent HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")

        def test_plain(raw_request):
            raw_request(b"GET /silent HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", timeout=0.1)
        """,
        "-W",
        "ignore::squall.testing.LeakWarning",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*ResponseTimeoutError: raw_exchange() to 127.0.0.1:* gave up after 0.5 s waiting for "
            "the end of the response head*received 0 bytes: b''",
            "*ResponseTimeoutError: raw_exchange() to 127.0.0.1:* gave up after 0.1 s*",
        ]
    )

