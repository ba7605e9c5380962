"""XSRF token encoding: masking against BREACH, and the versioned format.

The secret is a random 16-byte token stored in the ``_xsrf`` cookie. Every
page that embeds it (form field, ``xsrf_token``) uses a fresh random mask, so
the bytes sent in a compressed response differ each time and a BREACH-style
length oracle learns nothing (CVE-2014-9720).

Formats (the argument/header may use either; a cookie may hold either):

* version 2: ``2|<mask hex>|<token XOR mask, hex>|<timestamp>``;
* version 1: the raw token in hex (no ``|``), as old clients send it.
"""

from __future__ import annotations

import binascii
import hmac
import os
import time

__all__ = ["new_token", "encode_token", "decode_token", "tokens_match"]

TOKEN_BYTES = 16


def new_token() -> bytes:
    """A fresh random XSRF secret."""
    return os.urandom(TOKEN_BYTES)


def _xor(data: bytes, mask: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, mask))


def encode_token(token: bytes, timestamp: float, version: int = 2) -> bytes:
    """Encode ``token`` for sending; version 2 applies a fresh random mask."""
    if version == 1:
        return binascii.b2a_hex(token)
    if version != 2:
        raise ValueError(f"unknown xsrf_cookie_version {version!r}; use 1 or 2")
    mask = os.urandom(len(token))
    return b"|".join(
        [
            b"2",
            binascii.b2a_hex(mask),
            binascii.b2a_hex(_xor(token, mask)),
            str(int(timestamp)).encode("ascii"),
        ]
    )


def decode_token(value: str | bytes | None) -> tuple[bytes, float] | None:
    """Decode either format to ``(token, timestamp)``; ``None`` if malformed."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = value.encode("ascii")
        except UnicodeEncodeError:
            return None
    if len(value) > 256:
        return None
    try:
        if value.startswith(b"2|"):
            parts = value.split(b"|")
            if len(parts) != 4:
                return None
            _, mask_hex, masked_hex, stamp = parts
            mask = binascii.a2b_hex(mask_hex)
            masked = binascii.a2b_hex(masked_hex)
            if len(mask) != len(masked) or not mask:
                return None
            if not (stamp.isdigit() and stamp.isascii()):
                return None
            return _xor(masked, mask), float(int(stamp))
        if b"|" in value or not value:
            return None
        # Version 1 tokens carry no timestamp.
        return binascii.a2b_hex(value), time.time()
    except (binascii.Error, ValueError):
        return None


def tokens_match(a: bytes, b: bytes) -> bool:
    """Compare two unmasked tokens in constant time."""
    return hmac.compare_digest(a, b)
