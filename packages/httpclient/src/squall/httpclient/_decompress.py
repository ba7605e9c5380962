"""Bounded gzip/deflate decoding of response bodies, shared by both back ends.

The limit is counted on the *decoded* bytes (a 10 MB gzip body can inflate
to 10 GB; CVE-2026-49855), and zlib is asked for at most the remaining
budget plus one byte at a time, so a bomb never gets the chance to allocate
more than that. Concatenated gzip members (RFC 1952 section 2.2) are decoded
one after another.
"""

from __future__ import annotations

import zlib

__all__ = ["BodyTooLarge", "Decompressor", "make_decompressor"]

# Decode in slices of at most this many bytes so memory stays bounded even
# when the limit itself is large.
_SLICE = 1 << 20


class BodyTooLarge(Exception):
    """The decoded body went over the limit."""


class DecodeError(Exception):
    """The body is not valid gzip/deflate data."""


class Decompressor:
    """Decodes one response body.

    Args:
        coding: ``"gzip"`` or ``"deflate"`` (zlib-wrapped or raw).
        limit: The most decoded bytes allowed.
    """

    __slots__ = ("_coding", "_obj", "_limit", "_total", "_started", "_member_done")

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._total = 0
        self._obj = self._new_obj(None)
        self._started = False
        self._member_done = False

    def _new_obj(self, first: bytes | None) -> zlib._Decompress:
        if self._coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped (RFC 9110 section 8.4.1.2)
        # but some servers send raw deflate; a zlib stream's first byte has
        # the low nibble 8 (CM=8) and a valid header checksum.
        if first is not None and len(first) >= 2:
            zlib_header = (first[0] & 0x0F) == 8 and ((first[0] << 8) | first[1]) % 31 == 0
            if not zlib_header:
                return zlib.decompressobj(-zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS)

    def decompress(self, data: bytes) -> bytes:
        """Decode the next piece of the body.

        Returns:
            The decoded bytes (possibly empty).

        Raises:
            BodyTooLarge: The decoded total passed the limit.
            DecodeError: The data is not valid for the coding.
        """
        if not data:
            return b""
        if not self._started:
            self._started = True
            if self._coding != "gzip":
                self._obj = self._new_obj(data)
        out: list[bytes] = []
        try:
            while data:
                if self._member_done:
                    # Another gzip member follows the one just finished.
                    self._obj = self._new_obj(None)
                    self._member_done = False
                obj = self._obj
                budget = self._limit - self._total
                chunk = obj.decompress(data, min(budget + 1, _SLICE))
                self._count(chunk)
                out.append(chunk)
                data = obj.unconsumed_tail
                while data == b"" and len(chunk) == min(budget + 1, _SLICE) and not obj.eof:
                    # Output was capped: pull what zlib still holds.
                    budget = self._limit - self._total
                    chunk = obj.decompress(b"", min(budget + 1, _SLICE))
                    if not chunk:
                        break
                    self._count(chunk)
                    out.append(chunk)
                if obj.eof:
                    rest = obj.unused_data
                    if self._coding == "gzip":
                        self._member_done = True
                        # Trailing zero padding after the last member is common.
                        data = rest if rest.strip(b"\x00") else b""
                    else:
                        data = b""
        except zlib.error as exc:
            raise DecodeError(f"invalid {self._coding} data in the response body: {exc}") from None
        return b"".join(out)

    def _count(self, chunk: bytes) -> None:
        self._total += len(chunk)
        if self._total > self._limit:
            raise BodyTooLarge(
                f"the decompressed response body is larger than max_body_size "
                f"({self._limit} bytes)"
            )

    def flush(self) -> bytes:
        """Return any decoded bytes still held at the end of the body.

        Raises:
            BodyTooLarge: The decoded total passed the limit.
            DecodeError: The body ended in the middle of a gzip member.
        """
        if not self._started:
            return b""
        obj = self._obj
        if not obj.eof and not self._member_done:
            try:
                tail = obj.flush()
            except zlib.error as exc:
                raise DecodeError(f"invalid {self._coding} data in the response body: {exc}") from None
            self._count(tail)
            if self._coding == "gzip":
                raise DecodeError("the gzip response body is truncated")
            return tail
        return b""


def make_decompressor(content_encoding: str | None, limit: int) -> Decompressor | None:
    """Return a decoder for a ``Content-Encoding``, or None if it is not one we decode."""
    if content_encoding is None:
        return None
    coding = content_encoding.strip(" \t").lower()
    if coding in ("gzip", "x-gzip"):
        return Decompressor("gzip", limit)
    if coding == "deflate":
        return Decompressor("deflate", limit)
    return None
