"""`LogFormatter`: compact, optionally coloured log lines that never fail to format."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, Literal

# Colour numbers are the eight ANSI colours (SGR 30-37): 1 red, 2 green,
# 3 yellow, 4 blue, 5 magenta.
_ESCAPE_START = "\033[3{}m"
_ESCAPE_END = "\033[0m"

_FORMATS = {
    "%": "%(color)s[%(levelname)1.1s %(asctime)s %(module)s:%(lineno)d]%(end_color)s %(message)s",
    "{": "{color}[{levelname:1.1} {asctime} {module}:{lineno}]{end_color} {message}",
    "$": "${color}[${levelname} ${asctime} ${module}:${lineno}]${end_color} ${message}",
}


def stream_supports_color(stream: object) -> bool:
    """Whether ANSI colour codes written to ``stream`` will show as colours.

    True only for a terminal (``stream.isatty()``) whose ``TERM`` is set and
    not ``dumb`` (on Windows: Windows Terminal, ANSICON or a ``TERM``), and
    never when the ``NO_COLOR`` environment variable is set (no-color.org).
    """
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    if not callable(isatty):
        return False
    try:
        if not isatty():
            return False
    except (OSError, ValueError):  # a closed or detached stream
        return False
    term = os.environ.get("TERM", "")
    if sys.platform == "win32":
        return bool(term) or "WT_SESSION" in os.environ or "ANSICON" in os.environ
    return bool(term) and term != "dumb"


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break the log line
        return f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"


def _bytes_text(data: bytes | bytearray) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return repr(bytes(data))


def record_message(record: logging.LogRecord) -> str:
    """The record's message, with its ``%`` arguments applied, whatever they are.

    Bytes are decoded as UTF-8 (shown as a ``b'...'`` literal when they are not
    UTF-8). When the arguments do not fit the format, the result says so and
    shows the raw format and arguments instead of raising.
    """
    msg = record.msg
    if isinstance(msg, (bytes, bytearray)):
        msg = _bytes_text(msg)
    try:
        text = str(msg)
        if record.args:
            text = text % record.args
        return text
    except Exception as exc:
        # The logging call is often in an error path already: a bad format
        # string must still produce a line that shows what was meant.
        return (
            f"Bad log message ({type(exc).__name__}: {exc}): "
            f"msg={_safe_repr(record.msg)} args={_safe_repr(record.args)}"
        )


class LogFormatter(logging.Formatter):
    """Log lines such as ``[I 240517 13:45:00 web:2350] 200 GET / 1.2ms``.

    The prefix holds the level's first letter, the date and time, and the
    module and line of the logging call. Lines after the first (a multi-line
    message, a traceback, stack information) are indented by four spaces so
    each record stands out. The prefix is coloured by level when the output
    is a terminal that shows colours; formatting never raises, whatever the
    message and its arguments are.

    The format may use the record's usual fields plus ``color`` and
    ``end_color`` (the escape codes around the coloured part, or empty).

    Args:
        fmt: the line format; by default `DEFAULT_FORMAT` (or its ``{``/``$``
            twin for those styles).
        datefmt: the `time.strftime` format of ``asctime``.
        style: ``"%"``, ``"{"`` or ``"$"``, as for `logging.Formatter`.
        color: colour the prefix when ``stream`` is a terminal that supports
            it. False never colours.
        colors: level number to ANSI colour number (0-7).
        stream: the stream the handler writes to, which decides whether
            colour shows; standard error when ``None``. Give the handler's
            stream, or ``color=False`` for a file handler.

    Compatibility: Tornado decides colour from standard error only; squall
    takes the handler's ``stream`` and honours ``NO_COLOR``.
    """

    DEFAULT_FORMAT = _FORMATS["%"]
    DEFAULT_DATE_FORMAT = "%y%m%d %H:%M:%S"
    DEFAULT_COLORS: Mapping[int, int] = {
        logging.DEBUG: 4,
        logging.INFO: 2,
        logging.WARNING: 3,
        logging.ERROR: 1,
        logging.CRITICAL: 5,
    }

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str = DEFAULT_DATE_FORMAT,
        style: Literal["%", "{", "$"] = "%",
        color: bool = True,
        colors: Mapping[int, int] = DEFAULT_COLORS,
        *,
        stream: object = None,
    ) -> None:
        if style not in _FORMATS:
            raise ValueError(f"style must be '%', '{{' or '$', not {style!r}")
        super().__init__(fmt if fmt is not None else _FORMATS[style], datefmt, style)
        target = sys.stderr if stream is None else stream
        self._colors: dict[int, str] = {}
        if color and stream_supports_color(target):
            for level, number in colors.items():
                if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 7:
                    raise ValueError(f"colour for level {level} must be an ANSI colour number 0-7, not {number!r}")
                self._colors[level] = _ESCAPE_START.format(number)

    @property
    def uses_color(self) -> bool:
        """Whether this formatter writes colour codes."""
        return bool(self._colors)

    def format(self, record: logging.LogRecord) -> str:
        """The record as one (possibly indented multi-line) entry; never raises."""
        record.message = record_message(record)
        record.asctime = self.formatTime(record, self.datefmt)
        start = self._colors.get(record.levelno, "")
        fields: dict[str, Any] = {"color": start, "end_color": _ESCAPE_END if start else ""}
        record.__dict__.update(fields)
        text = self.formatMessage(record)
        extra: list[str] = []
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            extra.append(record.exc_text)
        if record.stack_info:
            extra.append(self.formatStack(record.stack_info))
        if extra:
            text = "\n".join([text.rstrip(), *extra])
        return text.replace("\n", "\n    ")
