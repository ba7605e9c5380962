"""Opening-handshake helpers shared by server and client (RFC 6455 section 4)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable

__all__ = ["accept_key", "header_tokens", "make_key", "parse_subprotocols", "valid_key"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value answering ``Sec-WebSocket-Key: key``."""
    digest = hashlib.sha1(key.encode("ascii") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def make_key() -> str:
    """A fresh random ``Sec-WebSocket-Key`` (base64 of 16 random bytes)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def valid_key(key: str | None) -> bool:
    """Whether ``key`` is base64 of exactly 16 bytes (section 4.1, item 7)."""
    if key is None or len(key) != 24 or not key.isascii():
        return False
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def header_tokens(value: str | None) -> set[str]:
    """The comma-separated tokens of a header value, lower-cased."""
    if not value:
        return set()
    return {part.strip(" \t").lower() for part in value.split(",")} - {""}


def parse_subprotocols(values: Iterable[str]) -> list[str]:
    """The subprotocols of every ``Sec-WebSocket-Protocol`` value, in order."""
    result: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip(" \t")
            if part:
                result.append(part)
    return result
