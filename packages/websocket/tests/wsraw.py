"""A raw WebSocket client for tests: crafts frames byte by byte over a socket.

Independent of the code under test: it builds frames and masks them with
its own loop, and parses the server's (unmasked) frames itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 section 1.3


def expected_accept(key: str) -> str:
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    return base64.b64encode(hashlib.sha1(key.encode() + guid).digest()).decode()


def mask_bytes(key: bytes, data: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def build_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = True,
    length: int | None = None,
) -> bytes:
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | rsv | opcode
    mbit = 0x80 if mask else 0
    if n < 126:
        head = bytes((first, mbit | n))
    elif n < 65536:
        head = bytes((first, mbit | 126)) + struct.pack("!H", n)
    else:
        head = bytes((first, mbit | 127)) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + mask_bytes(key, payload)


def upgrade_request(path: str = "/ws", key: str = RFC_KEY, extra: dict[str, str] | None = None,
                    version: str = "HTTP/1.1", method: str = "GET", port: int = 0) -> bytes:
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    for name, value in (extra or {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    lines = [f"{method} {path} {version}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class RawClient:
    """One raw connection; `open` does the handshake."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    @classmethod
    async def open(cls, port: int, path: str = "/ws", **kw: object) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        writer.write(upgrade_request(path, port=port, **kw))  # type: ignore[arg-type]
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        client.status = int(lines[0].split(" ")[1])
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                client.headers[name.strip().lower()] = value.strip()
        if client.status != 101:
            length = int(client.headers.get("content-length", "0"))
            client.body = await reader.readexactly(length)
        return client

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def send_frame(self, opcode: int, payload: bytes = b"", **kw: object) -> None:
        self.writer.write(build_frame(opcode, payload, **kw))  # type: ignore[arg-type]

    async def read_frame(self) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next frame; asserts it is unmasked."""
        head = await asyncio.wait_for(self.reader.readexactly(2), 10)
        assert not head[1] & 0x80, "server frames must not be masked"
        n = head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        payload = await asyncio.wait_for(self.reader.readexactly(n), 10)
        return bool(head[0] & 0x80), head[0] & 0x0F, payload

    async def read_close(self) -> tuple[int | None, bytes]:
        """Skip data frames until a close frame; return (code, reason)."""
        while True:
            _, opcode, payload = await self.read_frame()
            if opcode == 8:
                if not payload:
                    return None, b""
                return struct.unpack("!H", payload[:2])[0], payload[2:]

    async def at_eof(self) -> bool:
        """Whether the server closed the TCP connection (reads until EOF)."""
        data = await asyncio.wait_for(self.reader.read(), 10)
        return data == b"" or self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


def raise_nofile(target: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit towards ``target``; return the new limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(target, hard) if hard != resource.RLIM_INFINITY else target
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return soft
