"""Shared test helpers: a cookie-keeping browser and RSA keys made with `cryptography`."""

from __future__ import annotations

import base64
import http.cookies
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from squall.httpclient import AsyncHTTPClient, HTTPResponse

COOKIE_SECRET = "test-cookie-secret-0123456789abcdef"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Browser:
    """Follows redirects across servers and keeps cookies, like a browser would."""

    def __init__(self, client: AsyncHTTPClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.visited: list[str] = []

    async def get(self, url: str, **kwargs: Any) -> HTTPResponse:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.visited.append(url)
        response = await self.client.fetch(
            url, headers=headers, follow_redirects=False, raise_error=False, **kwargs
        )
        for header in response.headers.get_list("Set-Cookie"):
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    async def follow(self, url: str, max_hops: int = 10) -> HTTPResponse:
        """GET ``url`` and follow redirects (bounded); return the final answer."""
        for _ in range(max_hops):
            response = await self.get(url)
            if response.code not in (301, 302, 303, 307, 308):
                return response
            url = response.headers["Location"]
        raise AssertionError(f"more than {max_hops} redirects: {self.visited}")


@pytest.fixture
def browser(http_client: AsyncHTTPClient) -> Browser:
    return Browser(http_client)


@pytest.fixture
def make_browser(http_client: AsyncHTTPClient) -> Callable[[], Browser]:
    """More browsers (separate cookie jars) for one test."""
    return lambda: Browser(http_client)


class Signer:
    """An RSA key pair for a fake OpenID Connect provider."""

    def __init__(self, key: rsa.RSAPrivateKey, kid: str) -> None:
        self.key = key
        self.kid = kid

    def jwk(self, **extra: Any) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64url(n), "e": b64url(e), **extra}

    def sign(self, data: bytes, algorithm: hashes.HashAlgorithm | None = None) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), algorithm or hashes.SHA256())

    def jwt(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        head = {"alg": "RS256", "typ": "JWT", "kid": self.kid} if header is None else header
        signing_input = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        return signing_input + "." + b64url(self.sign(signing_input.encode()))


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer(rsa.generate_private_key(public_exponent=65537, key_size=2048), "key-1")


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return Signer(rsa.generate_private_key(public_exponent=65537, key_size=2048), "key-2")


@pytest.fixture
def all_logs() -> Iterator[list[str]]:
    """Every log record's text (message and traceback) emitted during the test."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def closed_port_url() -> Callable[[str], str]:
    """``http://127.0.0.1:<port><path>`` for a port where nothing listens."""
    from squall.testing import bind_unused_port

    sock, port = bind_unused_port()
    sock.close()
    return lambda path: f"http://127.0.0.1:{port}{path}"
