"""ExpectLog: counting, hiding and requiring log messages."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from squall.testing import ExpectLog


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("squall.testing.tests.expectlog")
    recorder = Recorder()
    log.addHandler(recorder)
    log.setLevel(logging.INFO)
    log.propagate = False
    log.recorder = recorder  # type: ignore[attr-defined]
    yield log
    log.removeHandler(recorder)
    log.setLevel(logging.NOTSET)
    log.propagate = True


def seen(logger: logging.Logger) -> list[str]:
    return logger.recorder.messages  # type: ignore[attr-defined,no-any-return]


def test_matching_records_are_hidden_and_counted(logger: logging.Logger) -> None:
    with ExpectLog(logger, "expected") as expect:
        logger.warning("expected %d", 1)
        logger.error("expected again")
        logger.warning("something else")
    assert expect.matched == 2
    assert seen(logger) == ["something else"]
    logger.warning("expected after the block")
    assert seen(logger)[-1] == "expected after the block"


def test_missing_required_message_fails(logger: logging.Logger) -> None:
    with pytest.raises(AssertionError) as info:
        with ExpectLog(logger, "never logged"):
            logger.warning("unrelated")
    assert "never logged" in str(info.value)
    assert "squall.testing.tests.expectlog" in str(info.value)


def test_not_required(logger: logging.Logger) -> None:
    with ExpectLog(logger, "never logged", required=False) as expect:
        pass
    assert expect.matched == 0


def test_logger_by_name(logger: logging.Logger) -> None:
    with ExpectLog(logger.name, "by name"):
        logger.warning("by name")
    assert seen(logger) == []


def test_pattern_is_anchored_at_the_start(logger: logging.Logger) -> None:
    with pytest.raises(AssertionError):
        with ExpectLog(logger, "needle"):
            logger.warning("hay needle")
    assert seen(logger) == ["hay needle"]
    with ExpectLog(logger, ".*needle"):
        logger.warning("hay needle")


def test_exception_in_block_is_not_masked(logger: logging.Logger) -> None:
    with pytest.raises(KeyError):
        with ExpectLog(logger, "never logged"):
            raise KeyError("boom")
    assert logger.filters == []


def test_level_restricts_matches_and_enables_the_level(logger: logging.Logger) -> None:
    with ExpectLog(logger, "detail", level=logging.DEBUG) as expect:
        assert logger.isEnabledFor(logging.DEBUG)
        logger.debug("detail shown only in this block")
        logger.warning("detail at another level")
    assert expect.matched == 1
    assert seen(logger) == ["detail at another level"]
    assert logger.level == logging.INFO  # restored
    assert not logger.isEnabledFor(logging.DEBUG)


def test_logged_stack(logger: logging.Logger) -> None:
    with ExpectLog(logger, "plain") as plain:
        logger.error("plain")
    assert not plain.logged_stack
    with ExpectLog(logger, "with trace") as traced:
        try:
            raise ValueError("x")
        except ValueError:
            logger.exception("with trace")
    assert traced.logged_stack


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="logger"):
        ExpectLog(42, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level"):
        ExpectLog("x", "x", level="DEBUG")  # type: ignore[arg-type]
