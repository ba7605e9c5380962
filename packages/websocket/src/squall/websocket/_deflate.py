"""permessage-deflate (RFC 7692): negotiation and the per-message codec.

How this works: the client offers ``permessage-deflate`` with parameters in
``Sec-WebSocket-Extensions``; the server accepts the first offer it can honour
(`negotiate_server`) and answers with the agreed parameters; the client checks
that answer (`accept_response`). Both ends then hold a `PerMessageDeflate`:
each message is compressed with a sync flush and its trailing
``00 00 ff ff`` removed (RFC 7692 section 7.2.1), and the receiver appends
those four bytes back before inflating.

Window bits: zlib cannot produce a raw deflate stream with an 8-bit window,
so when the peer limits our window to 8 we send our messages uncompressed
(RSV1 clear), which RFC 7692 allows per message. We always inflate with a
15-bit window, which reads any smaller one.

Context takeover: with ``*_no_context_takeover`` the compressor ends each
message with a full flush instead of a sync flush; a full flush forgets the
history, so no message refers to an earlier one, and no new compressor has to
be allocated per message.

Bombs: inflating is bounded by ``max_length``: a message may never expand past
the room left under ``max_message_size`` (1009).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import WebSocketHandshakeError, WebSocketProtocolError

__all__ = [
    "PerMessageDeflate",
    "accept_response",
    "client_offer",
    "negotiate_server",
    "parse_extensions",
    "validate_compression_options",
]

EXTENSION_NAME = "permessage-deflate"
_TAIL = b"\x00\x00\xff\xff"
_TCHAR = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_OPTION_KEYS = frozenset(
    (
        "compression_level",
        "mem_level",
        "server_max_window_bits",
        "client_max_window_bits",
        "server_no_context_takeover",
        "client_no_context_takeover",
    )
)

Extension = tuple[str, list[tuple[str, "str | None"]]]


def parse_extensions(values: Iterable[str]) -> list[Extension]:
    """Parse ``Sec-WebSocket-Extensions`` header values (RFC 6455 section 9.1).

    Args:
        values: every value of the header (it may be repeated).

    Returns:
        ``[(name, [(param, value or None), ...]), ...]`` in order; quoted
        values are unquoted.

    Raises:
        ValueError: the header does not follow the grammar.
    """
    result: list[Extension] = []
    for value in values:
        parser = _ListParser(value)
        result.extend(parser.parse())
    return result


class _ListParser:
    """A linear-time parser for one extension-list header value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_ws(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t":
            self.pos += 1

    def _token(self) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] in _TCHAR:
            self.pos += 1
        if self.pos == start:
            raise ValueError(
                f"malformed Sec-WebSocket-Extensions header at offset {start}: expected a token"
            )
        return text[start : self.pos]

    def _quoted(self) -> str:
        text = self.text
        self.pos += 1  # the opening quote
        out: list[str] = []
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                self.pos += 1
                if self.pos >= len(text):
                    break
                char = text[self.pos]
            if char < " " and char != "\t" or char == "\x7f":
                raise ValueError("control character in a quoted Sec-WebSocket-Extensions value")
            out.append(char)
            self.pos += 1
        raise ValueError("unterminated quoted string in Sec-WebSocket-Extensions")

    def parse(self) -> list[Extension]:
        text = self.text
        result: list[Extension] = []
        while True:
            self._skip_ws()
            if self.pos >= len(text):
                return result
            if text[self.pos] == ",":  # empty list elements are allowed
                self.pos += 1
                continue
            name = self._token()
            params: list[tuple[str, str | None]] = []
            self._skip_ws()
            while self.pos < len(text) and text[self.pos] == ";":
                self.pos += 1
                self._skip_ws()
                param = self._token()
                self._skip_ws()
                value: str | None = None
                if self.pos < len(text) and text[self.pos] == "=":
                    self.pos += 1
                    self._skip_ws()
                    if self.pos < len(text) and text[self.pos] == '"':
                        value = self._quoted()
                        if not value or any(c not in _TCHAR for c in value):
                            raise ValueError(
                                "a quoted Sec-WebSocket-Extensions value must hold a token"
                            )
                    else:
                        value = self._token()
                    self._skip_ws()
                params.append((param, value))
            result.append((name, params))
            if self.pos < len(text):
                if text[self.pos] != ",":
                    raise ValueError(
                        f"malformed Sec-WebSocket-Extensions header at offset {self.pos}"
                    )
                self.pos += 1


