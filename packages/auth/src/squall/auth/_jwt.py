"""JSON Web Tokens as OpenID Connect uses them: JWKS keys and id_token checks.

Only what an OpenID Connect relying party needs, and strictly: compact JWS
with exactly three base64url parts, ``alg`` RS256 only (never ``none`` or an
HMAC algorithm chosen by the token), the key picked by ``kid`` from the
provider's JWKS, then the claims of OpenID Connect Core 1.0 section 3.1.3.7:
``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp``,
``iat`` and ``nonce``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import AuthError
from ._rsa import RSAPublicKey, verify_pkcs1_v15

__all__ = ["b64url_decode", "parse_jwks", "verify_id_token"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str, what: str = "value") -> bytes:
    """Decode unpadded base64url (RFC 7515 section 2), refusing anything else.

    Raises:
        AuthError: ``text`` has characters outside the base64url alphabet,
            padding, or an impossible length.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise AuthError(f"{what} is not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise AuthError(f"{what} is not valid base64url") from error


def _b64url_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value:
        raise AuthError(f"JWKS key member {what!r} is missing or not a string")
    raw = b64url_decode(value, f"JWKS key member {what!r}")
    if raw[:1] == b"\x00":
        # RFC 7518 6.3.1.1: the minimal big-endian encoding, no leading zero.
        raise AuthError(f"JWKS key member {what!r} has a leading zero octet")
    return int.from_bytes(raw, "big")


def parse_jwks(document: bytes | str | Mapping[str, Any]) -> dict[str, RSAPublicKey]:
    """The RSA signing keys of a JSON Web Key Set (RFC 7517), by ``kid``.

    Keys that are not RSA, or are marked for another use (``use`` other than
    ``sig``) or another algorithm (``alg`` other than RS256), are skipped.

    Args:
        document: the JWKS, as the provider's JSON body or already decoded.

    Returns:
        ``{kid: key}``.

    Raises:
        AuthError: the document is not a JWKS object, a usable key has no
            ``kid`` or a malformed or too short modulus, or two keys share a
            ``kid``.
    """
    if isinstance(document, (bytes, str)):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise AuthError(f"JWKS is not valid JSON: {error}") from error
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise AuthError("JWKS is not a JSON object with a 'keys' list")
    keys: dict[str, RSAPublicKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping):
            raise AuthError("JWKS 'keys' holds something that is not a JSON object")
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", "RS256") != "RS256":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("JWKS RSA key has no 'kid'")
        if kid in keys:
            raise AuthError(f"JWKS has two keys with kid {kid!r}")
        try:
            keys[kid] = RSAPublicKey(_b64url_int(entry.get("n"), "n"), _b64url_int(entry.get("e"), "e"))
        except ValueError as error:
            raise AuthError(f"JWKS key {kid!r} is unusable: {error}") from error
    return keys


def _json_part(text: str, what: str) -> dict[str, Any]:
    raw = b64url_decode(text, f"id_token {what}")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise AuthError(f"id_token {what} is not a JSON object") from error
    if not isinstance(value, dict):
        raise AuthError(f"id_token {what} is not a JSON object")
    return value


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AuthError(f"id_token claim {name!r} is missing or not a number")
    return float(value)


def token_key_id(token: object) -> str | None:
    """The ``kid`` of a compact JWS's header, or None when it has none or is malformed.

    Only a hint for choosing keys: `verify_id_token` reports a malformed token.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    try:
        header = _json_part(token.split(".", 1)[0], "header")
    except AuthError:
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def verify_id_token(
    token: str,
    keys: Mapping[str, RSAPublicKey],
    *,
    issuers: Iterable[str],
    audience: str,
    nonce: str | None,
    now: float | None = None,
    leeway: float = 60.0,
) -> dict[str, Any]:
    """Verify an OpenID Connect ``id_token`` and return its claims.

    Args:
        token: the compact JWS from the token response.
        keys: the provider's signing keys (`parse_jwks`).
        issuers: the accepted values of ``iss``.
        audience: your client id; ``aud`` must be it or contain it.
        nonce: the nonce sent in the authorization request; the token's
            ``nonce`` must equal it. ``None`` skips the check (only for
            flows that sent no nonce).
        now: the current time (seconds since the epoch); default the clock.
        leeway: seconds of clock skew tolerated on ``exp`` and ``iat``.

    Returns:
        The verified claims.

    Raises:
        AuthError: the token is malformed, signed with another algorithm or
            an unknown key, its signature does not verify, or a claim is
            wrong (the message names it).
    """
    if not isinstance(token, str):
        raise AuthError("id_token is not a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError(f"id_token has {len(parts)} dot-separated parts; a signed JWT has 3")
    header = _json_part(parts[0], "header")
    if header.get("alg") != "RS256":
        raise AuthError(f"id_token is signed with alg {header.get('alg')!r}; only RS256 is accepted")
    if "crit" in header:
        raise AuthError("id_token header has 'crit' extensions, which are not supported")
    kid = header.get("kid")
    if isinstance(kid, str) and kid in keys:
        candidates = [keys[kid]]
    elif kid is None and len(keys) == 1:
        candidates = list(keys.values())
    else:
        raise AuthError(f"id_token is signed with key {kid!r}, which is not in the provider's JWKS")
    signature = b64url_decode(parts[2], "id_token signature")
    signed = (parts[0] + "." + parts[1]).encode("ascii")
    if not any(verify_pkcs1_v15(key, signed, signature) for key in candidates):
        raise AuthError("id_token signature does not verify with the provider's key")
    claims = _json_part(parts[1], "payload")

    if claims.get("iss") not in set(issuers):
        raise AuthError(f"id_token issuer {claims.get('iss')!r} is not the expected provider")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or audience not in audiences:
        raise AuthError("id_token audience does not include this client id")
    if len(audiences) > 1 and claims.get("azp") != audience:
        raise AuthError("id_token has several audiences and its 'azp' is not this client id")
    if "azp" in claims and claims["azp"] != audience:
        raise AuthError("id_token 'azp' is not this client id")
    current = time.time() if now is None else now
    if _number(claims, "exp") + leeway <= current:
        raise AuthError("id_token has expired")
    if _number(claims, "iat") - leeway > current:
        raise AuthError("id_token was issued in the future (check the server clock)")
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise AuthError("id_token nonce does not match the one sent with the sign-in request")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise AuthError("id_token has no 'sub' (subject) claim")
    return claims
