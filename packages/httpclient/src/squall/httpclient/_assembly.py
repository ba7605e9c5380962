"""Steps both back ends take with a response as it arrives.

The simple client reads the response through squall's codec and curl
through libcurl's callbacks, but once a head or a piece of body is in hand
they do the same things with it: replay the head to ``header_callback``,
set up bounded decoding of ``Content-Encoding`` (saying so in
``X-Consumed-Content-Encoding``, as Tornado does), and decode each piece.
Any failure ends the exchange by raising `Abort`, which each back end turns
into a 599 response.
"""

from __future__ import annotations

from collections.abc import Callable

from squall.httputil import HTTPHeaders

from ._decompress import BodyTooLarge, DecodeError, Decompressor, make_decompressor
from ._errors import HTTPClientError

__all__ = ["Abort", "decode", "finish_decoding", "replay_head", "start_decoding"]


class Abort(Exception):
    """Raised while handling the response to end the exchange with ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def replay_head(
    callback: Callable[[str], object], version: str, code: int, reason: str, headers: HTTPHeaders
) -> None:
    """Hand the response head to ``header_callback`` line by line, ending with a blank line."""
    callback(f"{version} {code} {reason}\r\n")
    for name, value in headers.get_all():
        callback(f"{name}: {value}\r\n")
    callback("\r\n")


def start_decoding(headers: HTTPHeaders, max_body_size: int) -> Decompressor | None:
    """Return a decoder for the response's ``Content-Encoding``, or None.

    When the body will be decoded, ``Content-Encoding`` moves to
    ``X-Consumed-Content-Encoding`` (the body handed over is decoded).
    """
    coding = headers.get("Content-Encoding")
    if coding is None:
        return None
    decoder = make_decompressor(coding, max_body_size)
    if decoder is not None:
        headers["X-Consumed-Content-Encoding"] = coding
        del headers["Content-Encoding"]
    return decoder


def decode(decoder: Decompressor, data: bytes) -> bytes:
    """Decode one piece of body; `Abort` when it is invalid or over the limit."""
    try:
        return decoder.decompress(data)
    except (BodyTooLarge, DecodeError) as exc:
        raise Abort(HTTPClientError(599, str(exc))) from None


def finish_decoding(decoder: Decompressor) -> bytes:
    """The decoder's last bytes; `Abort` when the body was truncated or over the limit."""
    try:
        return decoder.flush()
    except (BodyTooLarge, DecodeError) as exc:
        raise Abort(HTTPClientError(599, str(exc))) from None
