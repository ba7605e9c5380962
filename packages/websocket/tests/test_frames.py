"""The sans-IO frame codec (squall.websocket._frames), byte by byte.

Frames here are built by a small independent encoder (`frame`, with a
per-byte masking loop), not by the code under test, and the codec's output
is checked against RFC 6455's own examples where it gives them.
"""

from __future__ import annotations

import os
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.websocket import WebSocketProtocolError
from squall.websocket._deflate import PerMessageDeflate
from squall.websocket._frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameReader,
    FrameWriter,
    apply_mask,
    build_close_payload,
    parse_close_payload,
)

KEY = b"\x37\xfa\x21\x3d"


def ref_mask(key: bytes, data: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = True,
    length: int | None = None,
    key: bytes = KEY,
) -> bytes:
    """An independent frame encoder for tests (length can lie)."""
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | rsv | opcode
    mbit = 0x80 if mask else 0
    if n < 126:
        head = bytes((first, mbit | n))
    elif n < 65536:
        head = bytes((first, mbit | 126)) + struct.pack("!H", n)
    else:
        head = bytes((first, mbit | 127)) + struct.pack("!Q", n)
    if mask:
        return head + key + ref_mask(key, payload)
    return head + payload


def server_reader(max_size: int = 1 << 20, deflate: PerMessageDeflate | None = None) -> FrameReader:
    return FrameReader(is_client=False, max_message_size=max_size, deflate=deflate)


def client_reader(max_size: int = 1 << 20, deflate: PerMessageDeflate | None = None) -> FrameReader:
    return FrameReader(is_client=True, max_message_size=max_size, deflate=deflate)


def violation(reader: FrameReader, data: bytes) -> int:
    with pytest.raises(WebSocketProtocolError) as info:
        reader.feed(data)
    return info.value.code


# ----------------------------------------------------------------------
# RFC 6455 section 5.7 examples


def test_rfc_examples_unmasked_and_masked_hello() -> None:
    assert client_reader().feed(bytes.fromhex("810548656c6c6f")) == [(OP_TEXT, "Hello")]
    masked = bytes.fromhex("818537fa213d7f9f4d5158")
    assert server_reader().feed(masked) == [(OP_TEXT, "Hello")]


def test_rfc_example_fragmented_text() -> None:
    data = bytes.fromhex("010348656c") + bytes.fromhex("80026c6f")
    assert client_reader().feed(data) == [(OP_TEXT, "Hello")]


def test_rfc_example_ping_and_pong() -> None:
    assert client_reader().feed(bytes.fromhex("890548656c6c6f")) == [(OP_PING, b"Hello")]
    assert server_reader().feed(bytes.fromhex("8a8537fa213d7f9f4d5158")) == [(OP_PONG, b"Hello")]


def test_rfc_example_lengths_256_and_65536() -> None:
    data = os.urandom(256)
    assert client_reader().feed(bytes.fromhex("827e0100") + data) == [(OP_BINARY, data)]
    big = os.urandom(65536)
    head = bytes.fromhex("827f0000000000010000")
    assert client_reader().feed(head + big) == [(OP_BINARY, big)]


def test_server_writer_matches_rfc_bytes() -> None:
    writer = FrameWriter(is_client=False)
    assert writer.message(b"Hello", binary=False) == bytes.fromhex("810548656c6c6f")
    assert writer.message(b"x" * 256, binary=True)[:4] == bytes.fromhex("827e0100")
    assert writer.message(b"x" * 65536, binary=True)[:10] == bytes.fromhex("827f0000000000010000")
    assert writer.control(OP_PING, b"Hello") == bytes.fromhex("890548656c6c6f")


# ----------------------------------------------------------------------
# Masking


@given(st.binary(min_size=4, max_size=4), st.binary(max_size=300))
@settings(max_examples=100)
def test_apply_mask_matches_the_per_byte_definition(key: bytes, data: bytes) -> None:
    assert apply_mask(key, data) == ref_mask(key, data)
    assert apply_mask(key, apply_mask(key, data)) == data


@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_apply_mask_rejects_a_key_that_is_not_four_bytes(key: bytes) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        apply_mask(key, b"payload")


def test_client_writer_masks_every_frame_with_a_fresh_key() -> None:
    writer = FrameWriter(is_client=True)
    first = writer.message(b"Hello", binary=False)
    second = writer.message(b"Hello", binary=False)
    for out in (first, second):
        assert out[0] == 0x81 and out[1] == 0x85
        assert ref_mask(out[2:6], out[6:]) == b"Hello"
    assert first[2:6] != second[2:6]
    big = writer.message(b"y" * 70000, binary=True)
    assert big[1] == 0xFF and struct.unpack("!Q", big[2:10])[0] == 70000
    assert ref_mask(big[10:14], big[14:]) == b"y" * 70000
    # A server reads what the client writes.
    assert server_reader().feed(first + big) == [(OP_TEXT, "Hello"), (OP_BINARY, b"y" * 70000)]


