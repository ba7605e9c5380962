"""get_async_test_timeout and the ASYNC_TEST_TIMEOUT variable."""

from __future__ import annotations

import pytest

from squall.testing import DEFAULT_ASYNC_TEST_TIMEOUT, get_async_test_timeout


def test_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASYNC_TEST_TIMEOUT", raising=False)
    assert get_async_test_timeout() == DEFAULT_ASYNC_TEST_TIMEOUT == 5


@pytest.mark.parametrize(("raw", "expected"), [("12", 12.0), ("0.5", 0.5), (" 3 ", 3.0), ("", 5.0)])
def test_from_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: float) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", raw)
    assert get_async_test_timeout() == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "nan", "inf"])
def test_bad_value_is_reported(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", raw)
    with pytest.raises(ValueError, match="ASYNC_TEST_TIMEOUT"):
        get_async_test_timeout()
