"""OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 sections 3.4 and 3.5).

How this works: the signature base string (RFC 5849 3.4.1) is the request
method, the base string URI (scheme and host lower-case, default port
dropped, path kept, no query) and the normalised parameters (the URL's
query, form-encoded body parameters and the ``oauth_*`` protocol
parameters, each percent-encoded, sorted by name then value), each
percent-encoded again and joined by ``&``. The HMAC-SHA1 key is the encoded
consumer secret and the encoded token secret joined by ``&`` (3.4.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.parse
from collections.abc import Iterable, Mapping

from ._errors import AuthError

__all__ = [
    "oauth1_authorization_header",
    "oauth1_escape",
    "oauth1_protocol_parameters",
    "oauth1_signature",
    "parse_oauth1_token_response",
    "signature_base_string",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def oauth1_escape(value: str | bytes) -> str:
    """Percent-encode everything but RFC 3986 unreserved characters (RFC 5849 3.6)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return urllib.parse.quote(value, safe="~")


def _base_string_uri(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"OAuth 1.0a signs http(s) URLs with a host, not {url.split('?')[0]!r}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{parts.port}"
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    return f"{scheme}://{host}{parts.path or '/'}", query


def signature_base_string(
    method: str, url: str, parameters: Iterable[tuple[str, str]]
) -> str:
    """The signature base string of RFC 5849 section 3.4.1.

    Args:
        method: the HTTP method.
        url: the request URL; its query parameters are included.
        parameters: the other parameters (``oauth_*`` ones without
            ``oauth_signature``, and form-encoded body parameters).

    Raises:
        ValueError: the URL is not an absolute http(s) URL.
    """
    base_uri, query = _base_string_uri(url)
    pairs = sorted(
        (oauth1_escape(name), oauth1_escape(value))
        for name, value in [*query, *parameters]
        if name not in ("oauth_signature", "realm")
    )
    normalized = "&".join(f"{name}={value}" for name, value in pairs)
    return "&".join(
        [oauth1_escape(method.upper()), oauth1_escape(base_uri), oauth1_escape(normalized)]
    )


def oauth1_signature(
    consumer_secret: str,
    token_secret: str | None,
    method: str,
    url: str,
    parameters: Iterable[tuple[str, str]],
) -> str:
    """The HMAC-SHA1 ``oauth_signature`` of a request (RFC 5849 3.4.2).

    Args:
        consumer_secret: the client (consumer) secret.
        token_secret: the request or access token's secret; ``None`` or
            ``""`` when there is no token yet.
        method: the HTTP method.
        url: the request URL (its query counts).
        parameters: ``oauth_*`` parameters and form body parameters.

    Returns:
        The base64 signature.
    """
    key = oauth1_escape(consumer_secret) + "&" + oauth1_escape(token_secret or "")
    base = signature_base_string(method, url, parameters)
    digest = hmac.new(key.encode("ascii"), base.encode("ascii"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def oauth1_protocol_parameters(
    consumer_key: str,
    consumer_secret: str,
    method: str,
    url: str,
    *,
    token: str | None = None,
    token_secret: str | None = None,
    extra: Mapping[str, str] | None = None,
    body_parameters: Iterable[tuple[str, str]] = (),
    nonce: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The signed ``oauth_*`` parameters of one request.

    Args:
        consumer_key: the client key.
        consumer_secret: the client secret.
        method: the HTTP method.
        url: the request URL (with its query).
        token: the request or access token, if any.
        token_secret: its secret.
        extra: more protocol parameters (``oauth_callback``,
            ``oauth_verifier``).
        body_parameters: form-encoded body parameters, which are signed too.
        nonce: fixed nonce (tests); default a fresh random one.
        timestamp: fixed timestamp (tests); default now.

    Returns:
        The protocol parameters including ``oauth_signature``.
    """
    params = {
        "oauth_consumer_key": consumer_key,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "oauth_nonce": nonce if nonce is not None else secrets.token_hex(16),
        "oauth_version": "1.0",
    }
    if token is not None:
        params["oauth_token"] = token
    if extra:
        params.update(extra)
    params["oauth_signature"] = oauth1_signature(
        consumer_secret, token_secret, method, url, [*params.items(), *body_parameters]
    )
    return params


def oauth1_authorization_header(parameters: Mapping[str, str], realm: str | None = None) -> str:
    """The ``Authorization: OAuth ...`` header value for protocol parameters (RFC 5849 3.5.1)."""
    items = [f'realm="{realm}"'] if realm is not None else []
    items += [f'{oauth1_escape(k)}="{oauth1_escape(v)}"' for k, v in parameters.items()]
    return "OAuth " + ", ".join(items)


def parse_oauth1_token_response(body: bytes, what: str) -> dict[str, str]:
    """Parse a token endpoint's form-encoded answer (RFC 5849 2.1 and 2.3).

    Returns:
        ``{"key": oauth_token, "secret": oauth_token_secret, ...}`` with the
        other parameters (``user_id``, ``screen_name``,
        ``oauth_callback_confirmed``...) kept under their own names.

    Raises:
        AuthError: the body is not form encoding, repeats a parameter, or
            lacks the token or its secret.
    """
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise AuthError(f"{what}: the answer is not form-encoded parameters") from error
    result: dict[str, str] = {}
    for name, value in pairs:
        if name in result:
            raise AuthError(f"{what}: the answer repeats the parameter {name!r}")
        result[name] = value
    key = result.pop("oauth_token", "")
    secret = result.pop("oauth_token_secret", None)
    if not key or secret is None:
        raise AuthError(f"{what}: the answer has no oauth_token and oauth_token_secret")
    return {"key": key, "secret": secret, **result}