def validate_compression_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``compression_options`` and fill in defaults.

    Recognised keys: ``compression_level`` (-1 or 0-9, default 6),
    ``mem_level`` (1-9, default 8), ``server_max_window_bits`` and
    ``client_max_window_bits`` (9-15), ``server_no_context_takeover`` and
    ``client_no_context_takeover`` (bools).

    Raises:
        ValueError: an unknown key or a value out of range.
        TypeError: ``options`` is not a mapping.
    """
    if not isinstance(options, Mapping):
        raise TypeError(
            f"compression options must be a dict or None, not {type(options).__name__}"
        )
    unknown = set(options) - _OPTION_KEYS
    if unknown:
        raise ValueError(
            f"unknown compression option(s) {sorted(unknown)}; known: {sorted(_OPTION_KEYS)}"
        )
    result: dict[str, Any] = {
        "compression_level": 6,
        "mem_level": 8,
        "server_max_window_bits": None,
        "client_max_window_bits": None,
        "server_no_context_takeover": False,
        "client_no_context_takeover": False,
    }
    result.update(options)
    level = result["compression_level"]
    if not _is_int(level) or not -1 <= level <= 9:
        raise ValueError(f"compression_level must be -1 or 0-9, not {level!r}")
    mem = result["mem_level"]
    if not _is_int(mem) or not 1 <= mem <= 9:
        raise ValueError(f"mem_level must be 1-9, not {mem!r}")
    for key in ("server_max_window_bits", "client_max_window_bits"):
        bits = result[key]
        if bits is not None and (not _is_int(bits) or not 9 <= bits <= 15):
            raise ValueError(f"{key} must be 9-15 or None, not {bits!r}")
    for key in ("server_no_context_takeover", "client_no_context_takeover"):
        if not isinstance(result[key], bool):
            raise ValueError(f"{key} must be a bool, not {result[key]!r}")
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _window_bits(value: str | None) -> int | None:
    """A window-bits parameter value: 1*DIGIT in 8-15 (RFC 7692 7.1.2)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 2:
        return None
    bits = int(value)
    return bits if 8 <= bits <= 15 else None


class _Params:
    """The parameters of one permessage-deflate offer or response."""

    __slots__ = ("server_nct", "client_nct", "server_bits", "client_bits")

    def __init__(self) -> None:
        self.server_nct = False
        self.client_nct = False
        self.server_bits: int | None = None
        # None: absent; 0: present without a value (offers only).
        self.client_bits: int | None = None


def _read_params(params: list[tuple[str, str | None]], *, response: bool) -> _Params | None:
    """Validate parameters; ``None`` if invalid (unknown, repeated, bad value)."""
    out = _Params()
    seen: set[str] = set()
    for name, value in params:
        name = name.lower()
        if name in seen:
            return None
        seen.add(name)
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                return None
            if name == "server_no_context_takeover":
                out.server_nct = True
            else:
                out.client_nct = True
        elif name == "server_max_window_bits":
            bits = _window_bits(value)
            if bits is None:
                return None
            out.server_bits = bits
        elif name == "client_max_window_bits":
            if value is None:
                if response:
                    return None
                out.client_bits = 0
            else:
                bits = _window_bits(value)
                if bits is None:
                    return None
                out.client_bits = bits
        else:
            return None
    return out


class PerMessageDeflate:
    """Compression state of one side of one connection.

    Args:
        compress_bits: window bits for what we send; ``None`` to send every
            message uncompressed.
        compress_no_takeover: reset the compressor's history after each
            message.
        compression_level: zlib level.
        mem_level: zlib memory level.
    """

    __slots__ = ("compress_bits", "compress_no_takeover", "level", "mem_level", "_deflater", "_inflater", "_flush")

    def __init__(
        self,
        *,
        compress_bits: int | None = 15,
        compress_no_takeover: bool = False,
        compression_level: int = 6,
        mem_level: int = 8,
    ) -> None:
        self.compress_bits = compress_bits
        self.compress_no_takeover = compress_no_takeover
        self.level = compression_level
        self.mem_level = mem_level
        self._deflater: Any = None
        self._inflater: Any = None
        self._flush = zlib.Z_FULL_FLUSH if compress_no_takeover else zlib.Z_SYNC_FLUSH

    @property
    def can_compress(self) -> bool:
        """Whether our messages are sent compressed."""
        return self.compress_bits is not None

    def compress(self, data: bytes) -> bytes:
        """Compress one whole message (RFC 7692 section 7.2.1)."""
        deflater = self._deflater
        if deflater is None:
            bits = self.compress_bits if self.compress_bits is not None else 15
            deflater = self._deflater = zlib.compressobj(
                self.level, zlib.DEFLATED, -bits, self.mem_level
            )
        out: bytes = deflater.compress(data) + deflater.flush(self._flush)
        if out.endswith(_TAIL):
            out = out[:-4]
        return out

    def decompress(self, data: bytes, final: bool, limit: int) -> bytes:
        """Inflate one frame of a compressed message.

        Args:
            data: the frame's payload.
            final: whether this is the message's last frame.
            limit: how many bytes the output may have at most.

        Raises:
            WebSocketProtocolError: 1009 when the output would pass
                ``limit``; 1007 for data that is not a valid deflate stream.
        """
        inflater = self._inflater
        if inflater is None:
            inflater = self._inflater = zlib.decompressobj(-15)
        if final:
            data = data + _TAIL
        try:
            out: bytes = inflater.decompress(data, limit + 1)
        except zlib.error as error:
            raise WebSocketProtocolError(1007, f"invalid compressed data ({error})") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise WebSocketProtocolError(
                1009, "decompressed message exceeds the maximum message size"
            )
        if inflater.eof:
            # The peer closed its deflate stream (BFINAL); start a new one
            # for the next message. Only our appended tail may follow, after
            # at most the empty block header of RFC 7692 section 7.2.3.4.
            if inflater.unused_data not in (b"", _TAIL, b"\x00" + _TAIL):
                raise WebSocketProtocolError(1007, "data after the end of a deflate stream")
            self._inflater = None
        return out