def test_unmasked_client_frame_is_1002() -> None:
    assert violation(server_reader(), frame(OP_TEXT, b"hi", mask=False)) == 1002


def test_masked_server_frame_is_1002() -> None:
    assert violation(client_reader(), frame(OP_TEXT, b"hi", mask=True)) == 1002


# ----------------------------------------------------------------------
# Splitting and fragmentation


@given(st.data())
@settings(max_examples=60)
def test_any_split_of_the_stream_gives_the_same_events(data: st.DataObject) -> None:
    stream = (
        frame(OP_TEXT, "héllo".encode())
        + frame(OP_BINARY, b"\x00" * 300)
        + frame(OP_TEXT, b"ab", fin=False)
        + frame(OP_PING, b"p")
        + frame(0, b"cd", fin=False)
        + frame(0, "€".encode())
        + frame(OP_BINARY, b"z" * 70000)
        + frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye")
    )
    expected = [
        (OP_TEXT, "héllo"),
        (OP_BINARY, b"\x00" * 300),
        (OP_PING, b"p"),
        (OP_TEXT, "abcd€"),
        (OP_BINARY, b"z" * 70000),
        (OP_CLOSE, (1000, "bye")),
    ]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    reader = server_reader()
    events = []
    last = 0
    for cut in cuts + [len(stream)]:
        events += reader.feed(stream[last:cut])
        last = cut
    assert events == expected


def test_byte_at_a_time() -> None:
    stream = frame(OP_TEXT, b"abc", fin=False) + frame(0, b"def") + frame(OP_PONG, b"x")
    reader = server_reader()
    events = []
    for i in range(len(stream)):
        events += reader.feed(stream[i : i + 1])
    assert events == [(OP_TEXT, "abcdef"), (OP_PONG, b"x")]


def test_control_frames_between_fragments_are_delivered_first() -> None:
    stream = (
        frame(OP_BINARY, b"1", fin=False)
        + frame(OP_PING, b"a")
        + frame(0, b"2", fin=False)
        + frame(OP_PONG, b"b")
        + frame(0, b"3")
    )
    assert server_reader().feed(stream) == [
        (OP_PING, b"a"),
        (OP_PONG, b"b"),
        (OP_BINARY, b"123"),
    ]


def test_continuation_without_a_start_is_1002() -> None:
    assert violation(server_reader(), frame(0, b"x")) == 1002


def test_new_message_inside_a_fragmented_one_is_1002() -> None:
    reader = server_reader()
    reader.feed(frame(OP_TEXT, b"a", fin=False))
    assert violation(reader, frame(OP_TEXT, b"b")) == 1002


def test_many_tiny_fragments() -> None:
    count = 100_000
    stream = b"".join(
        [frame(OP_BINARY, b"a", fin=False)]
        + [frame(0, b"b", fin=False)] * (count - 2)
        + [frame(0, b"c")]
    )
    reader = server_reader(max_size=count)
    events = reader.feed(stream)
    assert events == [(OP_BINARY, b"a" + b"b" * (count - 2) + b"c")]


def test_fragmented_message_over_the_limit_counts_the_in_flight_buffer() -> None:
    reader = server_reader(max_size=100)
    reader.feed(frame(OP_BINARY, b"x" * 60, fin=False))
    # 60 in flight + 41 announced > 100: refused from the header alone.
    header_only = frame(0, b"y" * 41)[:6]
    assert violation(reader, header_only) == 1009


def test_tiny_fragments_cannot_pass_the_limit_either() -> None:
    reader = server_reader(max_size=10)
    reader.feed(frame(OP_TEXT, b"a", fin=False) + frame(0, b"b" * 9, fin=False))
    assert violation(reader, frame(0, b"c", fin=False)) == 1009


def test_message_exactly_at_the_limit_is_accepted() -> None:
    assert server_reader(max_size=5).feed(frame(OP_BINARY, b"12345")) == [(OP_BINARY, b"12345")]
    assert violation(server_reader(max_size=5), frame(OP_BINARY, b"123456")) == 1009


def test_two_to_the_63_length_is_1009_from_the_header() -> None:
    head = bytes((0x82, 0xFF)) + struct.pack("!Q", 1 << 63) + KEY
    assert violation(server_reader(), head) == 1009


def test_reader_stays_failed() -> None:
    reader = server_reader()
    violation(reader, frame(0, b"x"))
    with pytest.raises(WebSocketProtocolError):
        reader.feed(frame(OP_TEXT, b"fine"))


# ----------------------------------------------------------------------
# Header rules


