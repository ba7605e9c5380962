"""squall.log: the loggers, LogFormatter and enable_pretty_logging."""

from __future__ import annotations

import io
import logging
import logging.handlers
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import squall.log
from squall.log import LogFormatter, define_logging_options, enable_pretty_logging
from squall.options import Error, OptionParser


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        super().isatty()  # raises ValueError once closed, as a real terminal does
        return True


def make_record(
    msg: Any,
    *args: Any,
    level: int = logging.INFO,
    exc_info: Any = None,
    stack_info: str | None = None,
) -> logging.LogRecord:
    return logging.LogRecord(
        "test", level, "/srv/app/handlers.py", 42, msg, args or None, exc_info, sinfo=stack_info
    )


@pytest.fixture
def color_terminal(monkeypatch: pytest.MonkeyPatch) -> FakeTerminal:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return FakeTerminal()


# -- loggers ---------------------------------------------------------------------------


def test_logger_names() -> None:
    assert squall.log.access_log is logging.getLogger("squall.access")
    assert squall.log.app_log is logging.getLogger("squall.application")
    assert squall.log.gen_log is logging.getLogger("squall.general")


# -- LogFormatter ------------------------------------------------------------------------


def test_plain_line_layout() -> None:
    formatter = LogFormatter(color=False)
    record = make_record("hello %s", "world", level=logging.WARNING)
    line = formatter.format(record)
    stamp = formatter.formatTime(record, "%y%m%d %H:%M:%S")
    assert line == f"[W {stamp} handlers:42] hello world"


def test_no_colour_into_a_pipe_even_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    formatter = LogFormatter(color=True, stream=io.StringIO())
    assert not formatter.uses_color
    assert "\033" not in formatter.format(make_record("x", level=logging.ERROR))


def test_colour_on_a_terminal(color_terminal: FakeTerminal) -> None:
    formatter = LogFormatter(stream=color_terminal)
    assert formatter.uses_color
    error_line = formatter.format(make_record("boom", level=logging.ERROR))
    info_line = formatter.format(make_record("fine", level=logging.INFO))
    assert error_line.startswith("\033[31m[E ") and "]\033[0m boom" in error_line
    assert info_line.startswith("\033[32m[I ")
    # Only the prefix is coloured; the message follows the reset code.
    assert error_line.endswith("\033[0m boom")


def test_custom_colours(color_terminal: FakeTerminal) -> None:
    formatter = LogFormatter(stream=color_terminal, colors={logging.INFO: 6})
    assert formatter.format(make_record("x")).startswith("\033[36m[I ")
    assert "\033" not in formatter.format(make_record("x", level=logging.ERROR))
    with pytest.raises(ValueError, match="ANSI colour number"):
        LogFormatter(stream=color_terminal, colors={logging.INFO: 9})


