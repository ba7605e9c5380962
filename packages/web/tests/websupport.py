"""Helpers for squall.web's tests that squall-testing does not provide."""

from __future__ import annotations

from typing import Any

__all__ = ["cookies_of"]


def cookies_of(response: Any) -> dict[str, str]:
    """The ``Set-Cookie`` headers of ``response`` as ``{name: whole header value}``."""
    out: dict[str, str] = {}
    for value in response.headers.get_list("Set-Cookie"):
        out[value.split("=", 1)[0]] = value
    return out
