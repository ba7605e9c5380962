"""What only the simple back end promises: its keep-alive pool and its strict parser."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from squall.httpclient import HTTPClientError, HTTPRequest
from squall.simple_httpclient import SimpleAsyncHTTPClient


def run(coro_fn: Any, timeout: float = 15.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(bounded())


def client_port(response: Any) -> int:
    return int(json.loads(response.body)["client"][1])


def test_sequential_requests_reuse_one_connection(servers):
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            return [client_port(await client.fetch(servers.url("/echo"))) for _ in range(5)]
        finally:
            client.close()

    ports = run(go)
    assert len(set(ports)) == 1


def test_connection_close_is_not_reused(servers):
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            first = client_port(await client.fetch(servers.url("/echo")))
            await client.fetch(servers.url("/close"))
            second = client_port(await client.fetch(servers.url("/echo")))
            return first, second
        finally:
            client.close()

    first, second = run(go)
    assert first != second


def test_concurrent_requests_use_at_most_max_clients_connections(servers):
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True, max_clients=5)
        try:
            responses = await asyncio.gather(*(client.fetch(servers.url("/echo")) for _ in range(100)))
        finally:
            client.close()
        return {client_port(r) for r in responses}

    assert 1 <= len(run(go)) <= 5


def test_pool_key_includes_tls_settings(servers):
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            url = servers.url("/echo", "https")
            a = client_port(await client.fetch(url, ca_certs=servers.ca_file))
            b = client_port(await client.fetch(url, ca_certs=servers.ca_file))
            c = client_port(await client.fetch(url, validate_cert=False))
            return a, b, c
        finally:
            client.close()

    a, b, c = run(go)
    assert a == b
    assert c != a


def test_idle_connections_expire(servers):
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True, idle_timeout=0.1)
        try:
            first = client_port(await client.fetch(servers.url("/echo")))
            await asyncio.sleep(0.4)
            second = client_port(await client.fetch(servers.url("/echo")))
            return first, second
        finally:
            client.close()

    first, second = run(go)
    assert first != second


def test_closed_keep_alive_connection_is_retried_for_get(raw_server):
    # Answers one request per connection without saying it will close.
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            first = await client.fetch(server.url())
            await asyncio.sleep(0.1)  # the server has closed the pooled connection
            second = await client.fetch(server.url())
            return first.body, second.body
        finally:
            client.close()

    assert run(go) == (b"ok", b"ok")
    assert server.connections == 2


def test_post_is_not_retried_on_a_closed_connection(raw_server):
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            await client.fetch(server.url())
            await asyncio.sleep(0.1)
            # The pooled connection is closed, but the pool only learns it
            # when trying: a POST may not be sent twice, so it fails or
            # goes out on a connection known to be good (never both).
            try:
                await client.fetch(server.url(), method="POST", body=b"x")
            except HTTPClientError as exc:
                assert exc.code == 599
        finally:
            client.close()

    run(go)
    posts = [h for h in server.heads if h.startswith(b"POST")]
    assert len(posts) <= 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",  # obs-fold
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",  # bare LF
        b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX\x00: y\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    ],
)
def test_strict_response_parsing(raw_server, answer):
    server = raw_server(answer, keep_open=2)

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            # (A head with bare LF line ends is only known to be bad once the
            # server closes or the request times out: the codec looks for CRLFCRLF.)
            with pytest.raises(HTTPClientError, match="malformed response|before a complete response head") as info:
                await client.fetch(server.url(), request_timeout=5)
            return info.value.code
        finally:
            client.close()

    assert run(go) == 599


def test_too_many_response_headers(raw_server):
    answer = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(500)) + b"Content-Length: 0\r\n\r\n"
    server = raw_server(answer, keep_open=2)

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            with pytest.raises(HTTPClientError, match="more than"):
                await client.fetch(server.url(), request_timeout=5)
        finally:
            client.close()

    run(go)


def test_extra_bytes_after_response_prevent_reuse(raw_server):
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            first = await client.fetch(server.url())
            await asyncio.sleep(0.05)
            second = await client.fetch(server.url())
            return first.body, second.body
        finally:
            client.close()

    assert run(go) == (b"ok", b"ok")


def test_digest_needs_curl():
    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True)
        try:
            with pytest.raises(ValueError, match="curl"):
                await client.fetch(HTTPRequest("http://127.0.0.1:1/", auth_username="u", auth_mode="digest"))
        finally:
            client.close()

    run(go)


def test_hostname_mapping(servers):
    port = servers.http.server_address[1]

    async def go():
        client = SimpleAsyncHTTPClient(force_instance=True, hostname_mapping={"example.test": "127.0.0.1"})
        try:
            response = await client.fetch(f"http://example.test:{port}/echo")
        finally:
            client.close()
        return json.loads(response.body)

    data = run(go)
    assert dict((k.lower(), v) for k, v in data["headers"])["host"] == f"example.test:{port}"
