"""Output transforms: rewrite a response's head and body on the way out.

An `Application` holds transform *classes*; for each request that has any,
the handler makes one instance per class (``transform_class(request)``) and
passes every piece of output through them in order: the first piece (with
the status and headers) through `OutputTransform.transform_first_chunk`,
later pieces through `OutputTransform.transform_chunk`. ``finishing`` tells
the transform whether this piece is the last one, so a transform can pick a
``Content-Length`` framing for a response produced in one go and chunked
framing for one that is flushed in parts.

`GZipContentEncoding` is the built-in transform behind the
``compress_response`` (legacy: ``gzip``) setting. Chunked framing itself is
done by the HTTP connection, not by a transform: a response without a
``Content-Length`` is sent chunked to HTTP/1.1 clients.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.httputil import HTTPHeaders, HTTPServerRequest

__all__ = ["OutputTransform", "GZipContentEncoding", "accepts_gzip"]


class OutputTransform:
    """Base class of output transforms; the default passes output through.

    Args:
        request: the request whose response this instance transforms.
    """

    def __init__(self, request: HTTPServerRequest) -> None:
        self.request = request

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        """Transform the status, headers and first body piece.

        Args:
            status_code: the response status.
            headers: the response headers (may be changed in place).
            chunk: the first piece of the body (maybe empty).
            finishing: ``True`` if this is the whole body.

        Returns:
            ``(status_code, headers, chunk)`` to send instead.
        """
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Transform a later piece of the body.

        Args:
            chunk: the piece (maybe empty, e.g. the final call).
            finishing: ``True`` for the last piece.

        Returns:
            The bytes to send instead.
        """
        return chunk


# A coding name, then optional parameters of which only q matters
# (RFC 9110 section 12.5.3).
_CODING = re.compile(r"\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*((?:;[^,]*)?)")
_QPARAM = re.compile(r";\s*q\s*=\s*([^;,\s]*)", re.IGNORECASE)
# RFC 9110 section 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?", re.ASCII)


def _qvalue(params: str) -> float:
    match = _QPARAM.search(params)
    if match is None:
        return 1.0
    text = match.group(1)
    if not _QVALUE.fullmatch(text):
        return 0.0  # a malformed weight counts as "not acceptable"
    return float(text)


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows a gzip-coded response.

    ``gzip`` (or its alias ``x-gzip``) with a non-zero weight is accepted;
    without an explicit entry, a non-zero ``*`` is. ``gzip;q=0`` refuses
    it even if ``*`` would allow it.

    Args:
        header: the request's ``Accept-Encoding`` header, or ``None``.

    Returns:
        ``True`` if a gzip response is acceptable.
    """
    if not header:
        return False
    star: float | None = None
    for item in header.split(","):
        match = _CODING.match(item)
        if match is None:
            continue
        name = match.group(1).lower()
        weight = _qvalue(match.group(2))
        if name in ("gzip", "x-gzip"):
            return weight > 0.0
        if name == "*":
            star = weight
    return star is not None and star > 0.0


_COMPRESSIBLE_EXACT = frozenset(
    [
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/json",
        "application/xml",
        "application/xhtml+xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/manifest+json",
        "application/wasm",
        "image/svg+xml",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/bmp",
        "font/ttf",
        "font/otf",
    ]
)


def _compressible(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return (
        mime.startswith("text/")
        or mime in _COMPRESSIBLE_EXACT
        or mime.endswith("+json")
        or mime.endswith("+xml")
    )


class GZipContentEncoding(OutputTransform):
    """Gzip the body of text-like responses for clients that accept it.

    Applied by the ``compress_response=True`` (or legacy ``gzip=True``)
    setting. A response is compressed when all of these hold: the client's
    ``Accept-Encoding`` allows gzip (weights honoured), the request is
    HTTP/1.1, the status is 200, the ``Content-Type`` is text-like (not an
    already-compressed image, archive or video), the response has no
    ``Content-Encoding`` yet, and a response produced in one go is at least
    `MIN_LENGTH` bytes. A response flushed in parts is compressed from its
    first part and sent chunked, each part flushed through the compressor so
    the client gets it without waiting. Compressible responses get
    ``Vary: Accept-Encoding`` whether or not this one was compressed.

    Compatibility: a strong ``ETag`` of a compressed response is made weak
    (``W/"..."``), since the gzip bytes differ from the identity bytes it
    names (RFC 9110 section 8.8.3); ``If-None-Match`` still matches it.
    """

    #: Bodies produced in one go shorter than this are sent uncompressed.
    MIN_LENGTH = 1024
    #: zlib compression level (1 fastest .. 9 smallest).
    GZIP_LEVEL = 6

    def __init__(self, request: HTTPServerRequest) -> None:
        super().__init__(request)
        self._accepted = request.version == "HTTP/1.1" and accepts_gzip(
            request.headers.get("Accept-Encoding")
        )
        self._compressor: zlib._Compress | None = None

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        """Decide whether to compress, and compress the first piece if so."""
        content_type = headers.get("Content-Type") or ""
        if not _compressible(content_type):
            return status_code, headers, chunk
        vary = headers.get("Vary")
        if not vary:
            headers["Vary"] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower() and vary.strip() != "*":
            headers["Vary"] = vary + ", Accept-Encoding"
        if (
            not self._accepted
            or status_code != 200
            or "Content-Encoding" in headers
            or "Content-Range" in headers
            or (finishing and len(chunk) < self.MIN_LENGTH)
        ):
            return status_code, headers, chunk
        # wbits 16 + MAX_WBITS: a gzip header and trailer around the deflate data.
        self._compressor = zlib.compressobj(self.GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        headers["Content-Encoding"] = "gzip"
        etag = headers.get("Etag")
        if etag and not etag.startswith("W/"):
            headers["Etag"] = "W/" + etag
        chunk = self.transform_chunk(chunk, finishing)
        if "Content-Length" in headers:
            if finishing:
                headers["Content-Length"] = str(len(chunk))
            else:
                del headers["Content-Length"]
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Compress a piece of the body (pass it through if not compressing)."""
        compressor = self._compressor
        if compressor is None:
            return chunk
        data = compressor.compress(chunk)
        if finishing:
            data += compressor.flush(zlib.Z_FINISH)
            self._compressor = None
        elif chunk:
            # Push the compressed bytes out now: a flushed response is meant
            # to reach the client without waiting for more output.
            data += compressor.flush(zlib.Z_SYNC_FLUSH)
        return data