def negotiate_server(
    header_values: Iterable[str], options: Mapping[str, Any]
) -> tuple[str, PerMessageDeflate] | None:
    """Pick the first permessage-deflate offer the server can accept.

    Args:
        header_values: the request's ``Sec-WebSocket-Extensions`` values.
        options: validated compression options (`validate_compression_options`).

    Returns:
        ``(response header value, state)``, or ``None`` when nothing was
        offered that we accept.

    Raises:
        ValueError: the header is malformed.
    """
    for name, raw in parse_extensions(header_values):
        if name.lower() != EXTENSION_NAME:
            continue
        offer = _read_params(raw, response=False)
        if offer is None:
            continue  # RFC 7692 5.1: decline an invalid offer
        parts = [EXTENSION_NAME]
        server_nct = offer.server_nct or options["server_no_context_takeover"]
        if server_nct:
            parts.append("server_no_context_takeover")
        if offer.client_nct or options["client_no_context_takeover"]:
            parts.append("client_no_context_takeover")
        server_bits = offer.server_bits or 15
        if options["server_max_window_bits"] is not None:
            server_bits = min(server_bits, options["server_max_window_bits"])
        if server_bits < 15 or offer.server_bits is not None:
            parts.append(f"server_max_window_bits={server_bits}")
        if offer.client_bits is not None and options["client_max_window_bits"] is not None:
            client_bits = options["client_max_window_bits"]
            if offer.client_bits:
                client_bits = min(client_bits, offer.client_bits)
            parts.append(f"client_max_window_bits={client_bits}")
        state = PerMessageDeflate(
            compress_bits=server_bits if server_bits >= 9 else None,
            compress_no_takeover=server_nct,
            compression_level=options["compression_level"],
            mem_level=options["mem_level"],
        )
        return "; ".join(parts), state
    return None


def client_offer(options: Mapping[str, Any]) -> str:
    """The ``Sec-WebSocket-Extensions`` value a client sends.

    Args:
        options: validated compression options.
    """
    parts = [EXTENSION_NAME]
    if options["server_no_context_takeover"]:
        parts.append("server_no_context_takeover")
    if options["client_no_context_takeover"]:
        parts.append("client_no_context_takeover")
    if options["server_max_window_bits"] is not None:
        parts.append(f"server_max_window_bits={options['server_max_window_bits']}")
    if options["client_max_window_bits"] is not None:
        parts.append(f"client_max_window_bits={options['client_max_window_bits']}")
    else:
        # We can compress with whatever window the server asks for.
        parts.append("client_max_window_bits")
    return "; ".join(parts)


def accept_response(
    header_values: Iterable[str], options: Mapping[str, Any]
) -> PerMessageDeflate | None:
    """Check the server's answer to `client_offer`.

    Args:
        header_values: the response's ``Sec-WebSocket-Extensions`` values.
        options: the validated options the offer was made from, or an empty
            mapping if nothing was offered.

    Returns:
        The compression state, or ``None`` when the server declined.

    Raises:
        WebSocketHandshakeError: the server accepted something that was not
            offered or answered with invalid parameters.
    """
    try:
        extensions = parse_extensions(header_values)
    except ValueError as error:
        raise WebSocketHandshakeError(str(error)) from None
    if not extensions:
        return None
    if not options:
        raise WebSocketHandshakeError(
            "server accepted WebSocket extensions that were not offered: "
            + ", ".join(name for name, _ in extensions)
        )
    if len(extensions) > 1 or extensions[0][0].lower() != EXTENSION_NAME:
        raise WebSocketHandshakeError(
            "server answered with unexpected extensions: "
            + ", ".join(name for name, _ in extensions)
        )
    answer = _read_params(extensions[0][1], response=True)
    if answer is None:
        raise WebSocketHandshakeError("server sent invalid permessage-deflate parameters")
    wanted = options["server_max_window_bits"]
    if wanted is not None and (answer.server_bits is None or answer.server_bits > wanted):
        raise WebSocketHandshakeError(
            f"server did not honour server_max_window_bits={wanted}"
        )
    if options["server_no_context_takeover"] and not answer.server_nct:
        raise WebSocketHandshakeError("server did not honour server_no_context_takeover")
    client_bits = answer.client_bits or 15
    limit = options["client_max_window_bits"]
    if limit is not None and client_bits > limit:
        raise WebSocketHandshakeError(
            f"server chose client_max_window_bits={client_bits}, above the offered {limit}"
        )
    if limit is not None:
        client_bits = min(client_bits, limit)
    return PerMessageDeflate(
        compress_bits=client_bits if client_bits >= 9 else None,
        compress_no_takeover=answer.client_nct or options["client_no_context_takeover"],
        compression_level=options["compression_level"],
        mem_level=options["mem_level"],
    )
