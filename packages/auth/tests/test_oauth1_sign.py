"""OAuth 1.0a HMAC-SHA1 signatures, checked against oauthlib (an independent implementation)."""

from __future__ import annotations

import urllib.parse
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as oauthlib_signature

from squall.auth import AuthError, oauth1_signature
from squall.auth._oauth1_sign import (
    oauth1_authorization_header,
    oauth1_protocol_parameters,
    parse_oauth1_token_response,
    signature_base_string,
)


def oauthlib_sig(
    method: str,
    url: str,
    body: list[tuple[str, str]],
    *,
    token: str | None,
    token_secret: str | None,
    verifier: str | None = None,
    callback: str | None = None,
) -> str:
    client = Client(
        "consumer-key",
        client_secret="consumer sécret&",
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        verifier=verifier,
        callback_uri=callback,
        nonce="fixed-nonce",
        timestamp="1700000000",
    )
    encoded = urllib.parse.urlencode(body) if body else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    _, signed, _ = client.sign(url, http_method=method, body=encoded, headers=headers)
    params = dict(oauthlib_signature.collect_parameters(headers=signed, exclude_oauth_signature=False))
    return params["oauth_signature"]


def ours(
    method: str,
    url: str,
    body: list[tuple[str, str]],
    *,
    token: str | None,
    token_secret: str | None,
    verifier: str | None = None,
    callback: str | None = None,
) -> str:
    extra = {}
    if callback is not None:
        extra["oauth_callback"] = callback
    if verifier is not None:
        extra["oauth_verifier"] = verifier
    params = oauth1_protocol_parameters(
        "consumer-key",
        "consumer sécret&",
        method,
        url,
        token=token,
        token_secret=token_secret,
        extra=extra,
        body_parameters=body,
        nonce="fixed-nonce",
        timestamp=1700000000,
    )
    return params["oauth_signature"]


CASES = [
    ("GET", "https://api.example.com/1.1/statuses/home_timeline.json", []),
    ("GET", "https://API.Example.com:443/path?b=2&a=1&a=0", []),
    ("GET", "http://example.com:8080/p%20q?x=a+b&y=%7E&z=", []),
    ("POST", "https://example.com/update", [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")]),
    ("POST", "https://example.com/update?include=1", [("status", "ünïcødé ✓ & =?/"), ("a", "")]),
    ("POST", "https://example.com/", [("c2", ""), ("a3", "2 q")]),
]


@pytest.mark.parametrize(("method", "url", "body"), CASES)
@pytest.mark.parametrize("token", [(None, None), ("tok", "token secret/+")])
def test_signature_matches_oauthlib(method: str, url: str, body: list[tuple[str, str]], token: tuple) -> None:
    key, secret = token
    assert ours(method, url, body, token=key, token_secret=secret) == oauthlib_sig(
        method, url, body, token=key, token_secret=secret
    )


def test_callback_and_verifier_are_signed() -> None:
    url = "https://example.com/oauth/request_token"
    cb = "http://127.0.0.1:8000/login?next=%2Fhome"
    assert ours("POST", url, [], token=None, token_secret=None, callback=cb) == oauthlib_sig(
        "POST", url, [], token=None, token_secret=None, callback=cb
    )
    assert ours("POST", url, [], token="t", token_secret="s", verifier="v123") == oauthlib_sig(
        "POST", url, [], token="t", token_secret="s", verifier="v123"
    )


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    query=st.lists(st.tuples(texts.filter(bool), texts), max_size=4),
    body=st.lists(st.tuples(texts.filter(bool), texts), max_size=4),
    path=st.text("abc/-._~%20", max_size=10),
)
def test_base_string_matches_oauthlib(query: list, body: list, path: str) -> None:
    url = "https://example.com/" + path.lstrip("/")
    if query:
        url += "?" + urllib.parse.urlencode(query)
    params = [("oauth_consumer_key", "k"), ("oauth_nonce", "n"), *body]
    expected_params = oauthlib_signature.collect_parameters(
        uri_query=urllib.parse.urlsplit(url).query, body=params, exclude_oauth_signature=True
    )
    expected = oauthlib_signature.signature_base_string(
        "POST",
        oauthlib_signature.base_string_uri(url),
        oauthlib_signature.normalize_parameters(expected_params),
    )
    assert signature_base_string("POST", url, params) == expected
    secrets = SimpleNamespace(client_secret="cs", resource_owner_secret="ts")
    assert oauth1_signature("cs", "ts", "POST", url, params) == (
        oauthlib_signature.sign_hmac_sha1_with_client(expected, secrets)
    )


def test_authorization_header_round_trips_through_oauthlib() -> None:
    params = {"oauth_consumer_key": "a b", "oauth_signature": "x+y/z="}
    header = oauth1_authorization_header(params, realm="Photos")
    parsed = dict(oauthlib_signature.collect_parameters(headers={"Authorization": header}, exclude_oauth_signature=False))
    assert parsed == params


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        signature_base_string("GET", "ftp://example.com/", [])
    with pytest.raises(ValueError, match="http"):
        signature_base_string("GET", "/relative", [])


def test_token_response_parsing() -> None:
    got = parse_oauth1_token_response(b"oauth_token=a%20b&oauth_token_secret=s&user_id=7", "step")
    assert got == {"key": "a b", "secret": "s", "user_id": "7"}
    for bad in (b"oauth_token=a", b"oauth_token_secret=s", b"<html>", b"oauth_token=a&oauth_token=b&oauth_token_secret=s", b"\xff=1"):
        with pytest.raises(AuthError, match="step"):
            parse_oauth1_token_response(bad, "step")
