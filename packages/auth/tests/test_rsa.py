"""RSA PKCS #1 v1.5 verification against signatures made by `cryptography`."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.auth import RSAPublicKey
from squall.auth._rsa import verify_pkcs1_v15

DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")


def public(key: rsa.RSAPrivateKey) -> RSAPublicKey:
    numbers = key.public_key().public_numbers()
    return RSAPublicKey(numbers.n, numbers.e)


def raw_sign(key: rsa.RSAPrivateKey, block: bytes) -> bytes:
    """RSA with the private exponent on an arbitrary block: makes malformed signatures."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    return pow(int.from_bytes(block, "big"), numbers.d, n).to_bytes(size, "big")


def cryptography_accepts(key: rsa.RSAPrivateKey, message: bytes, signature: bytes) -> bool:
    try:
        key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=300))
def test_signatures_from_cryptography_verify(signer, message: bytes) -> None:
    signature = signer.sign(message)
    assert verify_pkcs1_v15(public(signer.key), message, signature)
    assert not verify_pkcs1_v15(public(signer.key), message + b"x", signature)


@pytest.mark.parametrize(
    ("hash_name", "algorithm"), [("sha384", hashes.SHA384()), ("sha512", hashes.SHA512())]
)
def test_other_hashes(signer, hash_name: str, algorithm: hashes.HashAlgorithm) -> None:
    signature = signer.sign(b"payload", algorithm)
    assert verify_pkcs1_v15(public(signer.key), b"payload", signature, hash_name)
    assert not verify_pkcs1_v15(public(signer.key), b"payload", signature, "sha256")


def test_wrong_key_length_and_range(signer, other_signer) -> None:
    key = public(signer.key)
    signature = signer.sign(b"m")
    assert not verify_pkcs1_v15(public(other_signer.key), b"m", signature)
    assert not verify_pkcs1_v15(key, b"m", signature[1:])
    assert not verify_pkcs1_v15(key, b"m", b"\x00" + signature)
    assert not verify_pkcs1_v15(key, b"m", key.n.to_bytes(key.size, "big"))
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_pkcs1_v15(key, b"m", flipped)
    with pytest.raises(ValueError, match="unsupported hash"):
        verify_pkcs1_v15(key, b"m", signature, "md5")


def _blocks(size: int, digest: bytes) -> dict[str, bytes]:
    t = DIGEST_INFO_SHA256 + digest
    pad = size - len(t) - 3
    no_null = bytes.fromhex("302f300b0609608648016503040201") + bytes.fromhex("0420") + digest
    return {
        "well-formed": b"\x00\x01" + b"\xff" * pad + b"\x00" + t,
        "block type 2": b"\x00\x02" + b"\xff" * pad + b"\x00" + t,
        "garbage after digest": b"\x00\x01" + b"\xff" * (pad - 4) + b"\x00" + t + b"evil",
        "garbage in padding": b"\x00\x01" + b"\xff" * (pad - 1) + b"\x01\x00" + t,
        "no NULL parameters": b"\x00\x01" + b"\xff" * (size - len(no_null) - 3) + b"\x00" + no_null,
        "sha1 digest info": b"\x00\x01"
        + b"\xff" * (size - 35 - 3)
        + b"\x00"
        + bytes.fromhex("3021300906052b0e03021a05000414")
        + hashlib.sha1(b"m").digest(),
    }


@pytest.mark.parametrize(
    "case",
    ["well-formed", "block type 2", "garbage after digest", "garbage in padding", "no NULL parameters", "sha1 digest info"],
)
def test_encoded_message_must_be_exact(signer, case: str) -> None:
    key = public(signer.key)
    block = _blocks(key.size, hashlib.sha256(b"m").digest())[case]
    signature = raw_sign(signer.key, block)
    # The independent implementation decides what is valid; we must agree.
    assert verify_pkcs1_v15(key, b"m", signature) is cryptography_accepts(signer.key, b"m", signature)
    assert verify_pkcs1_v15(key, b"m", signature) is (case == "well-formed")


def test_short_and_odd_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="at least 2048"):
        public(small)
    n = (1 << 2047) + 1
    with pytest.raises(ValueError, match="exponent"):
        RSAPublicKey(n, 65536)
    with pytest.raises(ValueError, match="exponent"):
        RSAPublicKey(n, 1)
