"""WebSocketHandler over real sockets: handshake, framing rules, API."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

import pytest
from wsraw import RFC_ACCEPT, RawClient, build_frame

import squall.web
from squall.testing import ExpectLog
from squall.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect


class Recorder:
    """Collects what a handler saw, and lets a test wait for it."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(self, kind: str, value: Any = None) -> None:
        self.events.put_nowait((kind, value))

    async def get(self, kind: str | None = None) -> Any:
        while True:
            got_kind, value = await asyncio.wait_for(self.events.get(), 10)
            if kind is None or got_kind == kind:
                return value if kind is not None else (got_kind, value)


class EchoHandler(WebSocketHandler):
    def initialize(self, rec: Recorder, compression: dict[str, Any] | None = None) -> None:
        self.rec = rec
        self.compression = compression

    def get_compression_options(self) -> dict[str, Any] | None:
        return self.compression

    def open(self, *args: Any, **kwargs: Any) -> None:
        self.rec.put("open", (args, kwargs))

    def on_message(self, message: str | bytes) -> None:
        self.rec.put("message", message)
        if message == "close-me":
            self.close(4001, "as asked")
        elif message == "json":
            self.write_message({"a": 1})
        elif message == "raise":
            raise RuntimeError("boom")
        elif message == "ping-me":
            self.ping(b"srv")
        else:
            self.write_message(message, binary=isinstance(message, bytes))

    def on_ping(self, data: bytes) -> None:
        self.rec.put("ping", data)

    def on_pong(self, data: bytes) -> None:
        self.rec.put("pong", data)

    def on_close(self) -> None:
        self.rec.put("close", (self.close_code, self.close_reason))


def make_app(rec: Recorder, **settings: Any) -> squall.web.Application:
    return squall.web.Application(
        [
            (r"/ws", EchoHandler, {"rec": rec}),
            (r"/deflate", EchoHandler, {"rec": rec, "compression": {}}),
            (r"/args/(\w+)", EchoHandler, {"rec": rec}),
        ],
        **settings,
    )


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def app(rec: Recorder) -> squall.web.Application:
    """Served by squall-testing's ``http_server`` fixture (``http_port``)."""
    return make_app(rec)


# ----------------------------------------------------------------------
# Handshake


async def test_handshake_answers_101_with_the_rfc_accept_value(
    rec: Recorder, http_port: int
) -> None:
    client = await RawClient.open(http_port)
    assert client.status == 101
    assert client.headers["sec-websocket-accept"] == RFC_ACCEPT
    assert client.headers["upgrade"].lower() == "websocket"
    assert "upgrade" in client.headers["connection"].lower()
    assert "content-length" not in client.headers
    assert await rec.get("open") == ((), {})
    client.close()


async def test_open_receives_path_arguments(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port, path="/args/room1")
    assert await rec.get("open") == (("room1",), {})
    client.close()


@pytest.mark.parametrize(
    "kw, status",
    [
        ({"extra": {"Upgrade": None}}, 400),
        ({"extra": {"Upgrade": "h2c"}}, 400),
        ({"extra": {"Connection": "keep-alive"}}, 400),
        ({"extra": {"Sec-WebSocket-Key": None}}, 400),
        ({"key": "dG9vc2hvcnQ="}, 400),  # base64 of 8 bytes
        ({"key": "not base64 at all!!!!!!="}, 400),
        ({"version": "HTTP/1.0"}, 400),
        ({"method": "POST"}, 405),
        ({"extra": {"Origin": "http://evil.example"}}, 403),
        ({"extra": {"Origin": "null"}}, 403),
    ],
)
async def test_invalid_handshakes_are_refused(
    rec: Recorder, http_port: int, kw: dict[str, Any], status: int
) -> None:
    client = await RawClient.open(http_port, **kw)
    assert client.status == status
    client.close()
    assert rec.events.empty()  # open() never ran


