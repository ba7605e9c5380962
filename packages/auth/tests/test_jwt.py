"""id_token verification and JWKS parsing, with tokens signed by `cryptography`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from squall.auth import AuthError, parse_jwks, verify_id_token

ISSUER = "https://issuer.example"
CLIENT = "client-123"
NONCE = "n-0S6_WzA2Mj"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "1234567890",
        "iat": now,
        "exp": now + 600,
        "nonce": NONCE,
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def verify(token: str, keys: Any, nonce: str | None = NONCE) -> dict[str, Any]:
    return verify_id_token(token, keys, issuers=[ISSUER], audience=CLIENT, nonce=nonce)


def test_valid_token(signer) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    got = verify(signer.jwt(claims(email="a@example.com")), keys)
    assert got["sub"] == "1234567890"
    assert got["email"] == "a@example.com"


def test_key_chosen_by_kid(signer, other_signer) -> None:
    keys = parse_jwks(json.dumps({"keys": [other_signer.jwk(), signer.jwk()]}))
    assert verify(signer.jwt(claims()), keys)["aud"] == CLIENT
    assert verify(other_signer.jwt(claims()), keys)["aud"] == CLIENT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"iss": None}, "issuer"),
        ({"aud": "someone-else"}, "audience"),
        ({"aud": ["someone-else", "x"]}, "audience"),
        ({"aud": [CLIENT, "other"]}, "azp"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "azp"),
        ({"azp": "other"}, "azp"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "'exp'"),
        ({"exp": "tomorrow"}, "'exp'"),
        ({"iat": int(time.time()) + 3600}, "future"),
        ({"nonce": "other"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": None}, "sub"),
    ],
)
def test_bad_claims(signer, changes: dict[str, Any], message: str) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    with pytest.raises(AuthError, match=message):
        verify(signer.jwt(claims(**changes)), keys)


def test_several_audiences_with_azp(signer) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    assert verify(signer.jwt(claims(aud=["other", CLIENT], azp=CLIENT)), keys)


def test_no_nonce_check_when_none_sent(signer) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    assert verify(signer.jwt(claims(nonce=None)), keys, nonce=None)


def test_signature_failures(signer, other_signer) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    # Signed by another key that claims our kid.
    forged = other_signer.jwt(claims(), header={"alg": "RS256", "kid": signer.kid})
    with pytest.raises(AuthError, match="signature does not verify"):
        verify(forged, keys)
    # Payload swapped after signing.
    head, _, sig = signer.jwt(claims()).split(".")
    evil = b64url(json.dumps(claims(sub="admin")).encode())
    with pytest.raises(AuthError, match="signature does not verify"):
        verify(f"{head}.{evil}.{sig}", keys)
    with pytest.raises(AuthError, match="not in the provider's JWKS"):
        verify(other_signer.jwt(claims()), keys)


def test_algorithm_confusion_is_refused(signer) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    payload = b64url(json.dumps(claims()).encode())
    head = b64url(json.dumps({"alg": "none", "kid": signer.kid}).encode())
    with pytest.raises(AuthError, match="only RS256"):
        verify(f"{head}.{payload}.", keys)
    # HS256 keyed with the public modulus: the classic key-confusion forgery.
    head = b64url(json.dumps({"alg": "HS256", "kid": signer.kid}).encode())
    mac = hmac.new(signer.jwk()["n"].encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(AuthError, match="only RS256"):
        verify(f"{head}.{payload}.{b64url(mac)}", keys)
    head = b64url(json.dumps({"alg": "RS256", "kid": signer.kid, "crit": ["exp"]}).encode())
    with pytest.raises(AuthError, match="crit"):
        verify(f"{head}.{payload}.AAAA", keys)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t + ".extra",
        lambda t: t.replace(".", "=.", 1),
        lambda t: "!" + t,
        lambda t: t[: t.index(".")] + "." + b64url(b"[1, 2]") + t[t.rindex(".") :],
        lambda t: t[: t.index(".")] + "." + b64url(b"\xff\xfe") + t[t.rindex(".") :],
        lambda t: b64url(b"not json") + t[t.index(".") :],
    ],
)
def test_malformed_tokens(signer, mangle: Any) -> None:
    keys = parse_jwks({"keys": [signer.jwk()]})
    with pytest.raises(AuthError):
        verify(mangle(signer.jwt(claims())), keys)


def test_jwks_parsing(signer, other_signer) -> None:
    enc_key = other_signer.jwk(use="enc")
    ec_key = {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}
    assert list(parse_jwks({"keys": [signer.jwk(), enc_key, ec_key]})) == [signer.kid]
    assert parse_jwks({"keys": [other_signer.jwk(alg="RS512")]}) == {}
    with pytest.raises(AuthError, match="two keys"):
        parse_jwks({"keys": [signer.jwk(), signer.jwk()]})
    with pytest.raises(AuthError, match="no 'kid'"):
        parse_jwks({"keys": [signer.jwk(kid=None)]})
    with pytest.raises(AuthError, match="not valid JSON"):
        parse_jwks(b"{nope")
    with pytest.raises(AuthError, match="'keys' list"):
        parse_jwks({"key": []})
    padded = signer.jwk()
    padded["n"] = b64url(b"\x00" + base64.urlsafe_b64decode(padded["n"] + "=="))
    with pytest.raises(AuthError, match="leading zero"):
        parse_jwks({"keys": [padded]})
    short = signer.jwk(n=b64url((3 << 1000).to_bytes(126, "big")))
    with pytest.raises(AuthError, match="2048"):
        parse_jwks({"keys": [short]})
