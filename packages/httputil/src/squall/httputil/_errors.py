"""Exceptions of squall.httputil and a helper that makes hostile input safe to log."""

from __future__ import annotations

__all__ = ["HTTPInputError", "HTTPOutputError"]


class HTTPInputError(Exception):
    """Bad input from the other side of an HTTP connection.

    Raised by the parsers in this package (start lines, headers, the codec,
    body and multipart parsing) when a message is malformed or over a limit.

    Args:
        message: What was wrong and, where it helps, what to do.
        status_code: The HTTP status a server should answer with
            (400 by default; 413, 414, 417, 431, 501 or 505 where those fit).

    Compatibility: Tornado's ``HTTPInputError`` has no ``status_code``;
    squall adds it so a server can choose the right 4xx/5xx answer.
    """

    def __init__(self, message: str = "", status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


class HTTPOutputError(Exception):
    """An attempt to write an invalid HTTP message.

    Raised when outgoing data would break the protocol: header names or
    values with CR, LF or NUL, a body longer than its ``Content-Length``,
    writing after ``finish()``, and similar mistakes of the local program.
    """


_CONTROL_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F)}


def _snippet(data: bytes | str, limit: int = 100) -> str:
    """Return a bounded, escaped rendering of untrusted input for a log line.

    At most ``limit`` characters of ``data`` are kept (an ellipsis marks the
    cut) and control characters are written as ``\\xNN`` so that hostile
    input cannot forge log lines or terminal escapes.
    """
    if isinstance(data, bytes):
        text = data[: limit + 1].decode("latin-1")
    else:
        text = data[: limit + 1]
    cut = len(text) > limit
    text = text[:limit].translate(_CONTROL_ESCAPES)
    return repr(text + ("..." if cut else ""))
