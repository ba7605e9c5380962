"""The stream error hierarchy."""

from __future__ import annotations


class StreamClosedError(OSError):
    """The stream was closed (by either side, or by an error) during an operation.

    Args:
        real_error: the error that closed the stream, if any; also
            available as ``real_error`` and as ``__cause__``-like context in
            the message.
    """

    def __init__(self, real_error: BaseException | None = None) -> None:
        message = "Stream is closed"
        if real_error is not None:
            message = f"Stream is closed: {real_error!r}"
        super().__init__(message)
        self.real_error = real_error


class UnsatisfiableReadError(Exception):
    """A read can never finish, e.g. its delimiter was not found within ``max_bytes``.

    The stream is closed when this is raised.
    """


class StreamBufferFullError(Exception):
    """A read or write buffer would grow past its configured maximum.

    For reads the stream is closed; for writes the data is not queued.
    """
