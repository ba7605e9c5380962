"""Streaming request bodies (@stream_request_body) and streamed responses (flush)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket

import pytest

from squall.web import Application, HTTPError, RequestHandler, stream_request_body

gates: dict[str, asyncio.Future[None]] = {}
events: list[object] = []


class ErrorPage(RequestHandler):
    def write_error(self, status_code, **kwargs):
        self.finish(f"handler error page {status_code}")


@stream_request_body
class AsyncReceiver(ErrorPage):
    """An async data_received; never runs twice at once."""

    def prepare(self):
        self.digest = hashlib.sha256()
        self.size = 0
        self.active = False
        self.overlaps = 0
        self.calls = 0

    async def data_received(self, chunk):
        if self.active:
            self.overlaps += 1
        self.active = True
        self.calls += 1
        await asyncio.sleep(0)
        await asyncio.sleep(0.001)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.active = False

    def put(self):
        self.write({
            "size": self.size,
            "sha256": self.digest.hexdigest(),
            "overlaps": self.overlaps,
            "calls": self.calls,
        })

    post = put


@stream_request_body
class GatedReceiver(RequestHandler):
    """The first data_received waits for the test to open the gate."""

    def prepare(self):
        self.size = 0

    async def data_received(self, chunk):
        if self.size == 0:
            gate = gates["body"] = asyncio.get_running_loop().create_future()
            await asyncio.wait_for(gate, 20)
        self.size += len(chunk)

    def put(self):
        self.write(str(self.size))


@stream_request_body
class Limited(RequestHandler):
    def prepare(self):
        self.request.connection.set_max_body_size(1000)
        self.size = 0

    def data_received(self, chunk):
        self.size += len(chunk)

    def put(self):
        self.write(f"accepted {self.size}")


@stream_request_body
class SlowBody(RequestHandler):
    def prepare(self):
        self.request.connection.set_body_timeout(0.2)

    def data_received(self, chunk):
        pass

    def put(self):
        self.write("complete")


@stream_request_body
class AsyncPrepare(RequestHandler):
    async def prepare(self):
        events.clear()
        events.append("prepare start")
        await asyncio.sleep(0.05)
        events.append("prepare end")

    def data_received(self, chunk):
        events.append(len(chunk))

    def put(self):
        self.write(repr(events))


@stream_request_body
class RejectsInPrepare(ErrorPage):
    def prepare(self):
        raise HTTPError(403)

    def data_received(self, chunk):
        events.append("data after refusal")


@stream_request_body
class SyncFailure(ErrorPage):
    def data_received(self, chunk):
        raise HTTPError(400, "bad piece")

    def put(self):
        self.write("unreachable")


@stream_request_body
class AsyncFailure(ErrorPage):
    async def data_received(self, chunk):
        await asyncio.sleep(0)
        raise HTTPError(422, "bad piece")

    def put(self):
        self.write("unreachable")


PIECE = 64 * 1024
RESPONSE_TOTAL = 64 * 2**20
produced = {"bytes": 0}


class BigResponse(RequestHandler):
    async def get(self):
        produced["bytes"] = 0
        piece = b"r" * PIECE
        self.set_header("Content-Length", RESPONSE_TOTAL)
        for _ in range(RESPONSE_TOTAL // PIECE):
            self.write(piece)
            await self.flush()
            produced["bytes"] += PIECE


class ChunkedResponse(RequestHandler):
    async def get(self):
        for i in range(5):
            self.write(f"part {i};")
            await self.flush()


@pytest.fixture
def app():
    return Application(
        [
            (r"/async", AsyncReceiver),
            (r"/gated", GatedReceiver),
            (r"/limited", Limited),
            (r"/slow", SlowBody),
            (r"/async-prepare", AsyncPrepare),
            (r"/refuse", RejectsInPrepare),
            (r"/sync-fail", SyncFailure),
            (r"/async-fail", AsyncFailure),
            (r"/big", BigResponse),
            (r"/chunked", ChunkedResponse),
        ]
    )


OCTETS = {"Content-Type": "application/octet-stream"}


def test_async_data_received_in_order_without_overlap(fetch):
    body = bytes(range(256)) * 4096  # 1 MiB
    response = fetch("/async", method="PUT", body=body, headers=OCTETS)
    data = json.loads(response.body.decode())
    assert data["size"] == len(body)
    assert data["sha256"] == hashlib.sha256(body).hexdigest()
    assert data["overlaps"] == 0
    assert data["calls"] >= 2


async def test_chunked_request_body_is_streamed(raw_request):
    pieces = [b"a" * 1000, b"b" * 70_000, b"c"]
    reply = await raw_request(
        b"POST /async HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        + b"0\r\n\r\n"
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    data = json.loads(body)
    assert data["size"] == sum(map(len, pieces))
    assert data["sha256"] == hashlib.sha256(b"".join(pieces)).hexdigest()


@pytest.mark.squall_timeout(30)
async def test_server_stops_reading_while_data_received_waits(http_port):
    total = 64 * 2**20
    gates.pop("body", None)
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", http_port))
        await loop.sock_sendall(
            sock,
            b"PUT /gated HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % total,
        )
        piece = b"z" * PIECE
        sent = 0
        stalled_since = None
        while sent < total:
            try:
                sent += sock.send(piece[: min(PIECE, total - sent)])
                stalled_since = None
            except BlockingIOError:
                now = loop.time()
                if stalled_since is None:
                    stalled_since = now
                elif now - stalled_since > 0.5:
                    break  # the server has stopped reading
                await asyncio.sleep(0.01)  # the server runs meanwhile
        # Without back-pressure the server would have read all 64 MiB.
        assert sent < 32 * 2**20, f"server read {sent} bytes while the handler waited"
        deadline = loop.time() + 10
        while "body" not in gates:  # the handler is waiting at its gate
            assert loop.time() < deadline, "data_received was never called"
            await asyncio.sleep(0.01)
        gates["body"].set_result(None)
        while sent < total:
            chunk = piece[: min(PIECE, total - sent)]
            await loop.sock_sendall(sock, chunk)
            sent += len(chunk)
        reply = b""
        while not reply.endswith(str(total).encode()):
            chunk = await loop.sock_recv(sock, 65536)
            assert chunk, reply
            reply += chunk
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 200 ")


def test_per_request_max_body_size(fetch):
    assert fetch("/limited", method="PUT", body=b"x" * 1000, headers=OCTETS).body.decode() == "accepted 1000"
    too_big = fetch("/limited", method="PUT", body=b"x" * 1001, headers=OCTETS)
    assert too_big.code == 413


async def test_per_request_max_body_size_chunked(raw_request):
    reply = await raw_request(
        b"PUT /limited HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"258\r\n" + b"x" * 600 + b"\r\n258\r\n" + b"y" * 600 + b"\r\n0\r\n\r\n",
        until_close=True,  # the server answers and closes the connection
    )
    assert reply.startswith(b"HTTP/1.1 413 ")


async def test_per_request_body_timeout(raw_request):
    reply = await raw_request(
        b"PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 100\r\n\r\nonly ten..",
        until_close=True,  # the server answers and closes the connection
    )
    assert reply.startswith(b"HTTP/1.1 408 ")


def test_async_prepare_runs_before_any_body(fetch):
    response = fetch("/async-prepare", method="PUT", body=b"q" * 10, headers=OCTETS)
    assert response.body.decode() == repr(["prepare start", "prepare end", 10])


def test_refused_in_prepare_body_is_not_delivered(fetch):
    events.clear()
    response = fetch("/refuse", method="PUT", body=b"q" * 5000, headers=OCTETS)
    assert response.code == 403
    assert response.body.decode() == "handler error page 403"
    assert events == []


@pytest.mark.parametrize("path, status", [("/sync-fail", 400), ("/async-fail", 422)])
def test_error_in_data_received_reaches_the_handler(fetch, path, status):
    response = fetch(path, method="PUT", body=b"q" * 100, headers=OCTETS)
    assert response.code == status
    assert response.body.decode() == f"handler error page {status}"


@pytest.mark.squall_timeout(30)
async def test_flush_waits_for_a_slow_client(http_port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", http_port))
    except BaseException:
        sock.close()
        raise
    # asyncio's reader stops reading the socket once its buffer is full.
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        received = 0
        while received < 2**20:
            piece = await reader.read(65536)
            assert piece, "connection closed early"
            received += len(piece)
        await asyncio.sleep(0.5)  # stop reading for a while (the server runs)
        # Awaiting flush() kept the handler from racing ahead of the client.
        assert produced["bytes"] < 32 * 2**20, produced
        while True:
            chunk = await reader.read(2**20)
            if not chunk:
                break
            received += len(chunk)
            if received >= RESPONSE_TOTAL:
                break
    finally:
        writer.close()
        await writer.wait_closed()
    assert received >= RESPONSE_TOTAL
    assert produced["bytes"] == RESPONSE_TOTAL


async def test_flushed_response_without_length_is_chunked(raw_request):
    reply = await raw_request(b"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b"part 0;" in body and body.endswith(b"0\r\n\r\n")


def test_flushed_response_decoded_by_a_client(fetch):
    assert fetch("/chunked").body.decode() == "".join(f"part {i};" for i in range(5))