@pytest.mark.parametrize(("variable", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_terminal_without_colour(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv(variable, value)
    assert not LogFormatter(stream=FakeTerminal()).uses_color


def test_closed_stream_gets_no_colour() -> None:
    stream = FakeTerminal()
    stream.close()
    assert not squall.log.stream_supports_color(stream)
    assert not squall.log.stream_supports_color(object())


def test_multiline_message_is_indented() -> None:
    line = LogFormatter(color=False).format(make_record("first\nsecond\nthird"))
    first, second, third = line.split("\n")
    assert first.endswith("] first")
    assert second == "    second"
    assert third == "    third"


def test_traceback_is_indented_under_the_record() -> None:
    try:
        raise KeyError("missing-key")
    except KeyError:
        record = make_record("lookup failed", level=logging.ERROR, exc_info=sys.exc_info())
    lines = LogFormatter(color=False).format(record).split("\n")
    assert lines[0].endswith("] lookup failed")
    assert lines[1] == "    Traceback (most recent call last):"
    assert lines[-1] == "    KeyError: 'missing-key'"
    assert all(line.startswith("    ") for line in lines[1:])


def test_stack_info_is_indented() -> None:
    record = make_record("where", stack_info="Stack (most recent call last):\n  File x")
    lines = LogFormatter(color=False).format(record).split("\n")
    assert lines[1:] == ["    Stack (most recent call last):", "      File x"]


@pytest.mark.parametrize(
    ("msg", "args"),
    [("%d items", ("many",)), ("%s and %s", ("one",)), ("no placeholders", ("extra",)), ("%(key)s", ("x",))],
)
def test_bad_format_arguments_still_give_a_line(msg: str, args: tuple[Any, ...]) -> None:
    line = LogFormatter(color=False).format(make_record(msg, *args))
    assert line.startswith("[I ")
    assert "Bad log message" in line
    assert repr(msg) in line and repr(args[0]) in line


def test_bad_arguments_through_a_real_logger() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogFormatter(color=False))
    logger = logging.getLogger("squall.test.badargs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%d requests", "some")
    finally:
        logger.removeHandler(handler)
    assert "Bad log message" in stream.getvalue() and "'some'" in stream.getvalue()


def test_undecodable_bytes_give_a_readable_line() -> None:
    formatter = LogFormatter(color=False)
    assert formatter.format(make_record(b"caf\xc3\xa9")).endswith("] caf\u00e9")
    line = formatter.format(make_record(b"\xff\xfe raw"))
    assert line.endswith("] b'\\xff\\xfe raw'")
    assert formatter.format(make_record("got %s", b"\xff")).endswith("] got b'\\xff'")


def test_broken_str_and_repr_do_not_raise() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no str")

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    line = LogFormatter(color=False).format(make_record(Hostile()))
    assert "Bad log message (RuntimeError: no str)" in line
    assert "unrepresentable Hostile" in line


def test_brace_style_and_custom_format() -> None:
    record = make_record("hi")
    assert LogFormatter(style="{", color=False).format(record).endswith("handlers:42] hi")
    custom = LogFormatter(fmt="%(levelname)s|%(message)s", color=False)
    assert custom.format(make_record("a\nb")) == "INFO|a\n    b"
    with pytest.raises(ValueError, match="style"):
        LogFormatter(style="#")  # type: ignore[arg-type]


# -- enable_pretty_logging -----------------------------------------------------------------


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A private logger whose handlers are closed and removed afterwards."""
    # It keeps propagating: pytest adds its capture handlers to loggers that do not.
    log = logging.getLogger("squall.test.pretty")
    try:
        yield log
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
            handler.close()
        log.setLevel(logging.NOTSET)


def logging_options(**values: Any) -> OptionParser:
    parser = OptionParser()
    define_logging_options(parser)
    for name, value in values.items():
        parser[name] = value
    return parser


def test_stderr_handler_when_no_file(logger: logging.Logger) -> None:
    enable_pretty_logging(logging_options(logging="warning"), logger)
    assert logger.level == logging.WARNING
    (handler,) = logger.handlers
    assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr
    assert isinstance(handler.formatter, LogFormatter)


def test_logging_none_touches_nothing(logger: logging.Logger) -> None:
    logger.setLevel(logging.ERROR)
    enable_pretty_logging(logging_options(logging="none"), logger)
    enable_pretty_logging(types.SimpleNamespace(logging=None), logger)
    assert logger.handlers == []
    assert logger.level == logging.ERROR


def test_size_rotation(tmp_path: Path, logger: logging.Logger) -> None:
    prefix = tmp_path / "app.log"
    options = logging_options(
        logging="debug", log_file_prefix=str(prefix), log_file_max_size=300, log_file_num_backups=2
    )
    enable_pretty_logging(options, logger)
    (handler,) = logger.handlers  # a file and no stderr handler (log_to_stderr is None)
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    for number in range(30):
        logger.debug("line number %d with some padding", number)
    handler.flush()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["app.log", "app.log.1", "app.log.2"]
    current = prefix.read_text(encoding="utf-8")
    assert "line number 29 with some padding" in current
    assert current.startswith("[D ") and "\033" not in current
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())


def test_time_rotation(tmp_path: Path, logger: logging.Logger) -> None:
    prefix = tmp_path / "timed.log"
    options = logging_options(
        log_file_prefix=str(prefix), log_rotate_mode="time", log_rotate_when="S", log_rotate_interval=1
    )
    enable_pretty_logging(options, logger)
    (handler,) = logger.handlers
    assert isinstance(handler, logging.handlers.TimedRotatingFileHandler)
    assert handler.when == "S" and handler.interval == 1
    # Force the rollover instead of waiting for the clock.
    logger.info("before rollover")
    handler.doRollover()
    logger.info("after rollover")
    handler.flush()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == "timed.log" and len(names) == 2 and names[1].startswith("timed.log.")
    assert "after rollover" in prefix.read_text(encoding="utf-8")
    assert "before rollover" in (tmp_path / names[1]).read_text(encoding="utf-8")


def test_file_and_stderr_when_asked(tmp_path: Path, logger: logging.Logger) -> None:
    options = logging_options(log_file_prefix=str(tmp_path / "a.log"), log_to_stderr=True)
    enable_pretty_logging(options, logger)
    kinds = sorted(type(h).__name__ for h in logger.handlers)
    assert kinds == ["RotatingFileHandler", "StreamHandler"]


def test_no_stderr_when_disabled(logger: logging.Logger) -> None:
    enable_pretty_logging(logging_options(log_to_stderr=False), logger)
    assert logger.handlers == []
    assert logger.level == logging.INFO


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"log_rotate_mode": "weekly"}, "log_rotate_mode must be 'size' or 'time', not 'weekly'"),
        ({"log_rotate_mode": "time", "log_rotate_when": "fortnight"}, "log_rotate_when='fortnight'"),
        ({"log_rotate_mode": "time", "log_rotate_interval": 0}, "log_rotate_interval must be 1 or more"),
    ],
)
def test_bad_rotation_settings(tmp_path: Path, logger: logging.Logger, values: dict[str, Any], words: str) -> None:
    options = logging_options(log_file_prefix=str(tmp_path / "x.log"), **values)
    with pytest.raises(ValueError, match=words):
        enable_pretty_logging(options, logger)
    assert logger.handlers == []
    assert list(tmp_path.iterdir()) == []


def test_bad_level_name(logger: logging.Logger) -> None:
    with pytest.raises(ValueError, match="logging='loud' is not a log level"):
        enable_pretty_logging(logging_options(logging="loud"), logger)
    assert logger.handlers == []


def test_parse_callback_configures_logging(tmp_path: Path, logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = OptionParser()
    define_logging_options(parser)
    seen: list[Any] = []
    monkeypatch.setattr(
        "squall.log._setup.enable_pretty_logging", lambda options, logger=None: seen.append(options)
    )
    parser.parse_command_line(["prog", "--logging=error"], final=False)
    assert seen == []
    parser.parse_command_line(["prog", "--logging=error"])
    assert seen == [parser]


def test_define_logging_options_twice_is_an_error() -> None:
    parser = OptionParser()
    define_logging_options(parser)
    with pytest.raises(Error, match="'logging' is already defined"):
        define_logging_options(parser)


def test_plain_namespace_uses_defaults(tmp_path: Path, logger: logging.Logger) -> None:
    namespace = types.SimpleNamespace(logging="debug", log_file_prefix=str(tmp_path / "ns.log"))
    enable_pretty_logging(namespace, logger)
    (handler,) = logger.handlers
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.maxBytes == 100 * 1000 * 1000 and handler.backupCount == 10
    assert logger.level == logging.DEBUG