@pytest.mark.parametrize("rsv", [0x40, 0x20, 0x10])
def test_reserved_bits_without_extension_are_1002(rsv: int) -> None:
    assert violation(server_reader(), frame(OP_TEXT, b"x", rsv=rsv)) == 1002


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes_are_1002(opcode: int) -> None:
    assert violation(server_reader(), frame(opcode, b"")) == 1002


def test_control_frame_over_125_bytes_is_1002() -> None:
    assert violation(server_reader(), frame(OP_PING, b"x" * 126)) == 1002


def test_control_frame_with_16_bit_length_of_a_small_size_is_1002() -> None:
    # Length field 126 on a control frame, even announcing few bytes.
    data = bytes((0x89, 0x80 | 126)) + struct.pack("!H", 3) + KEY + b"abc"
    assert violation(server_reader(), data) == 1002


def test_fragmented_control_frame_is_1002() -> None:
    assert violation(server_reader(), frame(OP_PING, b"x", fin=False)) == 1002


def test_rsv1_on_a_control_frame_is_1002_even_with_compression() -> None:
    reader = server_reader(deflate=PerMessageDeflate())
    assert violation(reader, frame(OP_PING, b"", rsv=0x40)) == 1002


def test_rsv1_on_a_continuation_is_1002() -> None:
    reader = server_reader(deflate=PerMessageDeflate())
    reader.feed(frame(OP_TEXT, b"", fin=False))
    assert violation(reader, frame(0, b"", rsv=0x40)) == 1002


# ----------------------------------------------------------------------
# UTF-8


def test_invalid_utf8_text_is_1007() -> None:
    assert violation(server_reader(), frame(OP_TEXT, b"\xff")) == 1007
    # A surrogate encoded in UTF-8 is not valid UTF-8 either.
    assert violation(server_reader(), frame(OP_TEXT, b"\xed\xa0\x80")) == 1007


def test_utf8_validation_is_incremental_across_fragments() -> None:
    euro = "€".encode()
    reader = server_reader()
    # A character split across fragments is fine.
    assert reader.feed(frame(OP_TEXT, euro[:1], fin=False)) == []
    assert reader.feed(frame(0, euro[1:2], fin=False)) == []
    assert reader.feed(frame(0, euro[2:])) == [(OP_TEXT, "€")]
    # A bad byte fails at its own fragment, before the message ends.
    reader = server_reader()
    reader.feed(frame(OP_TEXT, b"ok", fin=False))
    assert violation(reader, frame(0, b"\xc0\xaf", fin=False)) == 1007


def test_truncated_utf8_at_the_end_of_a_message_is_1007() -> None:
    reader = server_reader()
    reader.feed(frame(OP_TEXT, "€".encode()[:2], fin=False))
    assert violation(reader, frame(0, b"")) == 1007


def test_binary_is_not_validated() -> None:
    assert server_reader().feed(frame(OP_BINARY, b"\xff\xfe")) == [(OP_BINARY, b"\xff\xfe")]


# ----------------------------------------------------------------------
# Close frames


def test_close_payloads() -> None:
    assert parse_close_payload(b"") == (None, "")
    assert parse_close_payload(struct.pack("!H", 1001)) == (1001, "")
    assert parse_close_payload(struct.pack("!H", 4000) + "ça".encode()) == (4000, "ça")


@pytest.mark.parametrize(
    "code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
)
def test_invalid_close_codes_are_1002(code: int) -> None:
    data = frame(OP_CLOSE, struct.pack("!H", code))
    assert violation(server_reader(), data) == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    events = server_reader().feed(frame(OP_CLOSE, struct.pack("!H", code)))
    assert events == [(OP_CLOSE, (code, ""))]


def test_one_byte_close_body_is_1002() -> None:
    assert violation(server_reader(), frame(OP_CLOSE, b"\x03")) == 1002


def test_close_reason_not_utf8_is_1007() -> None:
    assert violation(server_reader(), frame(OP_CLOSE, b"\x03\xe8\xff")) == 1007


def test_build_close_payload_checks_its_input() -> None:
    assert build_close_payload(None, None) == b""
    assert build_close_payload(None, "bye") == b"\x03\xe8bye"
    assert build_close_payload(1001, "") == b"\x03\xe9"
    with pytest.raises(ValueError, match="close code"):
        build_close_payload(1005, None)
    with pytest.raises(ValueError, match="123"):
        build_close_payload(1000, "x" * 124)


def test_control_payload_limit_on_send() -> None:
    with pytest.raises(ValueError, match="125"):
        FrameWriter(is_client=False).control(OP_PING, b"x" * 126)


# ----------------------------------------------------------------------
# permessage-deflate on the wire


