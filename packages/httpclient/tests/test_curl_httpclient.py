"""What only the curl back end offers: digest auth, prepare_curl_callback, the extra's error."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from squall.httpclient import AsyncHTTPClient, HTTPClientError

pytest.importorskip("pycurl")

from squall.curl_httpclient import CurlAsyncHTTPClient  # noqa: E402 - after the skip


def run(coro_fn: Any, timeout: float = 15.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(bounded())


def fetch(url: str, **kwargs: Any) -> Any:
    async def go() -> Any:
        client = CurlAsyncHTTPClient(force_instance=True)
        try:
            return await client.fetch(url, **kwargs)
        finally:
            client.close()

    return run(go)


def test_digest_auth(servers):
    response = fetch(servers.url("/digest"), auth_username="me", auth_password="secret", auth_mode="digest")
    assert response.body == b"digest ok"
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/digest"), auth_username="me", auth_password="wrong", auth_mode="digest")
    assert info.value.code == 401


def test_prepare_curl_callback(servers):
    import pycurl

    seen = []

    def prepare(curl: Any) -> None:
        seen.append(curl)
        curl.setopt(pycurl.HTTPHEADER, ["X-From-Callback: yes"])

    response = fetch(servers.url("/echo"), prepare_curl_callback=prepare)
    assert len(seen) == 1
    assert b"X-From-Callback" in response.body


def test_handles_are_reset_between_requests(servers):
    """Credentials of one request never reach the next one on a reused handle."""

    async def go():
        client = CurlAsyncHTTPClient(force_instance=True, max_clients=1)
        try:
            first = await client.fetch(servers.url("/basic"), auth_username="user", auth_password="päss")
            second = await client.fetch(servers.url("/echo"))
        finally:
            client.close()
        return first.body, second.body

    first, second = run(go)
    assert first == b"authorized"
    assert b"Authorization" not in second and b"authorization" not in second


def test_ssl_context_refused_clearly(servers):
    import ssl

    with pytest.raises(ValueError, match="ssl.SSLContext"):
        fetch(servers.url("/hello", "https"), ssl_options=ssl.create_default_context())


def test_time_info(servers):
    response = fetch(servers.url("/hello"))
    assert set(response.time_info) >= {"namelookup", "connect", "starttransfer", "total"}
    assert response.time_info["total"] > 0


def test_missing_pycurl_names_the_extra(monkeypatch):
    from squall.curl_httpclient import _curl

    monkeypatch.setattr(_curl, "_pycurl_module", None)
    monkeypatch.setitem(sys.modules, "pycurl", None)

    async def go():
        with pytest.raises(ImportError, match=r"pip install squall-httpclient\[curl\]"):
            CurlAsyncHTTPClient(force_instance=True)

    run(go)


def test_configure_by_name(restore_configuration):
    AsyncHTTPClient.configure("squall.curl_httpclient.CurlAsyncHTTPClient", max_clients=3)

    async def go():
        client = AsyncHTTPClient(force_instance=True)
        try:
            return type(client), client.max_clients
        finally:
            client.close()

    assert run(go) == (CurlAsyncHTTPClient, 3)
