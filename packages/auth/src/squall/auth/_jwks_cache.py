"""A provider's signing keys, fetched from its JWKS URL and cached per application.

Fetching the keys on every sign-in would add a round trip to each login and
load the provider for nothing: keys change rarely. They are kept for the
answer's ``Cache-Control: max-age`` (bounded to between one minute and one
day; an hour when the answer gives none), and fetched again early when a token
names a key id the cache does not hold (the provider rotated its keys), at
most once a minute per URL, so tokens with made-up key ids cannot turn into a
flood of fetches. The cache belongs to the `Application` (a weak reference),
so separate applications, and tests, never share keys.
"""

from __future__ import annotations

import re
import time
import weakref
from typing import TYPE_CHECKING, Any

from ._common import fetch_provider, json_object
from ._jwt import parse_jwks

if TYPE_CHECKING:
    from squall.httpclient import AsyncHTTPClient

    from ._rsa import RSAPublicKey

__all__: list[str] = []

_MIN_SECONDS = 60.0
_MAX_SECONDS = 86400.0
_DEFAULT_SECONDS = 3600.0
_REFETCH_INTERVAL = 60.0

_MAX_AGE_RE = re.compile(r"(?:^|,)\s*max-age\s*=\s*([0-9]{1,10})\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE_RE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


class _Entry:
    __slots__ = ("keys", "expires", "fetched")

    def __init__(self, keys: dict[str, RSAPublicKey], expires: float, fetched: float) -> None:
        self.keys = keys
        self.expires = expires
        self.fetched = fetched


_caches: weakref.WeakKeyDictionary[Any, dict[str, _Entry]] = weakref.WeakKeyDictionary()


def _lifetime(cache_control: str | None) -> float:
    """Seconds to keep the keys, from the answer's Cache-Control."""
    if cache_control is None:
        return _DEFAULT_SECONDS
    if _NO_CACHE_RE.search(cache_control):
        return 0.0
    match = _MAX_AGE_RE.search(cache_control)
    if match is None:
        return _DEFAULT_SECONDS
    return min(max(float(match.group(1)), _MIN_SECONDS), _MAX_SECONDS)


async def signing_keys(
    owner: object | None, client: AsyncHTTPClient, what: str, url: str, kid: str | None
) -> dict[str, RSAPublicKey]:
    """Return the keys at ``url``, from ``owner``'s cache when they are fresh.

    Args:
        owner: what the cache belongs to (the handler's application); None
            (or an object that cannot be weakly referenced) disables caching.
        client: the HTTP client for the fetch.
        what: the keys' name in error messages ("Google signing keys").
        url: the provider's JWKS URL.
        kid: the key id the token to verify names, if any.

    Raises:
        AuthError: the keys could not be fetched or parsed.
    """
    cache: dict[str, _Entry] | None = None
    if owner is not None:
        try:
            cache = _caches.setdefault(owner, {})
        except TypeError:  # not weakly referenceable
            cache = None
    now = time.monotonic()
    entry = cache.get(url) if cache is not None else None
    if entry is not None and now < entry.expires:
        if kid is None or kid in entry.keys or now - entry.fetched < _REFETCH_INTERVAL:
            return entry.keys
    response = await fetch_provider(client, what, url)
    keys = parse_jwks(json_object(response, what))
    if cache is not None:
        lifetime = _lifetime(response.headers.get("Cache-Control"))
        if lifetime > 0:
            cache[url] = _Entry(keys, now + lifetime, now)
        else:
            cache.pop(url, None)
    return keys
