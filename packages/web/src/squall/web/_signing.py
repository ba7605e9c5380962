"""Signed values: the format behind signed ("secure") cookies.

A signed value carries a payload, the name it was signed for, a timestamp and
an HMAC, so a client can read it but not forge or replay it under another
name. Two formats exist:

* version 2 (the default): ``2|<key_version>|<timestamp>|<name>|<value>|<sig>``
  where each of the four middle fields is written ``<length>:<text>``, the
  value is base64, and ``sig`` is the hex HMAC-SHA256 of everything before it
  (including the last ``|``). The key version selects one secret from a dict
  of secrets, so keys can be rotated without logging everybody out.
* version 1 (legacy, read only when asked for): ``<value>|<timestamp>|<sig>``
  with an HMAC-SHA1 signature.

Every check fails closed: a malformed, truncated, tampered, expired or
wrong-name value decodes to ``None``, and signatures are compared in constant
time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Union

__all__ = [
    "SecretType",
    "create_signed_value",
    "decode_signed_value",
    "get_signature_key_version",
    "DEFAULT_SIGNED_VALUE_VERSION",
    "DEFAULT_SIGNED_VALUE_MIN_VERSION",
]

SecretType = Union[str, bytes, Mapping[int, Union[str, bytes]]]
"""A cookie secret: one key, or a dict of key versions to keys."""

DEFAULT_SIGNED_VALUE_VERSION = 2
"""The format version written by `create_signed_value`."""

DEFAULT_SIGNED_VALUE_MIN_VERSION = 2
"""The oldest format version `decode_signed_value` accepts by default.

