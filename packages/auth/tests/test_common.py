"""safe_next_url: a ``next=`` parameter never leads off-site."""

from __future__ import annotations

import pytest

from squall.auth import safe_next_url


@pytest.mark.parametrize("value", ["/", "/home", "/a/b?c=d&e=/f#frag", "/%2F%2Fevil.example", "/caf%C3%A9"])
def test_local_paths_are_kept(value: str) -> None:
    assert safe_next_url(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "http:/evil.example",
        "//evil.example/path",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /home",
        "javascript:alert(1)",
        "evil.example",
        "/a\\b",
        "/home\x00",
        "/\x7f",
    ],
)
def test_off_site_targets_fall_back(value: str | None) -> None:
    assert safe_next_url(value, default="/fallback") == "/fallback"