async def test_unsupported_version_is_426_naming_13(http_port: int) -> None:
    client = await RawClient.open(http_port, extra={"Sec-WebSocket-Version": "8"})
    assert client.status == 426
    assert client.headers["sec-websocket-version"] == "13"
    client.close()


async def test_connection_header_is_a_case_insensitive_token_list(http_port: int) -> None:
    client = await RawClient.open(
        http_port, extra={"Connection": "keep-alive, UPGRADE", "Upgrade": "WebSocket"}
    )
    assert client.status == 101
    client.close()


async def test_same_origin_is_accepted(http_port: int) -> None:
    client = await RawClient.open(http_port, extra={"Origin": f"http://127.0.0.1:{http_port}"})
    assert client.status == 101
    client.close()


async def test_check_origin_can_be_overridden(serve: Any) -> None:
    class Open(EchoHandler):
        def check_origin(self, origin: str) -> bool:
            return origin == "https://friend.example"

    rec = Recorder()
    app = squall.web.Application([(r"/ws", Open, {"rec": rec})])
    port = serve(app).port
    ok = await RawClient.open(port, extra={"Origin": "https://friend.example"})
    bad = await RawClient.open(port, extra={"Origin": "https://evil.example"})
    assert (ok.status, bad.status) == (101, 403)
    ok.close()
    bad.close()


async def test_subprotocol_selection(serve: Any) -> None:
    class Proto(EchoHandler):
        def select_subprotocol(self, subprotocols: list[str]) -> str | None:
            self.rec.put("offered", subprotocols)
            return "chat.v2" if "chat.v2" in subprotocols else None

        def open(self) -> None:
            self.rec.put("selected", self.selected_subprotocol)

    rec = Recorder()
    app = squall.web.Application([(r"/ws", Proto, {"rec": rec})])
    port = serve(app).port
    client = await RawClient.open(port, extra={"Sec-WebSocket-Protocol": "chat.v1, chat.v2"})
    assert client.headers["sec-websocket-protocol"] == "chat.v2"
    assert await rec.get("offered") == ["chat.v1", "chat.v2"]
    assert await rec.get("selected") == "chat.v2"
    client.close()
    none = await RawClient.open(port, extra={"Sec-WebSocket-Protocol": "other"})
    assert none.status == 101 and "sec-websocket-protocol" not in none.headers
    none.close()


async def test_malformed_extensions_header_is_400_when_compression_is_on(http_port: int) -> None:
    client = await RawClient.open(
        http_port, path="/deflate", extra={"Sec-WebSocket-Extensions": 'permessage-deflate; x="'}
    )
    assert client.status == 400
    client.close()


async def test_compression_is_only_negotiated_when_enabled(http_port: int) -> None:
    offer = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"}
    plain = await RawClient.open(http_port, extra=offer)
    assert "sec-websocket-extensions" not in plain.headers
    plain.close()
    deflate = await RawClient.open(http_port, path="/deflate", extra=offer)
    assert deflate.headers["sec-websocket-extensions"].startswith("permessage-deflate")
    deflate.close()


# ----------------------------------------------------------------------
# Framing rules, enforced on the wire


async def expect_close(port: int, frames: bytes, code: int, **kw: Any) -> None:
    client = await RawClient.open(port, **kw)
    assert client.status == 101
    client.send(frames)
    got, _ = await client.read_close()
    assert got == code
    assert await client.at_eof()  # the server closed the TCP connection
    client.close()


