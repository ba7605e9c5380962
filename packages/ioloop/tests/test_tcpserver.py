"""Tests of squall.tcpserver and squall.tcpclient."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from squall.ioloop import IOLoop
from squall.iostream import IOStream, SSLIOStream, StreamClosedError
from squall.netutil import OverrideResolver, Resolver, bind_sockets
from squall.tcpclient import TCPClient
from squall.tcpserver import TCPServer


class EchoServer(TCPServer):
    """Echoes lines back until the client closes."""

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        try:
            while True:
                line = await stream.read_until(b"\n", max_bytes=64 * 1024)
                await stream.write(line)
        except StreamClosedError:
            pass


def run(io_loop: IOLoop, func: Any, timeout: float = 20) -> Any:
    return io_loop.run_sync(func, timeout=timeout)


def test_listen_and_echo(io_loop: IOLoop) -> None:
    server = EchoServer()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    client = TCPClient()

    async def main() -> bytes:
        stream = await client.connect("127.0.0.1", port)
        await stream.write(b"ping\n")
        reply = await stream.read_until(b"\n")
        stream.close()
        return reply

    assert run(io_loop, main) == b"ping\n"
    server.stop()
    client.close()


def test_sync_handle_stream_and_address(io_loop: IOLoop) -> None:
    seen: list[Any] = []

    class Greeter(TCPServer):
        def handle_stream(self, stream: IOStream, address: Any) -> None:
            seen.append(address)
            stream.write(b"hi\n")

    server = Greeter()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]

    async def main() -> bytes:
        stream = await TCPClient().connect("127.0.0.1", port)
        data = await stream.read_until(b"\n")
        stream.close()
        return data

    assert run(io_loop, main) == b"hi\n"
    assert seen[0][0] == "127.0.0.1"
    server.stop()


def test_handle_stream_errors_are_logged_and_server_survives(
    io_loop: IOLoop, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(TCPServer):
        calls = 0

        async def handle_stream(self, stream: IOStream, address: Any) -> None:
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("handler bug")
            await stream.write(b"ok\n")

    server = Broken()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]

    async def main() -> bytes:
        first = await TCPClient().connect("127.0.0.1", port)
        with pytest.raises(StreamClosedError):
            await first.read_until(b"\n")
        second = await TCPClient().connect("127.0.0.1", port)
        data = await second.read_until(b"\n")
        second.close()
        return data

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        assert run(io_loop, main) == b"ok\n"
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
    server.stop()


def test_buffer_limit_exceeded_closes_only_that_connection(io_loop: IOLoop) -> None:
    server = EchoServer(max_buffer_size=4096)
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]

    async def main() -> bytes:
        client = TCPClient()
        hog = await client.connect("127.0.0.1", port)
        hog.write(b"x" * 100_000).add_done_callback(lambda f: f.exception())
        with pytest.raises(StreamClosedError):
            await hog.read_bytes(1)
        good = await client.connect("127.0.0.1", port)
        await good.write(b"still serving\n")
        reply = await good.read_until(b"\n")
        good.close()
        return reply

    assert run(io_loop, main) == b"still serving\n"
    server.stop()


def test_stop_closes_listening_sockets(io_loop: IOLoop) -> None:
    server = EchoServer()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    server.stop()
    server.stop()  # idempotent

    async def main() -> None:
        with pytest.raises(StreamClosedError) as info:
            await TCPClient().connect("127.0.0.1", port)
        assert isinstance(info.value.real_error, ConnectionRefusedError)

    run(io_loop, main)


def test_bind_start_and_add_socket(io_loop: IOLoop) -> None:
    server = EchoServer()
    server.bind(0, "127.0.0.1")
    port = server.bound_ports()[0]
    server.start(1)
    with pytest.raises(RuntimeError, match="already"):
        server.start(1)
    other = EchoServer()
    sock = bind_sockets(0, "127.0.0.1")[0]
    other.add_socket(sock)
    other_port = sock.getsockname()[1]

    async def main() -> list[bytes]:
        replies = []
        for p in (port, other_port):
            stream = await TCPClient().connect("127.0.0.1", p)
            await stream.write(b"x\n")
            replies.append(await stream.read_until(b"\n"))
            stream.close()
        return replies

    assert run(io_loop, main) == [b"x\n", b"x\n"]
    server.stop()
    other.stop()


def test_thousand_simultaneous_connections(io_loop: IOLoop) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2200
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    server = EchoServer()
    server.listen(0, "127.0.0.1", backlog=2048)
    port = server.bound_ports()[0]
    client = TCPClient()

    async def one(i: int) -> bytes:
        stream = await client.connect("127.0.0.1", port)
        streams.append(stream)
        if len(streams) == 1000:
            opened.set()
        await opened.wait()  # all 1000 are open at the same time
        await stream.write(b"%d\n" % i)
        return await stream.read_until(b"\n")

    streams: list[IOStream] = []
    opened = asyncio.Event()

    async def main() -> list[bytes]:
        return await asyncio.gather(*(one(i) for i in range(1000)))

    try:
        replies = run(io_loop, main, timeout=60)
    finally:
        for s in streams:
            s.close()
        server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert replies == [b"%d\n" % i for i in range(1000)]


def test_tls_server_with_dict_options(io_loop: IOLoop, tls_files: dict[str, str]) -> None:
    server = EchoServer(ssl_options={"certfile": tls_files["certfile"], "keyfile": tls_files["keyfile"]})
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]

    async def main() -> bytes:
        stream = await TCPClient().connect(
            "127.0.0.1",
            port,
            ssl_options={"ca_certs": tls_files["ca_certs"]},
        )
        assert isinstance(stream, SSLIOStream)
        await stream.write(b"secure\n")
        reply = await stream.read_until(b"\n")
        stream.close()
        return reply

    assert run(io_loop, main) == b"secure\n"
    server.stop()


def test_tls_server_with_context_and_untrusting_client(
    io_loop: IOLoop, tls_files: dict[str, str]
) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_files["certfile"], tls_files["keyfile"])
    server = EchoServer(ssl_options=ctx)
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]

    async def main() -> None:
        with pytest.raises(StreamClosedError) as info:
            await TCPClient().connect("127.0.0.1", port, ssl_options=ssl.create_default_context())
        assert isinstance(info.value.real_error, ssl.SSLCertVerificationError)
        # The server is unaffected by the failed handshake.
        good = await TCPClient().connect(
            "127.0.0.1", port, ssl_options=ssl.create_default_context(cafile=tls_files["ca_certs"])
        )
        await good.write(b"a\n")
        assert await good.read_until(b"\n") == b"a\n"
        good.close()

    run(io_loop, main)
    server.stop()


def test_tls_server_rejects_bad_options(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="certfile"):
        TCPServer(ssl_options={"keyfile": "k.pem"})
    with pytest.raises(ValueError, match="cannot load"):
        TCPServer(ssl_options={"certfile": str(tmp_path / "missing.pem")})


def test_client_timeout(io_loop: IOLoop) -> None:
    class SlowResolver(Resolver):
        async def resolve(self, host: str, port: int, family: Any = socket.AF_UNSPEC) -> Any:
            await asyncio.sleep(10)
            return []

    async def main() -> None:
        with pytest.raises(TimeoutError, match="timed out after 0.05"):
            await TCPClient(resolver=SlowResolver()).connect("example.test", 80, timeout=0.05)

    run(io_loop, main)


def test_client_source_port_and_override_resolver(io_loop: IOLoop) -> None:
    server = EchoServer()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    accepted: list[Any] = []

    class Recording(EchoServer):
        async def handle_stream(self, stream: IOStream, address: Any) -> None:
            accepted.append(address)
            await super().handle_stream(stream, address)

    rec = Recording()
    rec.listen(0, "127.0.0.1")
    rec_port = rec.bound_ports()[0]
    resolver = OverrideResolver(Resolver(), {"service.test": "127.0.0.1"})
    client = TCPClient(resolver=resolver)
    free = bind_sockets(0, "127.0.0.1")[0]
    source_port = free.getsockname()[1]
    free.close()

    async def main() -> None:
        stream = await client.connect(
            "service.test", rec_port, af=socket.AF_INET, source_ip="127.0.0.1", source_port=source_port
        )
        await stream.write(b"q\n")
        await stream.read_until(b"\n")
        stream.close()

    run(io_loop, main)
    assert accepted[0] == ("127.0.0.1", source_port)
    server.stop()
    rec.stop()
    client.close()


def test_happy_eyeballs_falls_back_to_second_family(io_loop: IOLoop) -> None:
    # The first address refuses, the second (another family) accepts.
    server = EchoServer()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    dead = bind_sockets(0, "127.0.0.1")[0]
    dead_port = dead.getsockname()[1]
    dead.close()

    class TwoFamilies(Resolver):
        async def resolve(self, host: str, port: int, family: Any = socket.AF_UNSPEC) -> Any:
            return [
                (socket.AF_INET6, ("::1", dead_port, 0, 0)),
                (socket.AF_INET, ("127.0.0.1", port)),
            ]

    async def main() -> Any:
        stream = await TCPClient(resolver=TwoFamilies()).connect("dual.test", port)
        addr = stream.socket.getpeername()
        stream.close()
        return addr

    assert run(io_loop, main)[:2] == ("127.0.0.1", port)
    server.stop()


def test_happy_eyeballs_starts_second_family_when_first_hangs(io_loop: IOLoop) -> None:
    # A listener with a full backlog never completes a connection, so the
    # second family must be started after the head start and win.
    server = EchoServer()
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    pending_attempts: list[Any] = []

    class HangingFirst(Resolver):
        async def resolve(self, host: str, port: int, family: Any = socket.AF_UNSPEC) -> Any:
            return [
                (socket.AF_INET6, ("::1", blackhole_port, 0, 0)),
                (socket.AF_INET, ("127.0.0.1", port)),
            ]

    # A listening socket whose accept queue is already full (backlog 0 plus
    # one queued connection): further SYNs are dropped and connect() hangs.
    blackhole = socket.socket(socket.AF_INET6)
    blackhole.bind(("::1", 0))
    blackhole.listen(0)
    blackhole_port = blackhole.getsockname()[1]
    for _ in range(4):
        s = socket.socket(socket.AF_INET6)
        s.setblocking(False)
        try:
            s.connect(("::1", blackhole_port))
        except BlockingIOError:
            pass
        pending_attempts.append(s)

    async def main() -> Any:
        stream = await TCPClient(resolver=HangingFirst()).connect("dual.test", port, timeout=10)
        addr = stream.socket.getpeername()
        stream.close()
        return addr

    try:
        assert run(io_loop, main)[:2] == ("127.0.0.1", port)
    finally:
        for s in pending_attempts:
            s.close()
        blackhole.close()
        server.stop()


def test_all_addresses_fail(io_loop: IOLoop) -> None:
    dead = bind_sockets(0, "127.0.0.1")[0]
    dead_port = dead.getsockname()[1]
    dead.close()

    async def main() -> None:
        with pytest.raises(StreamClosedError) as info:
            await TCPClient().connect("127.0.0.1", dead_port)
        assert isinstance(info.value.real_error, ConnectionRefusedError)

    run(io_loop, main)


def test_start_multiple_processes_in_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "served"
    out.mkdir()
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            from squall.ioloop import IOLoop
            from squall.process import task_id
            from squall.tcpserver import TCPServer

            class Once(TCPServer):
                def handle_stream(self, stream, address):
                    pass

            server = Once()
            server.bind(0, "127.0.0.1")
            server.start(2)
            # Each child records that it runs with the shared socket, then exits.
            with open(os.path.join({str(out)!r}, str(task_id())), "w") as f:
                f.write(str(server.bound_ports()[0]))
            sys.exit(0)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["0", "1"]
    assert len({f.read_text() for f in files}) == 1


def test_spec_style_listen_then_instance_start(tmp_path: Path) -> None:
    # The spec's shape: set the server up at module level, then
    # IOLoop.instance().start() on the main thread, with no loop running yet.
    script = tmp_path / "spec_style.py"
    script.write_text(
        textwrap.dedent(
            """
            import socket, threading
            import squall.ioloop
            from squall.tcpserver import TCPServer

            class Hello(TCPServer):
                async def handle_stream(self, stream, address):
                    await stream.write(b"hello\\n")
                    stream.close()
                    squall.ioloop.IOLoop.current().stop()

            server = Hello()
            server.listen(0, "127.0.0.1")
            port = server.bound_ports()[0]

            def client():
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    print(s.recv(100).decode().strip())

            threading.Thread(target=client).start()
            squall.ioloop.IOLoop.instance().call_later(20, squall.ioloop.IOLoop.instance().stop)
            squall.ioloop.IOLoop.instance().start()
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", str(script)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"
