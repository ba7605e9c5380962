"""Decompression of gzip request bodies (``decompress_request=True``)."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable

from squall.httputil import (
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    RequestStartLine,
    ResponseStartLine,
)

__all__ = ["GzipDecompressingDelegate", "is_gzip"]


def is_gzip(headers: HTTPHeaders) -> bool:
    """True if the body's only content coding is gzip."""
    return headers.get("Content-Encoding", "").strip(" \t").lower() in ("gzip", "x-gzip")


class GzipDecompressingDelegate(HTTPMessageDelegate):
    """Wraps a delegate and hands it the decompressed body.

    The decompressed size counts against ``max_body_size`` (a small body may
    inflate enormously), output is produced in pieces of at most
    ``chunk_size`` bytes, and concatenated gzip members are all read.
    The ``Content-Encoding`` header is moved to ``X-Consumed-Content-Encoding``.
    """

    def __init__(
        self,
        delegate: HTTPMessageDelegate,
        chunk_size: int,
        max_body_size: Callable[[], int],
    ) -> None:
        self._delegate = delegate
        self._chunk_size = chunk_size
        self._max_body_size = max_body_size
        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._size = 0
        self._fed = False

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        headers.add("X-Consumed-Content-Encoding", headers["Content-Encoding"])
        del headers["Content-Encoding"]
        if "Content-Length" in headers:
            del headers["Content-Length"]  # it described the compressed body
        return self._delegate.headers_received(start_line, headers)

    async def _feed(self, chunk: bytes) -> None:
        self._fed = True
        while chunk:
            try:
                out = self._decompressor.decompress(chunk, self._chunk_size)
            except zlib.error as e:
                raise HTTPInputError(f"invalid gzip request body: {e}") from None
            self._size += len(out)
            if self._size > self._max_body_size():
                raise HTTPInputError(
                    "decompressed request body larger than max_body_size", 413
                )
            if out:
                result = self._delegate.data_received(out)
                if result is not None:
                    await result
            chunk = self._decompressor.unconsumed_tail
            if not chunk and self._decompressor.eof:
                # Another gzip member may follow (RFC 1952 section 2.2).
                chunk = self._decompressor.unused_data
                if chunk:
                    self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self._feed(chunk)

    def finish(self) -> None:
        if self._fed and not self._decompressor.eof:
            raise HTTPInputError("truncated gzip request body")
        self._delegate.finish()

    def on_connection_close(self) -> None:
        self._delegate.on_connection_close()