@pytest.mark.parametrize(
    "frames, code",
    [
        (build_frame(1, b"unmasked", mask=False), 1002),
        (build_frame(1, b"x", rsv=0x40), 1002),  # RSV1 without compression
        (build_frame(1, b"x", rsv=0x20), 1002),
        (build_frame(3, b""), 1002),  # reserved opcode
        (build_frame(0, b"x"), 1002),  # continuation without a start
        (build_frame(9, b"x" * 126), 1002),  # oversized control frame
        (build_frame(9, b"x", fin=False), 1002),  # fragmented control frame
        (build_frame(8, struct.pack("!H", 1005)), 1002),  # invalid close code
        (build_frame(8, b"\x03"), 1002),
        (build_frame(1, b"\xff\xfe"), 1007),
        (build_frame(1, b"ok", fin=False) + build_frame(0, b"\xc3"), 1007),
        (bytes((0x82, 0xFF)) + struct.pack("!Q", 1 << 63) + b"abcd", 1009),
        (build_frame(1, b"a", fin=False) + build_frame(1, b"b"), 1002),
    ],
)
async def test_protocol_violations_close_with_the_right_code(
    http_port: int, frames: bytes, code: int
) -> None:
    await expect_close(http_port, frames, code)


async def test_max_message_size_setting(serve: Any) -> None:
    rec = Recorder()
    port = serve(make_app(rec, websocket_max_message_size=1000)).port
    client = await RawClient.open(port)
    client.send_frame(2, b"x" * 1000)
    assert await client.read_frame() == (True, 2, b"x" * 1000)
    client.close()
    await expect_close(port, build_frame(2, b"x" * 1001), 1009)
    # Fragments count the in-flight buffer: 600 + 600 > 1000.
    frames = build_frame(2, b"x" * 600, fin=False) + build_frame(0, b"y" * 600)
    await expect_close(port, frames, 1009)


async def test_default_max_message_size_is_10_mib(http_port: int) -> None:
    head = bytes((0x82, 0xFF)) + struct.pack("!Q", 10 * 1024 * 1024 + 1) + b"abcd"
    await expect_close(http_port, head, 1009)


