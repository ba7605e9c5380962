"""Sans-IO WebSocket framing: RFC 6455 section 5, with RFC 7692 compression.

How this works: `FrameReader.feed` takes bytes as they arrive and returns the
complete events they finish, as ``(opcode, payload)`` tuples (tuples, not
objects, because this is the hot path of every message):

- ``(OP_TEXT, str)`` and ``(OP_BINARY, bytes)``: one whole message, its
  fragments joined, decompressed and (for text) UTF-8 validated;
- ``(OP_PING, bytes)`` and ``(OP_PONG, bytes)``: control frames;
- ``(OP_CLOSE, (code, reason))``: a close frame (``code`` is ``None`` when
  the frame had no body).

Anything the RFCs forbid raises `WebSocketProtocolError` with the close code
to send (1002 protocol error, 1007 bad UTF-8, 1009 too big); the reader then
stays failed. The reader holds back at most one partial header (under 14
bytes) or the rest of one frame's payload, and a frame's length is checked
against ``max_message_size`` plus what the message already holds *before*
any of its payload is stored. Fragments go into one bytearray, so a message
cut into 10^5 tiny fragments costs linear time and keeps no per-fragment
objects.

`FrameWriter` builds frames: unmasked on a server, masked with a fresh random
key per frame on a client, compressed when a `PerMessageDeflate` is given.
Headers of small unmasked frames are precomputed.
"""

from __future__ import annotations

import codecs
import os
import struct
from typing import Any, Union

from ._deflate import PerMessageDeflate
from ._errors import WebSocketProtocolError

__all__ = [
    "FrameReader",
    "FrameWriter",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONTINUATION",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "apply_mask",
    "build_close_payload",
    "parse_close_payload",
    "valid_close_code",
]

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

Event = tuple[int, Any]
Buffer = Union[bytes, bytearray, memoryview]

_FIN = 0x80
_RSV1 = 0x40
_RSV23 = 0x30
_MASK_BIT = 0x80
_KNOWN_OPCODES = frozenset((OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG))

_pack_16 = struct.Struct("!BBH").pack
_pack_64 = struct.Struct("!BBQ").pack
_unpack_16 = struct.Struct("!H").unpack_from
_unpack_64 = struct.Struct("!Q").unpack_from

# Precomputed two-byte headers of unmasked frames with 0..125 bytes of
# payload, per first byte (FIN + RSV1 + opcode).
_SMALL_HEADERS: dict[int, list[bytes]] = {}


def _small_headers(first: int) -> list[bytes]:
    table = _SMALL_HEADERS.get(first)
    if table is None:
        table = [bytes((first, n)) for n in range(126)]
        _SMALL_HEADERS[first] = table
    return table


def apply_mask(key: Buffer, data: Buffer) -> bytes:
    """XOR ``data`` with the 4-byte masking ``key`` (RFC 6455 section 5.3).

    Masking and unmasking are the same operation. The XOR runs on two
    Python integers, so it costs a few C-level passes over the data rather
    than a Python loop per byte.

    Args:
        key: the masking key; exactly 4 bytes.
        data: the payload.

    Returns:
        The masked (or unmasked) payload.

    Raises:
        ValueError: ``key`` is not 4 bytes long (never read past a short key).
    """
    if len(key) != 4:
        raise ValueError(f"a WebSocket masking key is 4 bytes, not {len(key)}")
    n = len(data)
    if n == 0:
        return b""
    repeated = bytes(key) * ((n + 3) >> 2)
    if len(repeated) != n:
        repeated = repeated[:n]
    value = int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")
    return value.to_bytes(n, "little")


def valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame (RFC 6455 section 7.4).

    1000-1003 and 1007-1014 are the registered codes that may be sent;
    1004-1006 and 1015 are reserved and never sent; 3000-4999 are for
    libraries and applications.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_close_payload(payload: bytes) -> tuple[int | None, str]:
    """Decode a close frame's body into ``(code, reason)``.

    Raises:
        WebSocketProtocolError: 1002 for a one-byte body or a code that may
            not be sent; 1007 for a reason that is not UTF-8.
    """
    if not payload:
        return None, ""
    if len(payload) < 2:
        raise WebSocketProtocolError(1002, "close frame with a one-byte body")
    code = int.from_bytes(payload[:2], "big")
    if not valid_close_code(code):
        raise WebSocketProtocolError(1002, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketProtocolError(1007, "close reason is not valid UTF-8") from None
    return code, reason


def build_close_payload(code: int | None, reason: str | None) -> bytes:
    """Encode a close frame's body.

    Args:
        code: the status code, or ``None`` for an empty body (then ``reason``
            must be empty too).
        reason: a short explanation; at most 123 bytes once UTF-8 encoded.

    Raises:
        ValueError: the code may not be sent, or the reason is too long.
    """
    if code is None:
        if reason:
            code = 1000
        else:
            return b""
    if isinstance(code, bool) or not isinstance(code, int) or not valid_close_code(code):
        raise ValueError(
            f"invalid close code {code!r}: use 1000-1003, 1007-1014 or 3000-4999"
        )
    data = (reason or "").encode("utf-8")
    if len(data) > 123:
        raise ValueError(
            f"close reason is {len(data)} bytes; a close frame allows at most 123"
        )
    return code.to_bytes(2, "big") + data


class FrameReader:
    """Parse the frames one side receives; see the module docstring.

    Args:
        is_client: ``True`` on a client (frames must be unmasked), ``False``
            on a server (frames must be masked).
        max_message_size: the largest message accepted, in bytes after
            decompression; more is a 1009.
        deflate: the negotiated permessage-deflate state, or ``None`` when
            compression was not negotiated (then RSV1 is a 1002).
    """

    __slots__ = (
        "_expect_mask",
        "_max",
        "_deflate",
        "_head",
        "_remaining",
        "_pbuf",
        "_frame_fin",
        "_frame_rsv1",
        "_frame_opcode",
        "_frame_mask",
        "_msg",
        "_msg_opcode",
        "_msg_compressed",
        "_utf8",
        "_error",
    )

    def __init__(
        self,
        *,
        is_client: bool,
        max_message_size: int,
        deflate: PerMessageDeflate | None = None,
    ) -> None:
        if max_message_size < 0:
            raise ValueError("max_message_size must be >= 0")
        self._expect_mask = 0 if is_client else _MASK_BIT
        self._max = max_message_size
        self._deflate = deflate
        self._head = b""
        self._remaining = 0
        self._pbuf = bytearray()
        self._frame_fin = False
        self._frame_rsv1 = False
        self._frame_opcode = 0
        self._frame_mask: bytes | None = None
        self._msg: bytearray | None = None  # not None while a fragmented message is open
        self._msg_opcode = 0
        self._msg_compressed = False
        self._utf8: codecs.IncrementalDecoder | None = None
        self._error: WebSocketProtocolError | None = None

    def feed(self, data: Buffer) -> list[Event]:
        """Consume received bytes; return the events they complete.

        Raises:
            WebSocketProtocolError: the peer violated the protocol; send a
                close frame with ``error.code`` and close the connection.
        """
        if self._error is not None:
            raise self._error
        try:
            return self._feed(data)
        except WebSocketProtocolError as error:
            self._error = error
            raise

    def _feed(self, data: Buffer) -> list[Event]:
        events: list[Event] = []
        if self._remaining:
            need = self._remaining
            if len(data) < need:
                self._pbuf += data
                self._remaining = need - len(data)
                return events
            self._pbuf += data[:need]
            payload = bytes(self._pbuf)
            self._pbuf = bytearray()
            self._remaining = 0
            if self._frame_mask is not None:
                payload = apply_mask(self._frame_mask, payload)
            self._frame(self._frame_fin, self._frame_rsv1, self._frame_opcode, payload, events)
            data = data[need:]
        elif self._head:
            data = self._head + bytes(data)
            self._head = b""
        pos = 0
        end = len(data)
        expect_mask = self._expect_mask
        while end - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            opcode = b0 & 0x0F
            length = b1 & 0x7F
            if b0 & 0x70 or opcode not in (OP_TEXT, OP_BINARY) or length > 125:
                self._check_header(b0, b1)
            elif self._msg is not None:
                raise WebSocketProtocolError(
                    1002, "a new data frame began before the fragmented message ended"
                )
            if (b1 & _MASK_BIT) != expect_mask:
                if expect_mask:
                    raise WebSocketProtocolError(1002, "client frames must be masked")
                raise WebSocketProtocolError(1002, "server frames must not be masked")
            start = pos + 2
            if length == 126:
                if end - start < 2:
                    break
                length = _unpack_16(data, start)[0]
                start += 2
            elif length == 127:
                if end - start < 8:
                    break
                length = _unpack_64(data, start)[0]
                start += 8
            if length > self._max or (
                self._msg is not None and len(self._msg) + length > self._max
            ):
                raise WebSocketProtocolError(
                    1009, f"message exceeds the limit of {self._max} bytes"
                )
            mask: bytes | None = None
            if expect_mask:
                if end - start < 4:
                    break
                mask = bytes(data[start : start + 4])
                start += 4
            stop = start + length
            fin = bool(b0 & _FIN)
            rsv1 = bool(b0 & _RSV1)
            if stop > end:
                # The payload is still arriving: keep what there is.
                self._pbuf = bytearray(data[start:end])
                self._remaining = stop - end
                self._frame_fin = fin
                self._frame_rsv1 = rsv1
                self._frame_opcode = opcode
                self._frame_mask = mask
                return events
            payload = bytes(data[start:stop])
            if mask is not None:
                payload = apply_mask(mask, payload)
            pos = stop
            if fin and opcode == OP_TEXT and not rsv1:
                # The common case, inline: one uncompressed text frame.
                try:
                    events.append((OP_TEXT, payload.decode("utf-8")))
                except UnicodeDecodeError:
                    raise WebSocketProtocolError(1007, "text message is not valid UTF-8") from None
            else:
                self._frame(fin, rsv1, opcode, payload, events)
        if pos < end:
            self._head = bytes(data[pos:end])
        return events

    def _check_header(self, b0: int, b1: int) -> None:
        """Validate the first two header bytes of anything but a plain data frame."""
        opcode = b0 & 0x0F
        if b0 & _RSV23:
            raise WebSocketProtocolError(1002, "reserved bits RSV2/RSV3 are set")
        if opcode not in _KNOWN_OPCODES:
            raise WebSocketProtocolError(1002, f"reserved opcode {opcode:#x}")
        if opcode >= OP_CLOSE:
            if not b0 & _FIN:
                raise WebSocketProtocolError(1002, "control frames must not be fragmented")
            if (b1 & 0x7F) > 125:
                raise WebSocketProtocolError(1002, "control frame payload over 125 bytes")
            if b0 & _RSV1:
                raise WebSocketProtocolError(1002, "RSV1 is set on a control frame")
            return
        if b0 & _RSV1:
            if self._deflate is None:
                raise WebSocketProtocolError(
                    1002, "RSV1 is set but compression was not negotiated"
                )
            if opcode == OP_CONTINUATION:
                raise WebSocketProtocolError(1002, "RSV1 is set on a continuation frame")
        if opcode == OP_CONTINUATION:
            if self._msg is None:
                raise WebSocketProtocolError(1002, "continuation frame without a message to continue")
        elif self._msg is not None:
            raise WebSocketProtocolError(
                1002, "a new data frame began before the fragmented message ended"
            )

    def _frame(self, fin: bool, rsv1: bool, opcode: int, payload: bytes, events: list[Event]) -> None:
        """Handle one complete, header-validated frame."""
        if opcode >= OP_CLOSE:
            if opcode == OP_CLOSE:
                events.append((OP_CLOSE, parse_close_payload(payload)))
            else:
                events.append((opcode, payload))
            return
        if opcode != OP_CONTINUATION:
            if fin:
                if rsv1:
                    assert self._deflate is not None  # checked with the header
                    payload = self._deflate.decompress(payload, True, self._max)
                if opcode == OP_TEXT:
                    try:
                        events.append((OP_TEXT, payload.decode("utf-8")))
                    except UnicodeDecodeError:
                        raise WebSocketProtocolError(
                            1007, "text message is not valid UTF-8"
                        ) from None
                else:
                    events.append((OP_BINARY, payload))
                return
            self._msg = bytearray()
            self._msg_opcode = opcode
            self._msg_compressed = rsv1
            self._utf8 = codecs.getincrementaldecoder("utf-8")() if opcode == OP_TEXT else None
        msg = self._msg
        assert msg is not None  # checked with the header
        if self._msg_compressed:
            assert self._deflate is not None
            payload = self._deflate.decompress(payload, fin, self._max - len(msg))
        if len(msg) + len(payload) > self._max:
            raise WebSocketProtocolError(1009, f"message exceeds the limit of {self._max} bytes")
        if self._utf8 is not None:
            try:
                # Validate as the fragments arrive (fail fast on the first
                # bad byte); the decoded pieces are not kept.
                self._utf8.decode(payload, fin)
            except UnicodeDecodeError:
                raise WebSocketProtocolError(1007, "text message is not valid UTF-8") from None
        msg += payload
        if fin:
            self._msg = None
            self._utf8 = None
            if self._msg_opcode == OP_TEXT:
                events.append((OP_TEXT, msg.decode("utf-8")))
            else:
                events.append((OP_BINARY, bytes(msg)))


class FrameWriter:
    """Build the frames one side sends.

    Args:
        is_client: ``True`` to mask every frame (a client must), ``False``
            to send unmasked frames (a server must).
        deflate: the negotiated permessage-deflate state, or ``None``.
    """

    __slots__ = ("_is_client", "_deflate", "_rsv1", "_keys", "_key_pos", "_text", "_binary")

    def __init__(self, *, is_client: bool, deflate: PerMessageDeflate | None = None) -> None:
        if deflate is not None and not deflate.can_compress:
            deflate = None  # the peer's window limit is one zlib cannot honour
        self._is_client = is_client
        self._deflate = deflate
        self._keys = b""
        self._key_pos = 0
        rsv1 = _RSV1 if deflate is not None else 0
        self._rsv1 = rsv1
        self._text = _small_headers(_FIN | rsv1 | OP_TEXT)
        self._binary = _small_headers(_FIN | rsv1 | OP_BINARY)

    def message(self, data: bytes, binary: bool) -> bytes:
        """One complete, unfragmented data frame carrying ``data``.

        Args:
            data: the message bytes (UTF-8 text when ``binary`` is false).
            binary: send as a binary rather than a text message.
        """
        if self._deflate is not None:
            data = self._deflate.compress(data)
        n = len(data)
        if not self._is_client and n < 126:
            return (self._binary if binary else self._text)[n] + data
        first = self._rsv1 | (_FIN | OP_BINARY if binary else _FIN | OP_TEXT)
        if self._is_client:
            return self._masked(first, data)
        if n < 65536:
            return _pack_16(first, 126, n) + data
        return _pack_64(first, 127, n) + data

    def control(self, opcode: int, payload: bytes = b"") -> bytes:
        """A ping, pong or close frame.

        Raises:
            ValueError: ``payload`` is over 125 bytes (RFC 6455 section 5.5).
        """
        if len(payload) > 125:
            raise ValueError(
                f"control frame payload is {len(payload)} bytes; at most 125 are allowed"
            )
        if self._is_client:
            return self._masked(_FIN | opcode, payload)
        return bytes((_FIN | opcode, len(payload))) + payload

    def _next_key(self) -> bytes:
        pos = self._key_pos
        if pos + 4 > len(self._keys):
            # One system call gives the keys of the next 64 frames.
            self._keys = os.urandom(256)
            pos = 0
        self._key_pos = pos + 4
        return self._keys[pos : pos + 4]

    def _masked(self, first: int, data: bytes) -> bytes:
        key = self._next_key()
        n = len(data)
        if n < 126:
            header = bytes((first, 0x80 | n))
        elif n < 65536:
            header = _pack_16(first, 0xFE, n)
        else:
            header = _pack_64(first, 0xFF, n)
        return header + key + apply_mask(key, data)
