"""Resource exhaustion: slow clients, idle connections, huge inputs.

Checklist: /work/shared/ROBUSTNESS.md section 2 (items 13-17). Timing checks
here are ratios (10x the input must cost well under 30x the time), never
absolute times, so a loaded machine does not flip them; a quadratic parser
would show about 100x.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from squall.httputil import HTTPHeaders, HTTPInputError, parse_cookie, parse_multipart_form_data
from squall.web import Application, RequestHandler

# Linear work costs about 10x for a 10x input; quadratic about 100x.
MAX_RATIO = 30.0


def _best_time(fn: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _growth(make: Callable[[int], Callable[[], Any]], n: int, repeat: int = 5) -> float:
    """The time ratio of running ``make(10 * n)`` against ``make(n)`` (best of ``repeat``)."""
    small, big = make(n), make(10 * n)
    small()  # warm caches and regex compilation
    return _best_time(big, repeat) / max(_best_time(small, repeat), 1e-6)


def _wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the peer closes ``sock`` within ``timeout`` seconds (data is skipped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


# -- slow clients -----------------------------------------------------------------------


def test_slowloris_headers_are_cut_by_the_header_timeout(make_server: Any) -> None:
    server = make_server(header_timeout=0.5, idle_connection_timeout=30)
    head = b"GET /t HTTP/1.1\r\nHost: a\r\n" + b"X-Slow: " + b"z" * 200 + b"\r\n\r\n"
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sent = 0
    cut = False
    try:
        for byte in head:  # one byte per 50 ms: 10 s for the whole head
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            sent += 1
            if _closed_by_server(sock, 0.05):
                cut = True
                break
    finally:
        sock.close()
    assert cut, "the server waited for the whole trickled head"
    assert sent < len(head)
    assert server.hits == []
    assert server.canary_ok()


def test_slow_body_is_cut_by_the_body_timeout(make_server: Any) -> None:
    server = make_server(body_timeout=0.5, header_timeout=5)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        sock.sendall(b"POST /t HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n")
        cut = False
        for _ in range(200):  # at most 10 s
            try:
                sock.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            if _closed_by_server(sock, 0.05):
                cut = True
                break
        assert cut
    finally:
        sock.close()
    assert server.hits == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"5\r\nhello\r\n", id="no-last-chunk"),
        pytest.param(b"100\r\nshort", id="chunk-bigger-than-data"),
    ],
)
def test_unfinished_chunked_body_times_out(make_server: Any, body: bytes) -> None:
    server = make_server(body_timeout=0.5, header_timeout=5)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        sock.sendall(b"POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        assert _closed_by_server(sock, 10)
    finally:
        sock.close()
    assert server.hits == []


# -- clients that do not read ----------------------------------------------------------------


class Firehose(RequestHandler):
    """Streams up to 256 MiB with flush(), counting what it has written."""

    def initialize(self, progress: list[int]) -> None:  # type: ignore[override]
        self.progress = progress

    async def get(self) -> None:
        chunk = b"x" * 65536
        for _ in range(4096):
            self.write(chunk)
            await self.flush()
            self.progress[0] += len(chunk)


class Big(RequestHandler):
    """A 64 KiB answer, counting how many were produced."""

    def initialize(self, progress: list[int]) -> None:  # type: ignore[override]
        self.progress = progress

    def get(self) -> None:
        self.progress[0] += 1
        self.write(b"y" * 65536)


def _firehose_app(progress: list[int]) -> Application:
    return Application(
        [(r"/fire", Firehose, {"progress": progress}), (r"/big", Big, {"progress": progress})]
    )


def _stalls(progress: list[int]) -> int:
    """Wait until ``progress[0]`` stops moving for 0.5 s; return where it stopped."""
    last = -1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = progress[0]
        if now == last:
            return now
        last = now
        time.sleep(0.5)
    raise AssertionError(f"the server kept producing output: {progress[0]}")


def test_streaming_to_a_client_that_never_reads_is_bounded(make_server: Any) -> None:
    progress = [0]
    server = make_server(_firehose_app(progress))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    try:
        sock.sendall(b"GET /fire HTTP/1.1\r\nHost: a\r\n\r\n")
        assert _wait_until(lambda: progress[0] > 0)
        stalled_at = _stalls(progress)
        # Kernel buffers on both ends plus the transport's high-water mark:
        # a few MiB at most, against 256 MiB the handler wanted to send.
        assert stalled_at < 32 * 1024 * 1024
        assert server.canary_ok()
    finally:
        sock.close()


def test_pipelining_client_that_never_reads_is_bounded(make_server: Any) -> None:
    """Pipelined requests are not answered faster than the client reads."""
    progress = [0]
    server = make_server(_firehose_app(progress))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    try:
        request = b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n"
        sock.setblocking(False)
        sent = 0
        payload = request * 1000  # would be 64 MiB of answers
        deadline = time.monotonic() + 5
        while sent < len(payload) and time.monotonic() < deadline:
            try:
                sent += sock.send(payload[sent : sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        assert _wait_until(lambda: progress[0] > 0)
        answered = _stalls(progress)
        assert answered * 65536 < 16 * 1024 * 1024, f"{answered} answers queued"
        assert server.canary_ok()
    finally:
        sock.close()


# -- many connections ---------------------------------------------------------------------------


def _open_idle(server: Any, count: int, batch: int = 100) -> list[socket.socket]:
    """Open ``count`` idle connections, in batches the server has accepted.

    Batching keeps the listen queue short: a connect that overflows it waits
    for a SYN retransmit (a second or more) and would slow the test, not the
    server.
    """
    socks: list[socket.socket] = []
    base = server.connection_count()
    while len(socks) < count:
        for _ in range(min(batch, count - len(socks))):
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        target = base + len(socks)
        _wait_until(lambda: server.connection_count() >= min(target, server_cap(server)))
    return socks


def server_cap(server: Any) -> int:
    """The connection cap the live server enforces (its own figure, not a guess)."""
    assert server.server is not None
    cap = server.server.connection_limit
    return int(cap) if cap is not None else 1 << 30


def test_one_thousand_idle_connections(make_server: Any) -> None:
    """1,000 idle clients do not stop a new one being served, nor leak when they go."""
    server = make_server(idle_connection_timeout=60, header_timeout=60)
    socks = _open_idle(server, 1000)
    try:
        assert _wait_until(lambda: server.connection_count() == 1000)
        assert server.canary_ok()
    finally:
        for s in socks:
            s.close()
    assert _wait_until(lambda: server.connection_count() == 0)


def test_idle_connections_are_reaped_by_the_idle_timeout(make_server: Any) -> None:
    server = make_server(idle_connection_timeout=0.5, header_timeout=0.5)
    socks = _open_idle(server, 200)
    try:
        # Every idle connection is closed by the server once its timeout passes.
        assert _wait_until(lambda: server.connection_count() == 0)
        assert all(_closed_by_server(s, 2) for s in socks)
        assert server.canary_ok()
    finally:
        for s in socks:
            s.close()


def test_connection_cap_refuses_extra_clients_and_keeps_serving(make_server: Any) -> None:
    server = make_server(max_connections=50, idle_connection_timeout=30)
    socks = _open_idle(server, 80)
    try:
        assert _wait_until(lambda: server.connection_count() == 50)
        extra_closed = sum(_closed_by_server(s, 0.5) for s in socks[50:])
        assert extra_closed == 30
        for s in socks[:10]:
            s.close()
        assert _wait_until(lambda: server.connection_count() == 40)
        assert server.canary_ok()
    finally:
        for s in socks:
            s.close()


# -- huge inputs ----------------------------------------------------------------------------------


def test_ten_thousand_headers_get_431(shared_server: Any, raw: Any) -> None:
    head = b"GET /t HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(10000))
    responses, closed = raw(shared_server.port, head + b"\r\n")
    assert [r.status for r in responses] == [431]
    assert closed
    assert shared_server.canary_ok()


def test_hundred_thousand_part_multipart_gets_413_over_the_wire(make_server: Any, raw: Any) -> None:
    server = make_server(max_body_size=8 * 1024 * 1024)
    part = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'
    body = part * 100_000 + b"--B--\r\n"
    assert len(body) < 8 * 1024 * 1024  # under max_body_size: the multipart parser decides
    head = (
        b"POST /t HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=B\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    responses, _ = raw(server.port, head + body, expect=1)
    assert [r.status for r in responses] == [413]
    assert server.hits == []
    assert server.canary_ok()


def _multipart(parts: int) -> bytes:
    part = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'
    return part * parts + b"--B--\r\n"


def test_multipart_parsing_is_linear() -> None:
    def make(n: int) -> Callable[[], Any]:
        body = _multipart(n)

        def run() -> None:
            args: dict[str, list[bytes]] = {}
            parse_multipart_form_data(b"B", body, args, {}, max_parts=10**6)
            assert len(args["a"]) == n

        return run

    assert _growth(make, 10_000, repeat=3) < MAX_RATIO


def test_multipart_part_limit_is_checked_in_linear_time() -> None:
    def make(n: int) -> Callable[[], Any]:
        body = _multipart(n)

        def run() -> None:
            with pytest.raises(HTTPInputError) as info:
                parse_multipart_form_data(b"B", body, {}, {})
            assert info.value.status_code == 413

        return run

    assert _growth(make, 10_000) < MAX_RATIO


def test_content_disposition_quoted_semicolons_are_linear() -> None:
    def make(n: int) -> Callable[[], Any]:
        body = (
            b'--B\r\nContent-Disposition: form-data; name="a"; x="'
            + b";" * n
            + b'"\r\n\r\nv\r\n--B--\r\n'
        )

        def run() -> None:
            args: dict[str, list[bytes]] = {}
            parse_multipart_form_data(b"B", body, args, {})
            assert args == {"a": [b"v"]}

        return run

    assert _growth(make, 10_000) < MAX_RATIO


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda n: '"' * n, id="quotes"),
        pytest.param(lambda n: 'a="b=' + "\\" * n + '"', id="backslashes-in-quotes"),
        pytest.param(lambda n: 'a="' + '\\"' * n + '"', id="escaped-quotes"),
        pytest.param(lambda n: "a=1; " * n, id="many-pairs"),
    ],
)
def test_cookie_parsing_is_linear(shape: Callable[[int], str]) -> None:
    def make(n: int) -> Callable[[], Any]:
        header = shape(n)
        return lambda: parse_cookie(header)

    assert _growth(make, 10_000) < MAX_RATIO


def test_repeated_header_merge_is_linear() -> None:
    def make(n: int) -> Callable[[], Any]:
        def run() -> None:
            headers = HTTPHeaders()
            for _ in range(n):
                headers.add("X-Foo", "bar")
            assert len(headers.get_list("X-Foo")) == n

        return run

    assert _growth(make, 10_000) < MAX_RATIO


def test_one_byte_chunks_are_accumulated_linearly(make_server: Any) -> None:
    """A body sent as 1-byte chunks over the wire: 10x the chunks, ~10x the work."""
    server = make_server(max_body_size=10 * 1024 * 1024, body_timeout=30)

    def make(n: int) -> Callable[[], Any]:
        data = (
            b"POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"1\r\nx\r\n" * n
            + b"0\r\n\r\n"
        )

        def run() -> None:
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            try:
                sock.sendall(data)
                buf = b""
                while chunk := sock.recv(65536):
                    buf += chunk
            finally:
                sock.close()
            assert buf.startswith(b"HTTP/1.1 200")
            assert buf.endswith(b"ok %d\n" % n)

        return run

    assert _growth(make, 10_000, repeat=3) < MAX_RATIO


def test_hostile_cookie_header_over_the_wire(make_server: Any, raw: Any) -> None:
    """A 60 KB backslash-run cookie is parsed (one cookie) and answered."""

    class CookieHandler(RequestHandler):
        def get(self) -> None:
            self.write(",".join(sorted(self.cookies)))

    server = make_server(Application([(r"/c", CookieHandler)]))
    cookie = b'a="b=' + b"\\" * 60000 + b'"; c=1'
    data = b"GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\nCookie: " + cookie + b"\r\n\r\n"
    responses, _ = raw(server.port, data)
    assert [(r.status, r.body) for r in responses] == [(200, b"a,c")]


@pytest.mark.parametrize("members", [1, 3], ids=["one-member", "concatenated-members"])
def test_gzip_bomb_is_limited_on_decompressed_bytes(make_server: Any, raw: Any, members: int) -> None:
    """A small gzip body that inflates past max_body_size is refused (checklist 18)."""
    import gzip

    server = make_server(decompress_request=True, max_body_size=1024 * 1024)
    bomb = b"".join(gzip.compress(b"\0" * (8 * 1024 * 1024)) for _ in range(members))
    assert len(bomb) < 64 * 1024 * members
    head = (
        b"POST /t HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(bomb)
    )
    responses, _ = raw(server.port, head + bomb, expect=1)
    assert [r.status for r in responses] in ([413], [400])
    assert server.hits == []
    assert server.canary_ok()


def test_concatenated_gzip_members_are_all_decompressed(make_server: Any, raw: Any) -> None:
    import gzip

    server = make_server(decompress_request=True)
    body = gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 1000)
    head = (
        b"POST /t HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    responses, _ = raw(server.port, head + body)
    assert [(r.status, r.body) for r in responses] == [(200, b"ok 2000\n")]
