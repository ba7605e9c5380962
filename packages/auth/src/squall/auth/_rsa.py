"""RSA PKCS #1 v1.5 signature verification (RFC 8017 section 8.2.2), stdlib only.

How this works: the signature ``s`` is turned back into the encoded message
``EM = s^e mod n``; we then build, ourselves, the only encoding a valid
signature of the message may have (``00 01 FF..FF 00 || DigestInfo``, where
DigestInfo is the fixed DER prefix of the hash algorithm followed by the
digest) and compare the two byte strings in constant time. Comparing the
whole block, rather than parsing the DigestInfo out of it, is what RFC 8017
recommends: parsing is where lax verifiers accepted forged signatures (the
e=3 "garbage after the digest" forgeries).

Only public-key operations happen here, so constant time matters only for
the final comparison (nothing secret is involved).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["MIN_RSA_BITS", "RSAPublicKey", "verify_pkcs1_v15"]

#: Keys shorter than this are refused (NIST SP 800-131A disallows < 2048).
MIN_RSA_BITS = 2048

# DER encodings of DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
# up to the start of the digest (RFC 8017 section 9.2, note 1).
_DIGEST_INFO_PREFIX: dict[str, bytes] = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


class RSAPublicKey:
    """An RSA public key: modulus ``n`` and public exponent ``e``.

    Args:
        n: the modulus (at least `MIN_RSA_BITS` bits).
        e: the public exponent (odd, at least 3).

    Raises:
        ValueError: the key is too short or the exponent is not usable.
    """

    __slots__ = ("n", "e")

    def __init__(self, n: int, e: int) -> None:
        if n.bit_length() < MIN_RSA_BITS:
            raise ValueError(
                f"RSA modulus has {n.bit_length()} bits; at least {MIN_RSA_BITS} are required"
            )
        if e < 3 or e % 2 == 0 or e >= n:
            raise ValueError(f"RSA public exponent {e} is not an odd number between 3 and n")
        self.n = n
        self.e = e

    @property
    def size(self) -> int:
        """The modulus length in bytes (the length of every signature)."""
        return (self.n.bit_length() + 7) // 8


def verify_pkcs1_v15(key: RSAPublicKey, message: bytes, signature: bytes, hash_name: str = "sha256") -> bool:
    """Whether ``signature`` is a valid RSASSA-PKCS1-v1_5 signature of ``message``.

    Args:
        key: the signer's public key.
        message: the signed bytes (hashed here).
        signature: the signature, exactly ``key.size`` bytes.
        hash_name: ``"sha256"`` (RS256), ``"sha384"`` or ``"sha512"``.

    Returns:
        True only for a signature that verifies exactly.

    Raises:
        ValueError: ``hash_name`` is not supported.
    """
    prefix = _DIGEST_INFO_PREFIX.get(hash_name)
    if prefix is None:
        raise ValueError(f"unsupported hash {hash_name!r} for RSA PKCS #1 v1.5")
    k = key.size
    # RFC 8017 8.2.2 step 1: the signature has exactly k octets.
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    em = pow(s, key.e, key.n).to_bytes(k, "big")
    t = prefix + hashlib.new(hash_name, message).digest()
    # EMSA-PKCS1-v1_5 (RFC 8017 9.2): at least 8 octets of 0xFF padding.
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)
