"""Exceptions raised by request handlers and the application.

`HTTPError` carries a status code to the error machinery of
`RequestHandler`; `Finish` ends a request early without an error;
`MissingArgumentError` is the 400 raised by `get_argument`.
"""

from __future__ import annotations

import http.client
import re
from typing import Any

__all__ = ["HTTPError", "Finish", "MissingArgumentError", "check_reason", "reason_for"]

# Characters that may never appear in a status line or a header value: every
# C0 control except TAB, and DEL (RFC 9110 section 5.5).
_FORBIDDEN_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_reason(reason: str) -> str:
    """Return ``reason`` if it is safe to put in a status line, else raise.

    Raises:
        ValueError: the reason phrase contains CR, LF, NUL or another control
            character (which would split the response or inject headers).
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, not {type(reason).__name__}")
    if _FORBIDDEN_CTL.search(reason):
        raise ValueError(
            f"reason phrase {reason[:100]!r} contains a control character; "
            "a reason must be a single line of printable text"
        )
    return reason


def reason_for(status_code: int) -> str:
    """The standard reason phrase of ``status_code``, or ``"Unknown"``."""
    return http.client.responses.get(status_code, "Unknown")


class HTTPError(Exception):
    """An exception that turns into an HTTP error response.

    Raise it from a handler method to stop processing and send the error page
    produced by `RequestHandler.write_error` with the given status.

    Args:
        status_code: the HTTP status to send (100-599).
        log_message: a message for the server log (never shown to the client
            unless ``debug`` is on); ``%`` formatted with ``args``.
        *args: values to interpolate into ``log_message``.
        reason: the reason phrase of the status line; defaults to the
            standard phrase of ``status_code``.

    Raises:
        ValueError: ``reason`` contains a control character.
    """

    def __init__(
        self,
        status_code: int = 500,
        log_message: str | None = None,
        *args: Any,
        reason: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.log_message = log_message
        self.args = args
        self.reason: str | None = check_reason(reason) if reason is not None else None
        if log_message and not args:
            # A literal '%' in a message without arguments must not break formatting.
            self.log_message = log_message.replace("%", "%%")

    def __str__(self) -> str:
        message = f"HTTP {self.status_code}: {self.reason or reason_for(self.status_code)}"
        if self.log_message:
            return message + " (" + (self.log_message % self.args) + ")"
        return message


class Finish(Exception):
    """Raise to finish the request without producing an error response.

    Arguments given to the exception are passed to `RequestHandler.finish`,
    so ``raise Finish("done")`` writes ``"done"`` as the final chunk.
    """


class MissingArgumentError(HTTPError):
    """The 400 raised by `RequestHandler.get_argument` for a missing argument.

    Args:
        arg_name: the name of the argument that was required.
    """

    def __init__(self, arg_name: str) -> None:
        super().__init__(400, "Missing argument %s", arg_name)
        self.arg_name = arg_name


class ConfigurationError(Exception):
    """An application setting a feature needs is missing or invalid.

    For example, signed cookies without the ``cookie_secret`` setting, or
    ``@authenticated`` without ``login_url``.
    """