Compatibility: Tornado accepts version 1 by default; squall needs
``min_version=1`` for the weaker SHA-1 format.
"""

_MAX_FIELD_DIGITS = 9  # a length prefix above 999,999,999 is garbage, not a cookie


def _to_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"expected str or bytes, not {type(value).__name__}")


def _secret_for(secret: SecretType, key_version: int | None) -> bytes | None:
    if isinstance(secret, Mapping):
        if key_version is None:
            return None
        key = secret.get(key_version)
        return None if key is None else _to_bytes(key)
    return _to_bytes(secret)


def _field(text: bytes) -> bytes:
    return str(len(text)).encode("ascii") + b":" + text


def create_signed_value(
    secret: SecretType,
    name: str,
    value: str | bytes,
    version: int | None = None,
    clock: Callable[[], float] | None = None,
    key_version: int | None = None,
) -> bytes:
    """Sign ``value`` under ``name`` so that `decode_signed_value` can verify it.

    Args:
        secret: the signing key, or a dict ``{key_version: key}``.
        name: the name the value is bound to (e.g. the cookie name).
        value: the payload.
        version: the format version, 2 (default) or 1.
        clock: a function returning the current time (for tests).
        key_version: which key of a dict ``secret`` to sign with.

    Returns:
        The signed value, ASCII bytes safe for a cookie.

    Raises:
        ValueError: unknown ``version``; ``secret`` is a dict and
            ``key_version`` is missing or not one of its keys; or
            ``key_version`` with a version-1 value.
    """
    if version is None:
        version = DEFAULT_SIGNED_VALUE_VERSION
    now = int((clock or time.time)())
    timestamp = str(now).encode("ascii")
    payload = base64.b64encode(_to_bytes(value))
    if version == 1:
        if isinstance(secret, Mapping) or key_version is not None:
            raise ValueError("key rotation (a dict secret or key_version) needs version 2")
        key = _to_bytes(secret)
        signature = _sign_v1(key, name.encode("utf-8"), payload, timestamp)
        return b"|".join([payload, timestamp, signature])
    if version != 2:
        raise ValueError(f"unsupported signed value version {version!r}; use 1 or 2")
    if isinstance(secret, Mapping):
        if key_version is None:
            raise ValueError(
                "cookie_secret is a dict of key versions: set key_version "
                "(the 'key_version' application setting) to pick the signing key"
            )
        if key_version not in secret:
            raise ValueError(f"key_version {key_version!r} is not a key of the secret dict")
        key = _to_bytes(secret[key_version])
    else:
        key = _to_bytes(secret)
    body = b"|".join(
        [
            b"2",
            _field(str(key_version or 0).encode("ascii")),
            _field(timestamp),
            _field(name.encode("utf-8")),
            _field(payload),
            b"",
        ]
    )
    return body + hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")


def _sign_v1(key: bytes, *parts: bytes) -> bytes:
    mac = hmac.new(key, digestmod=hashlib.sha1)
    for part in parts:
        mac.update(part)
    return mac.hexdigest().encode("ascii")


def _read_field(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """Read ``<len>:<text>|`` at ``pos``; return the text and the next position."""
    colon = data.find(b":", pos, pos + _MAX_FIELD_DIGITS + 1)
    if colon <= pos:
        return None
    digits = data[pos:colon]
    if not digits.isdigit() or not digits.isascii():
        return None
    length = int(digits)
    start = colon + 1
    end = start + length
    if end >= len(data) or data[end : end + 1] != b"|":
        return None
    return data[start:end], end + 1


def get_signature_key_version(value: str | bytes | None) -> int | None:
    """The key version a version-2 signed value names, or ``None``.

    It does not verify the signature; use it only to decide whether a value
    should be re-signed with a newer key.
    """
    if value is None:
        return None
    data = _to_bytes(value)
    if not data.startswith(b"2|"):
        return None
    field = _read_field(data, 2)
    if field is None or not field[0].isdigit() or not field[0].isascii():
        return None
    return int(field[0])


def decode_signed_value(
    secret: SecretType,
    name: str,
    value: str | bytes | None,
    max_age_days: float = 31,
    clock: Callable[[], float] | None = None,
    min_version: int | None = None,
) -> bytes | None:
    """Verify a value made by `create_signed_value` and return its payload.

    Args:
        secret: the key, or the dict of versioned keys, it was signed with.
        name: the name it must have been signed for.
        value: the signed value (e.g. a cookie's text); ``None`` gives ``None``.
        max_age_days: older values are refused.
        clock: a function returning the current time (for tests).
        min_version: the oldest format accepted (default 2).

    Returns:
        The payload bytes, or ``None`` if the value is missing, malformed,
        tampered with, signed for another name or key, or expired.
    """
    if value is None:
        return None
    try:
        data = _to_bytes(value)
    except TypeError:
        return None
    if min_version is None:
        min_version = DEFAULT_SIGNED_VALUE_MIN_VERSION
    now = (clock or time.time)()
    oldest = now - max_age_days * 86400
    if data.startswith(b"2|"):
        return _decode_v2(secret, name, data, oldest)
    if min_version <= 1:
        return _decode_v1(secret, name, data, oldest, now)
    return None


def _decode_v2(secret: SecretType, name: str, data: bytes, oldest: float) -> bytes | None:
    fields: list[bytes] = []
    pos = 2
    for _ in range(4):
        got = _read_field(data, pos)
        if got is None:
            return None
        fields.append(got[0])
        pos = got[1]
    key_version_text, timestamp, signed_name, payload = fields
    signature = data[pos:]
    if not (key_version_text.isdigit() and key_version_text.isascii()):
        return None
    if not (timestamp.isdigit() and timestamp.isascii()):
        return None
    key = _secret_for(secret, int(key_version_text))
    if key is None:
        return None
    expected = hmac.new(key, data[:pos], hashlib.sha256).hexdigest().encode("ascii")
    if not hmac.compare_digest(signature, expected):
        return None
    if not hmac.compare_digest(signed_name, name.encode("utf-8")):
        return None
    if int(timestamp) < oldest:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _decode_v1(
    secret: SecretType, name: str, data: bytes, oldest: float, now: float
) -> bytes | None:
    if isinstance(secret, Mapping):
        return None
    parts = data.split(b"|")
    if len(parts) != 3:
        return None
    payload, timestamp, signature = parts
    expected = _sign_v1(_to_bytes(secret), name.encode("utf-8"), payload, timestamp)
    if not hmac.compare_digest(signature, expected):
        return None
    if not (timestamp.isdigit() and timestamp.isascii()):
        return None
    stamp = int(timestamp)
    # A timestamp far in the future means a forged or corrupted value.
    if stamp < oldest or stamp > now + 31 * 86400:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
