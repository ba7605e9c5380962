"""Tests of squall.iostream: IOStream, SSLIOStream, PipeIOStream."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from squall.ioloop import IOLoop
from squall.iostream import (
    IOStream,
    PipeIOStream,
    SSLIOStream,
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)
from squall.netutil import bind_sockets


def run(io_loop: IOLoop, func: Callable[[], Awaitable[Any]], timeout: float = 10) -> Any:
    return io_loop.run_sync(func, timeout=timeout)


def pair(**kwargs: Any) -> tuple[IOStream, socket.socket]:
    """An IOStream on one end of a socket pair, the raw socket on the other."""
    a, b = socket.socketpair()
    return IOStream(a, **kwargs), b


async def tick(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


# -- reads --------------------------------------------------------------------


def test_read_until_with_several_messages_buffered(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> list[bytes]:
        peer.sendall(b"one\r\ntwo\r\nthree")
        first = await stream.read_until(b"\r\n")
        second = await stream.read_until(b"\r\n")
        third = await stream.read_bytes(5)
        return [first, second, third]

    assert run(io_loop, main) == [b"one\r\n", b"two\r\n", b"three"]
    stream.close()
    peer.close()


def test_read_until_delimiter_split_across_single_byte_chunks(io_loop: IOLoop) -> None:
    stream, peer = pair()
    payload = b"GET / HTTP/1.1\r\n\r\n"

    async def main() -> bytes:
        fut = stream.read_until(b"\r\n\r\n")
        for i in range(len(payload)):
            peer.send(payload[i : i + 1])
            await asyncio.sleep(0.001)
            assert not fut.done() or i == len(payload) - 1
        return await fut

    assert run(io_loop, main) == payload
    stream.close()
    peer.close()


def test_read_until_max_bytes_unsatisfiable_closes_stream(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        peer.sendall(b"x" * 100)
        with pytest.raises(UnsatisfiableReadError, match="max_bytes=50"):
            await stream.read_until(b"\n", max_bytes=50)
        assert stream.closed()
        assert isinstance(stream.error, UnsatisfiableReadError)

    run(io_loop, main)
    peer.close()


def test_read_until_max_bytes_detected_after_arrival(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        fut = stream.read_until(b"\n", max_bytes=10)
        await tick()
        peer.sendall(b"0123456789abc")
        with pytest.raises(UnsatisfiableReadError):
            await fut
        assert stream.closed()

    run(io_loop, main)
    peer.close()


def test_read_until_max_bytes_boundary_counts_delimiter(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> bytes:
        peer.sendall(b"12345678\r\n")
        return await stream.read_until(b"\r\n", max_bytes=10)

    assert run(io_loop, main) == b"12345678\r\n"
    stream.close()
    peer.close()


def test_read_until_regex(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> list[bytes]:
        peer.sendall(b"abc123def456")
        a = await stream.read_until_regex(rb"\d+")
        b = await stream.read_until_regex(re.compile(rb"f4"))
        return [a, b]

    assert run(io_loop, main) == [b"abc123", b"def4"]
    stream.close()
    peer.close()


def test_read_until_regex_max_bytes(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        peer.sendall(b"a" * 20)
        with pytest.raises(UnsatisfiableReadError):
            await stream.read_until_regex(rb"b", max_bytes=10)

    run(io_loop, main)
    assert stream.closed()
    peer.close()


def test_read_arguments_are_validated(io_loop: IOLoop) -> None:
    stream, peer = pair()
    with pytest.raises(ValueError, match="delimiter"):
        stream.read_until(b"")
    with pytest.raises(ValueError, match="max_bytes"):
        stream.read_until(b"\n", max_bytes=0)
    with pytest.raises(ValueError, match="non-negative"):
        stream.read_bytes(-1)
    with pytest.raises(TypeError, match="bytes pattern"):
        stream.read_until_regex("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="writable"):
        stream.read_into(b"readonly")
    assert not stream.reading()
    stream.close()
    peer.close()


def test_read_bytes_partial_and_zero(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> list[bytes]:
        empty = await stream.read_bytes(0)
        fut = stream.read_bytes(100, partial=True)
        await tick()
        peer.sendall(b"hello")
        first = await fut
        peer.sendall(b"0123456789")
        second = await stream.read_bytes(4, partial=True)
        rest = await stream.read_bytes(6)
        return [empty, first, second, rest]

    assert run(io_loop, main) == [b"", b"hello", b"0123", b"456789"]
    stream.close()
    peer.close()


def test_read_bytes_large_message(io_loop: IOLoop) -> None:
    stream, peer = pair()
    payload = os.urandom(3 * 1024 * 1024 + 17)
    sender = threading.Thread(target=peer.sendall, args=(payload,))

    async def main() -> bytes:
        sender.start()
        return await stream.read_bytes(len(payload))

    assert run(io_loop, main) == payload
    sender.join()
    stream.close()
    peer.close()


@pytest.mark.parametrize("partial", [False, True])
def test_large_read_bytes_leaves_what_follows_buffered(io_loop: IOLoop, partial: bool) -> None:
    # A large pending read receives more than it asked for when more is
    # waiting; the result is still exactly the size asked for, and the rest
    # is there for the next reads, in order.
    stream, peer = pair()
    first = os.urandom(40 * 1024)
    second = os.urandom(20 * 1024)
    tail = b"tail\r\n"
    sizes: list[int] = []

    async def main() -> list[bytes]:
        fut = stream.read_bytes(len(first), partial=partial)
        await tick()  # pending, with nothing buffered: the direct path
        peer.sendall(first + second + tail)
        got = [await fut]
        while partial and sum(map(len, got)) < len(first):
            got.append(await stream.read_bytes(len(first) - sum(map(len, got)), partial=True))
        sizes.extend(len(part) for part in got)
        return [b"".join(got), await stream.read_bytes(len(second)), await stream.read_until(b"\r\n")]

    assert run(io_loop, main) == [first, second, tail]
    assert all(size <= len(first) for size in sizes)
    stream.close()
    peer.close()


def test_large_read_bytes_cancelled_keeps_the_data(io_loop: IOLoop) -> None:
    stream, peer = pair()
    payload = os.urandom(32 * 1024)

    async def main() -> bytes:
        fut = stream.read_bytes(len(payload))
        await tick()
        fut.cancel()
        peer.sendall(payload + b"more")
        await tick(10)
        return await stream.read_bytes(len(payload) + 4)

    assert run(io_loop, main) == payload + b"more"
    stream.close()
    peer.close()


def test_read_into_full_and_partial(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> tuple[int, bytes, int, bytes, int, bytes]:
        buf = bytearray(8)
        peer.sendall(b"abc")  # buffered part
        fut = stream.read_into(buf)
        await tick()
        assert not fut.done()
        peer.sendall(b"defgh")  # received straight into buf
        n = await fut
        buf2 = bytearray(10)
        fut2 = stream.read_into(memoryview(buf2), partial=True)
        await tick()
        peer.sendall(b"xyz")
        n2 = await fut2
        big = bytearray(4)
        peer.sendall(b"123456")
        n3 = await stream.read_into(big)
        return n, bytes(buf), n2, bytes(buf2[:n2]), n3, bytes(big)

    assert run(io_loop, main) == (8, b"abcdefgh", 3, b"xyz", 4, b"1234")
    stream.close()
    peer.close()


def test_read_until_close_returns_everything(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> bytes:
        fut = stream.read_until_close()
        peer.sendall(b"part one, ")
        await asyncio.sleep(0.01)
        peer.sendall(b"part two")
        peer.close()
        return await fut

    assert run(io_loop, main) == b"part one, part two"
    assert stream.closed()


def test_read_until_close_on_already_closed_stream_returns_buffer(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> bytes:
        peer.sendall(b"leftover")
        peer.close()
        with pytest.raises(StreamClosedError):
            await stream.read_bytes(100)
        return await stream.read_until_close()

    assert run(io_loop, main) == b"leftover"


def test_close_in_middle_of_read_raises_stream_closed(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        fut = stream.read_bytes(10)
        peer.sendall(b"12345")
        await asyncio.sleep(0.01)
        peer.close()
        with pytest.raises(StreamClosedError):
            await fut
        assert stream.closed()
        # Buffered data that a later read can use is still delivered.

    run(io_loop, main)


def test_buffered_data_satisfies_read_after_close(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> list[bytes]:
        peer.sendall(b"line1\nline2\n")
        peer.close()
        first = await stream.read_until(b"\n")
        await asyncio.sleep(0.01)
        second = await stream.read_until(b"\n")
        return [first, second]

    assert run(io_loop, main) == [b"line1\n", b"line2\n"]
    assert stream.closed()
    with pytest.raises(StreamClosedError):
        stream.read_until(b"\n")


def test_local_close_during_read(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        fut = stream.read_until(b"\n")
        io_loop.call_later(0.01, stream.close)
        with pytest.raises(StreamClosedError) as info:
            await fut
        assert info.value.real_error is None

    run(io_loop, main)
    peer.close()


def test_connection_reset_is_real_error(io_loop: IOLoop) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    port = socks[0].getsockname()[1]

    async def main() -> None:
        stream = IOStream(socket.socket())
        await stream.connect(("127.0.0.1", port))
        server_side, _ = socks[0].accept()
        # SO_LINGER with a zero timeout makes close() send a reset.
        server_side.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server_side.close()
        with pytest.raises(StreamClosedError) as info:
            await stream.read_bytes(1)
        assert isinstance(info.value.real_error, ConnectionResetError)
        assert isinstance(stream.error, ConnectionResetError)
        assert "ConnectionResetError" in str(info.value)

    run(io_loop, main)
    socks[0].close()


def test_only_one_read_at_a_time(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> bytes:
        fut = stream.read_bytes(1)
        assert stream.reading()
        with pytest.raises(RuntimeError, match="already pending"):
            stream.read_bytes(1)
        peer.sendall(b"z")
        result = await fut
        assert not stream.reading()
        return result

    assert run(io_loop, main) == b"z"
    stream.close()
    peer.close()


def test_cancelled_read_leaves_data_for_next_read(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> bytes:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(stream.read_until(b"\n"), 0.01)
        peer.sendall(b"kept\n")
        return await stream.read_until(b"\n")

    assert run(io_loop, main) == b"kept\n"
    stream.close()
    peer.close()


def test_max_buffer_size_exceeded_closes_stream(io_loop: IOLoop) -> None:
    stream, peer = pair(max_buffer_size=1024, read_chunk_size=256)

    async def main() -> None:
        fut = stream.read_until(b"\n")
        peer.sendall(b"a" * 4096)
        with pytest.raises(StreamBufferFullError, match="max_buffer_size"):
            await fut
        assert stream.closed()
        assert isinstance(stream.error, StreamBufferFullError)

    run(io_loop, main)
    peer.close()


def test_read_bytes_larger_than_max_buffer_size_fails(io_loop: IOLoop) -> None:
    stream, peer = pair(max_buffer_size=1000)

    async def main() -> None:
        fut = stream.read_bytes(5000)
        peer.sendall(b"b" * 2000)
        with pytest.raises(StreamBufferFullError):
            await fut

    run(io_loop, main)
    peer.close()


def test_idle_stream_stops_reading_at_chunk_size(io_loop: IOLoop) -> None:
    # Back-pressure: with no read pending the stream buffers at most
    # read_chunk_size bytes; the rest stays in the kernel until asked for.
    stream, peer = pair(read_chunk_size=1024)
    peer.setblocking(False)

    async def main() -> bytes:
        stream.set_close_callback(lambda: None)  # start watching
        sent = 0
        chunk = b"c" * 65536
        while True:
            try:
                sent += peer.send(chunk)
            except BlockingIOError:
                break
            await tick()
        assert 0 < stream._rend - stream._rstart <= 1024  # noqa: SLF001
        received = bytearray()
        while len(received) < sent:
            received += await stream.read_bytes(sent - len(received), partial=True)
        return bytes(received)

    data = run(io_loop, main)
    assert data == b"c" * len(data)
    stream.close()
    peer.close()


# -- writes ---------------------------------------------------------------------


def test_write_and_flow_control_of_large_writes(io_loop: IOLoop) -> None:
    stream, peer = pair()
    payload = os.urandom(8 * 1024 * 1024)
    received = bytearray()
    reader_go = threading.Event()

    def reader() -> None:
        reader_go.wait(10)
        while len(received) < len(payload):
            chunk = peer.recv(1 << 20)
            if not chunk:
                break
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()

    async def main() -> None:
        fut = stream.write(payload)
        await tick()
        # The peer is not reading: the kernel cannot take 8 MiB at once.
        assert not fut.done() and stream.writing()
        reader_go.set()
        await fut
        assert not stream.writing()

    run(io_loop, main)
    thread.join(10)
    assert bytes(received) == payload
    stream.close()
    peer.close()


def test_small_write_completes_immediately_and_accepts_buffers(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        await stream.write(b"ab")
        await stream.write(bytearray(b"cd"))
        await stream.write(memoryview(b"xxef")[2:])
        await stream.write(b"")

    run(io_loop, main)
    assert peer.recv(100) == b"abcdef"
    stream.close()
    peer.close()


def test_max_write_buffer_size(io_loop: IOLoop) -> None:
    stream, peer = pair(max_write_buffer_size=1024 * 1024)

    async def main() -> None:
        with pytest.raises(StreamBufferFullError, match="max_write_buffer_size"):
            stream.write(b"z" * (1024 * 1024 + 1))
        # The peer does not read, so most of this stays queued...
        stream.write(b"x" * (1024 * 1024)).add_done_callback(lambda f: f.exception())
        assert stream.writing()
        # ...and another 512 KiB would exceed the limit: refused, nothing queued.
        with pytest.raises(StreamBufferFullError, match="already queued"):
            stream.write(b"y" * (512 * 1024))
        assert not stream.closed()

    run(io_loop, main)
    stream.close()
    peer.close()


def test_write_rejects_str_and_closed_stream(io_loop: IOLoop) -> None:
    stream, peer = pair()
    with pytest.raises(TypeError, match="encode"):
        stream.write("text")  # type: ignore[arg-type]
    stream.close()
    with pytest.raises(StreamClosedError):
        stream.write(b"late")
    peer.close()


def test_pending_write_fails_when_peer_goes_away(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        fut = stream.write(b"w" * (8 * 1024 * 1024))
        await tick()
        assert not fut.done()
        peer.close()
        with pytest.raises(StreamClosedError) as info:
            await fut
        assert isinstance(info.value.real_error, (BrokenPipeError, ConnectionResetError))

    run(io_loop, main)


# -- closing -----------------------------------------------------------------------


def test_close_callback_and_closed(io_loop: IOLoop) -> None:
    stream, peer = pair()
    calls: list[str] = []

    async def main() -> None:
        stream.set_close_callback(lambda: calls.append("closed"))
        assert not stream.closed()
        peer.close()
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.005)

    run(io_loop, main)
    assert calls == ["closed"] and stream.closed() and stream.error is None


def test_close_callback_set_after_close_still_runs(io_loop: IOLoop) -> None:
    stream, peer = pair()
    stream.close()
    calls: list[int] = []

    async def main() -> None:
        stream.set_close_callback(lambda: calls.append(1))
        await tick()

    run(io_loop, main)
    assert calls == [1]
    stream.close()  # idempotent
    peer.close()


def test_close_with_exc_info_records_error(io_loop: IOLoop) -> None:
    stream, peer = pair()
    try:
        raise ValueError("application gave up")
    except ValueError:
        stream.close(exc_info=True)
    assert isinstance(stream.error, ValueError)
    stream2, peer2 = pair()
    stream2.close(exc_info=KeyError("k"))
    assert isinstance(stream2.error, KeyError)
    stream3, peer3 = pair()
    stream3.close(exc_info=sys.exc_info())  # no exception being handled
    assert stream3.error is None
    for p in (peer, peer2, peer3):
        p.close()


# -- connecting ----------------------------------------------------------------------


def test_connect_queues_writes_and_resolves_to_stream(io_loop: IOLoop) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    listener = socks[0]
    port = listener.getsockname()[1]

    async def main() -> bytes:
        stream = IOStream(socket.socket(socket.AF_INET))
        fut = stream.connect(("127.0.0.1", port))
        stream.write(b"early")
        assert await fut is stream
        stream.set_nodelay(True)
        assert stream.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        stream.set_nodelay(False)
        assert not stream.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        listener.setblocking(True)
        conn, _ = listener.accept()
        data = conn.recv(100)
        conn.close()
        stream.close()
        return data

    assert run(io_loop, main) == b"early"
    listener.close()


def test_connect_refused(io_loop: IOLoop) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    port = socks[0].getsockname()[1]
    socks[0].close()  # nothing listens there now

    async def main() -> None:
        stream = IOStream(socket.socket(socket.AF_INET))
        with pytest.raises(StreamClosedError) as info:
            await stream.connect(("127.0.0.1", port))
        assert isinstance(info.value.real_error, ConnectionRefusedError)
        assert stream.closed()

    run(io_loop, main)


def test_unix_socket_stream(io_loop: IOLoop, tmp_path: Any) -> None:
    from squall.netutil import bind_unix_socket

    path = str(tmp_path / "s")
    listener = bind_unix_socket(path)

    async def main() -> bytes:
        client = IOStream(socket.socket(socket.AF_UNIX))
        await client.connect(path)
        listener.setblocking(True)
        conn, _ = listener.accept()
        server = IOStream(conn)
        client.set_nodelay(True)  # harmless on unix sockets
        await client.write(b"over unix\n")
        line = await server.read_until(b"\n")
        client.close()
        server.close()
        return line

    assert run(io_loop, main) == b"over unix\n"
    listener.close()


# -- TLS -------------------------------------------------------------------------------


def _tls_server_context(tls_files: dict[str, str]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_files["certfile"], tls_files["keyfile"])
    return ctx


def _tls_client_context(tls_files: dict[str, str]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=tls_files["ca_certs"])


def test_ssl_iostream_connect_and_exchange(io_loop: IOLoop, tls_files: dict[str, str]) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    listener = socks[0]
    port = listener.getsockname()[1]
    payload = os.urandom(300_000)

    async def main() -> tuple[bytes, bytes]:
        client = SSLIOStream(
            socket.socket(socket.AF_INET), ssl_options=_tls_client_context(tls_files)
        )
        connect = client.connect(("127.0.0.1", port), server_hostname="localhost")
        for _ in range(500):
            try:
                conn, _ = listener.accept()
                break
            except BlockingIOError:
                await asyncio.sleep(0.002)
        server = SSLIOStream(conn, ssl_options=_tls_server_context(tls_files), server_side=True)
        server_write = server.write(b"hello from server\n")  # queued until the handshake
        assert await connect is client
        await server.wait_for_handshake()
        line = await client.read_until(b"\n")
        await server_write
        client.write(payload)
        echoed = await server.read_bytes(len(payload))
        client.close()
        assert await server.read_until_close() == b""
        return line, echoed

    line, echoed = run(io_loop, main)
    assert line == b"hello from server\n"
    assert echoed == payload
    listener.close()


def test_ssl_handshake_failure_is_reported(io_loop: IOLoop, tls_files: dict[str, str]) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    listener = socks[0]
    port = listener.getsockname()[1]

    async def main() -> None:
        # The default context does not trust the test CA.
        client = SSLIOStream(socket.socket(socket.AF_INET), ssl_options=ssl.create_default_context())
        connect = client.connect(("127.0.0.1", port), server_hostname="localhost")
        for _ in range(500):
            try:
                conn, _ = listener.accept()
                break
            except BlockingIOError:
                await asyncio.sleep(0.002)
        server = SSLIOStream(conn, ssl_options=_tls_server_context(tls_files), server_side=True)
        with pytest.raises(StreamClosedError) as info:
            await connect
        assert isinstance(info.value.real_error, ssl.SSLCertVerificationError)
        with pytest.raises(StreamClosedError):
            await server.wait_for_handshake()

    run(io_loop, main)
    listener.close()


def test_start_tls_upgrades_both_sides(io_loop: IOLoop, tls_files: dict[str, str]) -> None:
    client_plain, server_sock = socket.socketpair()
    server_plain = IOStream(server_sock)
    client_stream = IOStream(client_plain)
    closed: list[str] = []

    async def main() -> list[bytes]:
        client_stream.set_close_callback(lambda: closed.append("client"))
        await client_stream.write(b"STARTTLS\n")
        assert await server_plain.read_until(b"\n") == b"STARTTLS\n"
        server_tls_fut = server_plain.start_tls(True, ssl_options=tls_files_server)
        client_tls = await client_stream.start_tls(
            False, ssl_options=_tls_client_context(tls_files), server_hostname="localhost"
        )
        server_tls = await server_tls_fut
        assert isinstance(client_tls, SSLIOStream) and isinstance(server_tls, SSLIOStream)
        assert client_stream.closed()
        with pytest.raises(StreamClosedError):
            client_stream.write(b"plain")
        await client_tls.write(b"secret\n")
        got = await server_tls.read_until(b"\n")
        await server_tls.write(b"reply\n")
        reply = await client_tls.read_until(b"\n")
        server_tls.close()
        for _ in range(100):
            if closed:
                break
            await asyncio.sleep(0.005)
        return [got, reply]

    tls_files_server = {"certfile": tls_files["certfile"], "keyfile": tls_files["keyfile"]}
    assert run(io_loop, main) == [b"secret\n", b"reply\n"]
    assert closed == ["client"]  # the close callback moved to the TLS stream


def test_start_tls_requires_idle_stream(io_loop: IOLoop) -> None:
    stream, peer = pair()

    async def main() -> None:
        stream.read_bytes(1)
        with pytest.raises(ValueError, match="idle"):
            stream.start_tls(False)

    run(io_loop, main)
    with pytest.raises(ValueError, match="ssl_options"):
        IOStream(socket.socket()).start_tls(True)
    stream.close()
    peer.close()


# -- pipes -----------------------------------------------------------------------------


def test_pipe_iostream(io_loop: IOLoop) -> None:
    r, w = os.pipe()
    reader = PipeIOStream(r)
    writer = PipeIOStream(w)

    async def main() -> tuple[bytes, bytes]:
        await writer.write(b"through a pipe\nand the rest")
        line = await reader.read_until(b"\n")
        writer.close()
        rest = await reader.read_until_close()
        return line, rest

    assert run(io_loop, main) == (b"through a pipe\n", b"and the rest")
    assert reader.closed() and reader.fileno() == -1
