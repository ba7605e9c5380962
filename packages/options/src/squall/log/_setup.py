"""Logging set-up from options: level, rotating log files, standard error."""

from __future__ import annotations

import logging
import logging.handlers
import re
from typing import TYPE_CHECKING, Any

from ._formatter import LogFormatter

if TYPE_CHECKING:
    from squall.options import OptionParser

_WHEN = re.compile(r"[SMHD]|MIDNIGHT|W[0-6]", re.IGNORECASE)
_LEVELS = ("debug", "info", "warning", "error", "critical")

# The defaults of define_logging_options, also used for attributes an options
# object does not have (an argparse.Namespace with only some of them).
_DEFAULTS: dict[str, Any] = {
    "logging": "info",
    "log_to_stderr": None,
    "log_file_prefix": None,
    "log_file_max_size": 100 * 1000 * 1000,
    "log_file_num_backups": 10,
    "log_rotate_when": "midnight",
    "log_rotate_interval": 1,
    "log_rotate_mode": "size",
}


def _get(options: Any, name: str) -> Any:
    return getattr(options, name, _DEFAULTS[name])


def _level(value: object) -> int:
    text = str(value).strip()
    if text.lower() in _LEVELS:
        return int(getattr(logging, text.upper()))
    if text.isdigit():
        return int(text)
    raise ValueError(f"logging={text!r} is not a log level: use one of {', '.join(_LEVELS)} or none")


def _file_handler(options: Any) -> logging.Handler:
    prefix = str(_get(options, "log_file_prefix"))
    mode = _get(options, "log_rotate_mode")
    backups = int(_get(options, "log_file_num_backups"))
    if mode == "size":
        return logging.handlers.RotatingFileHandler(
            prefix,
            mode="a",
            maxBytes=int(_get(options, "log_file_max_size")),
            backupCount=backups,
            encoding="utf-8",
        )
    if mode == "time":
        when = str(_get(options, "log_rotate_when"))
        interval = int(_get(options, "log_rotate_interval"))
        # Checked here: the stdlib handler opens (creates) the file before it
        # rejects a bad interval, and would leave it open.
        if not _WHEN.fullmatch(when):
            raise ValueError(f"log_rotate_when={when!r} is not a rotation interval: use S, M, H, D, midnight or W0-W6")
        if interval < 1:
            raise ValueError(f"log_rotate_interval must be 1 or more, not {interval}")
        return logging.handlers.TimedRotatingFileHandler(
            prefix, when=when, interval=interval, backupCount=backups, encoding="utf-8"
        )
    raise ValueError(f"log_rotate_mode must be 'size' or 'time', not {mode!r}")


def enable_pretty_logging(options: Any = None, logger: logging.Logger | None = None) -> None:
    """Configure a logger (the root logger by default) from logging options.

    Reads these attributes of ``options`` (the global `squall.options.options`
    when ``None``; see `define_logging_options` for their meaning and
    defaults): ``logging``, ``log_file_prefix``, ``log_rotate_mode``,
    ``log_file_max_size``, ``log_file_num_backups``, ``log_rotate_when``,
    ``log_rotate_interval`` and ``log_to_stderr``.

    With ``logging`` ``"none"`` (or ``None``) nothing is touched. Otherwise the
    logger's level is set; with ``log_file_prefix`` a rotating file handler
    (by size or by time) writes uncoloured lines there; and a standard-error
    handler is added when ``log_to_stderr`` is true, or when it is ``None``
    and the logger has no handler yet. Each handler gets a `LogFormatter`;
    colour is used only when standard error is a terminal that supports it.

    Args:
        options: an object with the attributes above.
        logger: the logger to configure; the root logger by default.

    Raises:
        ValueError: ``logging`` is not a level name, ``log_rotate_mode`` is
            not ``"size"`` or ``"time"``, or ``log_rotate_when`` is not an
            interval `logging.handlers.TimedRotatingFileHandler` knows.
            Nothing is configured then.
        OSError: the log file cannot be opened.
    """
    if options is None:
        from squall.options import options as global_options

        options = global_options
    level_option = _get(options, "logging")
    if level_option is None or str(level_option).strip().lower() == "none":
        return
    level = _level(level_option)
    target = logger if logger is not None else logging.getLogger()
    handlers: list[logging.Handler] = []
    if _get(options, "log_file_prefix"):
        file_handler = _file_handler(options)
        file_handler.setFormatter(LogFormatter(color=False))
        handlers.append(file_handler)
    to_stderr = _get(options, "log_to_stderr")
    if to_stderr or (to_stderr is None and not handlers and not target.handlers):
        stream_handler = logging.StreamHandler()
        stream_handler.setFormatter(LogFormatter(stream=stream_handler.stream))
        handlers.append(stream_handler)
    # Everything is built before anything changes: a bad option leaves the
    # logger as it was.
    target.setLevel(level)
    for handler in handlers:
        target.addHandler(handler)


def define_logging_options(options: OptionParser | None = None) -> None:
    """Define the logging options on a parser and set up logging after each final parse.

    The options: ``logging`` (level name or ``none``, default ``info``),
    ``log_to_stderr`` (bool; by default only when no other handler),
    ``log_file_prefix`` (path of a log file), ``log_rotate_mode`` (``size`` or
    ``time``), ``log_file_max_size`` (bytes, default 100 MB),
    ``log_file_num_backups`` (default 10), ``log_rotate_when`` (default
    ``midnight``) and ``log_rotate_interval`` (default 1). A parse callback
    then calls `enable_pretty_logging` with the parser.

    The global parser of `squall.options` has them already; call this for
    your own `squall.options.OptionParser`.

    Args:
        options: the parser; the global `squall.options.options` by default.

    Raises:
        squall.options.Error: one of these options is already defined on it.
    """
    if options is None:
        from squall.options import options as global_options

        options = global_options
    parser = options
    parser.define(
        "logging",
        default="info",
        help="log level: debug, info, warning, error, critical, or none to leave logging alone",
        metavar="debug|info|warning|error|critical|none",
    )
    parser.define(
        "log_to_stderr",
        type=bool,
        default=None,
        help="send log output to standard error (by default: only when no log file is set)",
    )
    parser.define(
        "log_file_prefix",
        type=str,
        default=None,
        metavar="PATH",
        help="path of the log file (rotated as log_rotate_mode says)",
    )
    parser.define(
        "log_file_max_size",
        type=int,
        default=_DEFAULTS["log_file_max_size"],
        help="size in bytes at which the log file rotates (log_rotate_mode=size)",
    )
    parser.define(
        "log_file_num_backups",
        type=int,
        default=_DEFAULTS["log_file_num_backups"],
        help="number of rotated log files to keep",
    )
    parser.define(
        "log_rotate_when",
        type=str,
        default=_DEFAULTS["log_rotate_when"],
        help="time unit of rotation (log_rotate_mode=time): S, M, H, D, midnight or W0-W6",
    )
    parser.define(
        "log_rotate_interval",
        type=int,
        default=_DEFAULTS["log_rotate_interval"],
        help="number of log_rotate_when units between rotations",
    )
    parser.define(
        "log_rotate_mode",
        type=str,
        default=_DEFAULTS["log_rotate_mode"],
        help="rotate the log file by size or by time",
        metavar="size|time",
    )
    parser.add_parse_callback(lambda: enable_pretty_logging(parser))