async def test_deflate_bomb_over_the_wire_is_1009(serve: Any) -> None:
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = (comp.compress(b"\x00" * 3_000_000) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    rec = Recorder()
    offer = {"Sec-WebSocket-Extensions": "permessage-deflate"}
    port = serve(make_app(rec, websocket_max_message_size=100_000)).port
    await expect_close(port, build_frame(2, bomb, rsv=0x40), 1009, path="/deflate", extra=offer)


async def test_fragments_with_interleaved_control_frames(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send(
        build_frame(1, b"Hel", fin=False)
        + build_frame(9, b"mid")
        + build_frame(0, b"lo")
    )
    assert await client.read_frame() == (True, 10, b"mid")  # the pong
    assert await client.read_frame() == (True, 1, b"Hello")
    assert await rec.get("ping") == b"mid"
    assert await rec.get("message") == "Hello"
    client.close()


# ----------------------------------------------------------------------
# The handler API


async def test_text_binary_and_json_messages(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send_frame(1, "héllo".encode())
    client.send_frame(2, b"\x00\xff")
    client.send_frame(1, b"json")
    assert await client.read_frame() == (True, 1, "héllo".encode())
    assert await client.read_frame() == (True, 2, b"\x00\xff")
    fin, opcode, payload = await client.read_frame()
    assert opcode == 1 and json.loads(payload) == {"a": 1}
    assert await rec.get("message") == "héllo"
    assert await rec.get("message") == b"\x00\xff"
    client.close()


async def test_client_close_is_echoed_and_reported(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send_frame(8, struct.pack("!H", 1001) + b"going")
    assert await client.read_close() == (1001, b"")
    assert await client.at_eof()
    assert await rec.get("close") == (1001, "going")
    client.close()


async def test_server_close_sends_code_and_reason(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send_frame(1, b"close-me")
    assert await client.read_close() == (4001, b"as asked")
    client.send_frame(8, struct.pack("!H", 4001))
    assert await client.at_eof()
    assert await rec.get("close") == (4001, "")
    client.close()


async def test_connection_drop_calls_on_close_once(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    await rec.get("open")
    client.writer.transport.abort()
    assert await rec.get("close") == (None, None)
    await asyncio.sleep(0.05)
    assert rec.events.empty()
    client.close()


async def test_exception_in_on_message_closes_with_1011(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    with ExpectLog("squall.application", "uncaught exception in WebSocket on_message"):
        client.send_frame(1, b"raise")
        code, _ = await client.read_close()
    assert code == 1011
    # Failing the connection (RFC 6455 section 7.1.7) closes TCP at once.
    assert await client.at_eof()
    assert await rec.get("close") == (None, None)  # no close frame came from the client
    client.close()


async def test_ping_pong_both_ways(rec: Recorder, http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send_frame(9, b"hi")
    assert await client.read_frame() == (True, 10, b"hi")
    client.send_frame(1, b"ping-me")
    assert await client.read_frame() == (True, 9, b"srv")
    client.send_frame(10, b"srv")
    assert await rec.get("pong") == b"srv"
    client.close()


async def test_write_after_close_raises(serve: Any) -> None:
    result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    class Late(WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.close()
            try:
                self.write_message("late")
            except WebSocketClosedError as error:
                result.set_result(error)

    port = serve(squall.web.Application([(r"/ws", Late)])).port
    client = await RawClient.open(port)
    client.send_frame(1, b"x")
    assert isinstance(await asyncio.wait_for(result, 10), WebSocketClosedError)
    client.close()


async def test_async_open_delays_messages(serve: Any) -> None:
    order: list[str] = []
    gate = asyncio.Event()
    done = asyncio.Event()

    class Slow(WebSocketHandler):
        async def open(self) -> None:
            await gate.wait()
            order.append("open done")

        def on_message(self, message: str | bytes) -> None:
            order.append(f"message {message}")
            if message == "2":
                done.set()

    port = serve(squall.web.Application([(r"/ws", Slow)])).port
    client = await RawClient.open(port)
    client.send_frame(1, b"1")
    client.send_frame(1, b"2")
    await asyncio.sleep(0.05)
    assert order == []
    gate.set()
    await asyncio.wait_for(done.wait(), 10)
    assert order == ["open done", "message 1", "message 2"]
    client.close()


async def test_async_on_message_runs_one_at_a_time_in_order(serve: Any) -> None:
    active = 0
    seen: list[str] = []
    done = asyncio.Event()

    class Serial(WebSocketHandler):
        async def on_message(self, message: str | bytes) -> None:
            nonlocal active
            active += 1
            assert active == 1
            await asyncio.sleep(0.001)
            seen.append(str(message))
            active -= 1
            if len(seen) == 20:
                done.set()

    port = serve(squall.web.Application([(r"/ws", Serial)])).port
    client = await RawClient.open(port)
    client.send(b"".join(build_frame(1, str(i).encode()) for i in range(20)))
    await asyncio.wait_for(done.wait(), 10)
    assert seen == [str(i) for i in range(20)]
    client.close()


async def test_write_message_applies_back_pressure(serve: Any) -> None:
    outcome: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Flood(WebSocketHandler):
        async def open(self) -> None:
            chunk = b"z" * 65536
            for count in range(1, 2000):
                future = self.write_message(chunk, binary=True)
                if not future.done():
                    outcome.set_result(count)
                    await future  # completes once the client reads
                    self.write_message("done")
                    return
            outcome.set_result(-1)

        def on_message(self, message: str | bytes) -> None:
            pass

    port = serve(squall.web.Application([(r"/ws", Flood)])).port
    client = await RawClient.open(port)
    count = await asyncio.wait_for(outcome, 10)
    assert count > 0  # a write eventually had to wait
    while True:
        _, opcode, payload = await client.read_frame()
        if opcode == 1:
            assert payload == b"done"
            break
    client.close()


async def test_ping_interval_and_timeout_settings(serve: Any) -> None:
    rec = Recorder()
    app = make_app(rec, websocket_ping_interval=0.05, websocket_ping_timeout=0.2)
    port = serve(app).port
    client = await RawClient.open(port)
    # The server pings; this client never answers, so it is closed.
    fin, opcode, payload = await client.read_frame()
    assert opcode == 9
    code, reason = await client.read_close()
    assert code == 1011
    assert await client.at_eof()
    client.close()


async def test_answered_pings_keep_the_connection(serve: Any) -> None:
    rec = Recorder()
    app = make_app(rec, websocket_ping_interval=0.03, websocket_ping_timeout=0.1)
    port = serve(app).port
    client = await RawClient.open(port)
    for _ in range(6):
        _, opcode, payload = await client.read_frame()
        assert opcode == 9
        client.send_frame(10, payload)
    client.send_frame(1, b"still here")
    while True:
        _, opcode, payload = await client.read_frame()
        if opcode == 1:
            assert payload == b"still here"
            break
        client.send_frame(10, payload)
    client.close()


def test_handler_properties_read_settings() -> None:
    from squall.httputil import HTTPServerRequest

    app = squall.web.Application(
        [], websocket_ping_interval=5, websocket_ping_timeout=7, websocket_max_message_size=99
    )
    request = HTTPServerRequest(method="GET", uri="/ws", version="HTTP/1.1")
    handler = WebSocketHandler(app, request)
    assert (handler.ping_interval, handler.ping_timeout, handler.max_message_size) == (5, 7, 99)
    defaults = WebSocketHandler(squall.web.Application([]), request)
    assert defaults.ping_interval is None
    assert defaults.max_message_size == 10 * 1024 * 1024
    with pytest.raises(WebSocketClosedError):
        defaults.write_message("not open")


async def test_get_can_be_extended_with_await_super(serve: Any) -> None:
    class Guarded(EchoHandler):
        async def get(self, *args: Any, **kwargs: Any) -> None:
            if self.get_argument("token", None) != "let-me-in":
                raise squall.web.HTTPError(401)
            await super().get(*args, **kwargs)

    rec = Recorder()
    app = squall.web.Application([(r"/ws", Guarded, {"rec": rec})])
    port = serve(app).port
    refused = await RawClient.open(port, path="/ws")
    assert refused.status == 401
    refused.close()
    client = await RawClient.open(port, path="/ws?token=let-me-in")
    assert client.status == 101
    client.send_frame(1, b"in")
    assert await client.read_frame() == (True, 1, b"in")
    client.close()


# ----------------------------------------------------------------------
# Closing every open WebSocket (shutdown)


class OtherHandler(EchoHandler):
    pass


async def test_close_all_sends_going_away_to_every_open_websocket(
    rec: Recorder, app: squall.web.Application, http_port: int, serve: Any
) -> None:
    other_rec = Recorder()
    other = serve(squall.web.Application([(r"/ws", OtherHandler, {"rec": other_rec})]))
    clients = [await websocket_connect(f"ws://127.0.0.1:{http_port}/ws") for _ in range(2)]
    bystander = await websocket_connect(f"ws://127.0.0.1:{other.port}/ws")
    for _ in clients:
        await rec.get("open")
    await other_rec.get("open")
    assert await WebSocketHandler.close_all(application=app) == 2
    for client in clients:
        assert await asyncio.wait_for(client.read_message(), 5) is None
        assert client.close_code == 1001 and client.close_reason == "server shutting down"
    assert [(await rec.get("close"))[0] for _ in clients] == [1001, 1001]
    # Another application's WebSocket is left alone, until closed by its class.
    await bystander.write_message("still here")
    assert await asyncio.wait_for(bystander.read_message(), 5) == "still here"
    assert await OtherHandler.close_all(code=1012, reason="restarting") == 1
    assert await asyncio.wait_for(bystander.read_message(), 5) is None
    assert bystander.close_code == 1012
    assert await WebSocketHandler.close_all() == 0