def raw_deflate(data: bytes, wbits: int = 15) -> bytes:
    """Independent RFC 7692 7.2.1 compression of one message."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def test_compressed_message_is_inflated() -> None:
    reader = server_reader(deflate=PerMessageDeflate())
    assert reader.feed(frame(OP_TEXT, raw_deflate(b"Hello"), rsv=0x40)) == [(OP_TEXT, "Hello")]


def test_rfc7692_example_hello() -> None:
    # RFC 7692 section 7.2.3.1: "Hello" compressed.
    data = bytes.fromhex("c107f248cdc9c90700")
    reader = client_reader(deflate=PerMessageDeflate())
    assert reader.feed(data) == [(OP_TEXT, "Hello")]


def test_rfc7692_example_fragmented_compressed() -> None:
    # RFC 7692 section 7.2.3.1, the compressed "Hello" in two fragments.
    data = bytes.fromhex("4103f248cd") + bytes.fromhex("8004c9c90700")
    reader = client_reader(deflate=PerMessageDeflate())
    assert reader.feed(data) == [(OP_TEXT, "Hello")]


def test_rfc7692_example_uncompressed_message_with_deflate_negotiated() -> None:
    reader = client_reader(deflate=PerMessageDeflate())
    assert reader.feed(bytes.fromhex("810548656c6c6f")) == [(OP_TEXT, "Hello")]


def test_rfc7692_example_bfinal_block() -> None:
    # Section 7.2.3.4: a stream ended with BFINAL, then another message.
    data = bytes.fromhex("c108f348cdc9c90700 00".replace(" ", ""))
    reader = client_reader(deflate=PerMessageDeflate())
    assert reader.feed(data) == [(OP_TEXT, "Hello")]
    assert reader.feed(bytes.fromhex("c107f248cdc9c90700")) == [(OP_TEXT, "Hello")]


def test_context_takeover_shares_history_between_messages() -> None:
    sender = PerMessageDeflate()
    writer = FrameWriter(is_client=False, deflate=sender)
    text = b"the same sentence, again and again. " * 4
    first = writer.message(text, binary=False)
    second = writer.message(text, binary=False)
    assert first[0] == 0xC1
    assert len(second) < len(first)  # refers back to the first message
    reader = client_reader(deflate=PerMessageDeflate())
    assert reader.feed(first + second) == [(OP_TEXT, text.decode())] * 2
    # A fresh inflater cannot read the second message alone.
    with pytest.raises(WebSocketProtocolError):
        client_reader(deflate=PerMessageDeflate()).feed(second)


def test_no_context_takeover_makes_each_message_stand_alone() -> None:
    writer = FrameWriter(is_client=False, deflate=PerMessageDeflate(compress_no_takeover=True))
    text = b"the same sentence, again and again. " * 4
    writer.message(text, binary=False)
    second = writer.message(text, binary=False)
    assert client_reader(deflate=PerMessageDeflate()).feed(second) == [(OP_TEXT, text.decode())]


def test_small_window_bits_output_reads_with_a_small_window() -> None:
    writer = FrameWriter(is_client=False, deflate=PerMessageDeflate(compress_bits=9))
    text = os.urandom(300).hex().encode() * 3
    out = writer.message(text, binary=True)
    payload = out[4:] if out[1] == 126 else out[2:]
    inflater = zlib.decompressobj(-9)
    assert inflater.decompress(payload + b"\x00\x00\xff\xff") == text


def test_window_bits_8_sends_uncompressed() -> None:
    writer = FrameWriter(is_client=False, deflate=PerMessageDeflate(compress_bits=None))
    assert writer.message(b"Hello", binary=False) == bytes.fromhex("810548656c6c6f")


def test_empty_compressed_message_round_trips() -> None:
    writer = FrameWriter(is_client=True, deflate=PerMessageDeflate())
    reader = server_reader(deflate=PerMessageDeflate())
    assert reader.feed(writer.message(b"", binary=False)) == [(OP_TEXT, "")]


def test_deflate_bomb_is_1009() -> None:
    bomb = raw_deflate(b"\x00" * 5_000_000)
    assert len(bomb) < 10_000
    reader = server_reader(max_size=1 << 20, deflate=PerMessageDeflate())
    assert violation(reader, frame(OP_BINARY, bomb, rsv=0x40)) == 1009


def test_fragmented_deflate_bomb_is_1009() -> None:
    bomb = raw_deflate(b"\x00" * 3_000_000)
    third = len(bomb) // 3
    reader = server_reader(max_size=1 << 20, deflate=PerMessageDeflate())
    parts = [bomb[:third], bomb[third : 2 * third], bomb[2 * third :]]
    data = frame(OP_BINARY, parts[0], fin=False, rsv=0x40) + frame(0, parts[1], fin=False)
    data += frame(0, parts[2])
    assert violation(reader, data) == 1009


def test_corrupt_compressed_data_is_1007() -> None:
    reader = server_reader(deflate=PerMessageDeflate())
    assert violation(reader, frame(OP_BINARY, b"\xff\xff\xff\xff", rsv=0x40)) == 1007
