"""Random values of an OAuth 2.0 flow: state, PKCE verifier and challenge, nonce."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

__all__ = ["make_code_verifier", "make_state", "pkce_challenge"]

# RFC 7636 4.1: 43 to 128 characters from the unreserved set.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def make_state() -> str:
    """A fresh unguessable ``state`` (or ``nonce``) value: 256 random bits, base64url."""
    return secrets.token_urlsafe(32)


def make_code_verifier() -> str:
    """A fresh PKCE ``code_verifier`` (RFC 7636 4.1): 64 base64url characters."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of ``verifier`` (RFC 7636 4.2).

    ``BASE64URL(SHA256(ASCII(verifier)))`` without padding.

    Raises:
        ValueError: ``verifier`` is not 43-128 unreserved characters.
    """
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("a PKCE code_verifier is 43 to 128 characters of [A-Za-z0-9-._~]")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
