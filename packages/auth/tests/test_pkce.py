"""PKCE S256 challenges (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from squall.auth import pkce_challenge
from squall.auth._pkce import make_code_verifier, make_state


def test_rfc7636_appendix_b_example() -> None:
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_fresh_verifiers_are_valid_and_distinct() -> None:
    verifiers = {make_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        digest = hashlib.sha256(verifier.encode()).digest()
        assert pkce_challenge(verifier) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len({make_state() for _ in range(20)}) == 20


@pytest.mark.parametrize("bad", ["short", "x" * 129, "a" * 42 + " ", "é" * 43])
def test_bad_verifiers(bad: str) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        pkce_challenge(bad)
