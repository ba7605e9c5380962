"""The client suite: every test runs on both back ends (the ``backend`` fixture).

Servers are local (see conftest.py): the stdlib's http.server over HTTP and
HTTPS (trustme certificates), a raw socket server and a small proxy.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import gzip
import io
import json
from typing import Any

import pytest

import squall.escape
import squall.httpclient
from squall.httpclient import (
    AsyncHTTPClient,
    HTTPClient,
    HTTPClientError,
    HTTPError,
    HTTPRequest,
    HTTPResponse,
    HTTPStreamClosedError,
    HTTPTimeoutError,
)
from squall.httputil import HTTPHeaders
from squall.ioloop import IOLoop


BACKENDS = {
    "simple": "squall.simple_httpclient.SimpleAsyncHTTPClient",
    "curl": "squall.curl_httpclient.CurlAsyncHTTPClient",
}


def run(coro_fn: Any, timeout: float = 15.0) -> Any:
    """Run ``coro_fn()`` on a fresh event loop, bounded by ``timeout`` seconds."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(bounded())


def echo(response: HTTPResponse) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.body)
    data["header_dict"] = {k.lower(): v for k, v in data["headers"]}
    return data


# --- the spec's examples --------------------------------------------------------


def test_spec_example_callback_form(servers, backend, restore_configuration):
    """The spec's handler, outside a web app: fetch with callback= and json_decode."""
    squall.httpclient.AsyncHTTPClient.configure(BACKENDS[backend])
    io_loop = IOLoop()
    results = []

    def on_response(response):
        if response.error:
            raise RuntimeError("unexpected error")
        json = squall.escape.json_decode(response.body)
        results.append("Fetched " + str(len(json["entries"])) + " entries from the FriendFeed API")
        io_loop.stop()

    async def start():
        http = squall.httpclient.AsyncHTTPClient()
        http.fetch(servers.url("/feed"), callback=on_response)

    io_loop.add_callback(start)
    io_loop.call_later(10, io_loop.stop)
    io_loop.start()
    io_loop.close()
    assert results == ["Fetched 3 entries from the FriendFeed API"]


def test_spec_configure_and_await_form(servers, backend, restore_configuration):
    """``AsyncHTTPClient.configure('squall.curl_httpclient.CurlAsyncHTTPClient')`` then ``await fetch``."""
    AsyncHTTPClient.configure(BACKENDS[backend])

    async def go():
        http = AsyncHTTPClient()
        assert type(http).__module__.startswith(BACKENDS[backend].rsplit(".", 1)[0])
        response = await http.fetch(servers.url("/feed"))
        return squall.escape.json_decode(response.body)

    assert len(run(go)["entries"]) == 3


# --- the shared instance and configure ------------------------------------------------


def test_one_shared_instance_per_loop(client_class):
    async def go():
        a = client_class()
        b = client_class()
        c = client_class(force_instance=True)
        assert a is b
        assert c is not a
        c.close()
        a.close()
        d = client_class()  # closing the shared one makes way for a new one
        assert d is not a
        d.close()
        return a

    first = run(go)
    second = run(go)
    assert first is not second  # another loop, another instance


def test_configure_with_class_and_kwargs(client_class, restore_configuration):
    AsyncHTTPClient.configure(client_class, max_clients=7, defaults={"user_agent": "x"})

    async def go():
        client = AsyncHTTPClient(force_instance=True)
        try:
            assert isinstance(client, client_class)
            assert client.max_clients == 7
            assert client.defaults == {"user_agent": "x"}
        finally:
            client.close()

    run(go)


def test_configure_rejects_non_clients(restore_configuration):
    with pytest.raises(ValueError, match="AsyncHTTPClient subclass"):
        AsyncHTTPClient.configure(dict)
    with pytest.raises(ValueError, match="AsyncHTTPClient subclass"):
        AsyncHTTPClient.configure("collections.OrderedDict")


def test_defaults_apply_and_unknown_defaults_refused(servers, fetch, client_class):
    response = fetch(servers.url("/echo"), client_kwargs={"defaults": {"user_agent": "from-defaults"}})
    assert echo(response)["header_dict"]["user-agent"] == "from-defaults"
    with pytest.raises(ValueError, match="unknown HTTPRequest option"):
        run(lambda: _make(client_class, defaults={"no_such_option": 1}))


async def _make(client_class, **kwargs):
    client_class(force_instance=True, **kwargs).close()


# --- methods, headers, bodies -------------------------------------------------


@pytest.mark.parametrize(
    "method, body",
    [("GET", None), ("POST", b"a=1"), ("PUT", b"put body"), ("PATCH", b"{}"), ("DELETE", None), ("OPTIONS", None)],
)
def test_methods_and_bodies(servers, fetch, method, body):
    data = echo(fetch(servers.url("/echo?q=1"), method=method, body=body))
    assert data["method"] == method
    assert data["path"] == "/echo?q=1"
    assert data["body"] == (body or b"").decode()
    if body is not None:
        assert data["header_dict"]["content-length"] == str(len(body))


def test_str_body_is_utf8(servers, fetch):
    data = echo(fetch(servers.url("/echo"), method="POST", body="é"))
    assert data["body"].encode("latin-1") == "é".encode()


def test_post_gets_form_content_type(servers, fetch):
    data = echo(fetch(servers.url("/echo"), method="POST", body="a=1"))
    assert data["header_dict"]["content-type"] == "application/x-www-form-urlencoded"


def test_head_has_no_body(servers, fetch):
    response = fetch(servers.url("/hello"), method="HEAD")
    assert response.code == 200
    assert response.headers["Content-Length"] == "12"
    assert response.body == b""


def test_nonstandard_method_and_body_on_get(servers, fetch):
    data = echo(fetch(servers.url("/echo"), method="FOO", allow_nonstandard_methods=True))
    assert data["method"] == "FOO"
    data = echo(fetch(servers.url("/echo"), method="GET", body=b"odd", allow_nonstandard_methods=True))
    assert (data["method"], data["body"]) == ("GET", "odd")


def test_headers_sent(servers, fetch):
    headers = HTTPHeaders({"X-One": "1"})
    headers.add("X-Multi", "a")
    headers.add("X-Multi", "b")
    data = echo(fetch(servers.url("/echo"), headers=headers, user_agent="agent/1"))
    sent = data["headers"]
    assert ["X-One", "1"] in sent
    assert [v for k, v in sent if k == "X-Multi"] in (["a", "b"], ["a, b"], ["a,b"])
    assert data["header_dict"]["user-agent"] == "agent/1"
    assert data["header_dict"]["host"] == servers.url("").split("//")[1]


def test_default_user_agent_and_accept_encoding(servers, fetch):
    data = echo(fetch(servers.url("/echo")))
    assert data["header_dict"]["user-agent"].startswith("squall/")
    assert "gzip" in data["header_dict"]["accept-encoding"]
    data = echo(fetch(servers.url("/echo"), decompress_response=False))
    assert "gzip" not in data["header_dict"].get("accept-encoding", "")


def test_if_modified_since(servers, fetch):
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    response = fetch(servers.url("/ims"), if_modified_since=when, raise_error=False)
    assert response.code == 304
    assert response.headers["X-IMS"] == "Thu, 02 Jan 2020 03:04:05 GMT"


# --- HTTPResponse -------------------------------------------------------------------


def test_response_attributes(servers, fetch):
    url = servers.url("/hello")
    response = fetch(url)
    assert response.code == 200
    assert response.reason == "OK"
    assert response.body == b"Hello, world"
    assert response.buffer.read() == b"Hello, world"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.effective_url == url
    assert response.error is None
    assert response.request.url == url
    assert response.request_time > 0
    assert abs(response.start_time - __import__("time").time()) < 60
    assert isinstance(response.time_info, dict)
    response.rethrow()  # no error: nothing raised


def test_response_body_is_read_lazily_from_buffer():
    request = HTTPRequest("http://example.com/")
    response = HTTPResponse(request, 200, buffer=io.BytesIO(b"from buffer"))
    assert response.body == b"from buffer"
    assert HTTPResponse(request, 200).body == b""
    error_response = HTTPResponse(request, 404)
    with pytest.raises(HTTPClientError) as info:
        error_response.rethrow()
    assert info.value.code == 404 and info.value.response is error_response


def test_http_error_raised_with_code_and_response(servers, fetch):
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/status?code=404"))
    assert info.value.code == 404
    assert info.value.response.body == b"status body"
    assert str(info.value) == "HTTP 404: Not Found"
    assert HTTPError is HTTPClientError


def test_raise_error_false_returns_the_response(servers, fetch):
    response = fetch(servers.url("/status?code=503"), raise_error=False)
    assert response.code == 503
    assert isinstance(response.error, HTTPClientError)


def test_raise_error_false_still_raises_599(fetch, raw_server):
    server = raw_server(None)  # closes without answering
    with pytest.raises(HTTPStreamClosedError):
        fetch(server.url(), raise_error=False)


def test_callback_gets_errors_as_responses(servers, client_class):
    got = []

    async def go():
        client = client_class(force_instance=True)
        done = asyncio.Event()

        def on_response(response):
            got.append(response)
            if len(got) == 2:
                done.set()

        f1 = client.fetch(servers.url("/status?code=404"), callback=on_response)
        f2 = client.fetch("http://127.0.0.1:1/", callback=on_response)
        await done.wait()
        client.close()
        return await f1, await f2

    r1, r2 = run(go)
    codes = sorted(r.code for r in got)
    assert codes == [404, 599]
    assert {r1.code, r2.code} == {404, 599}
    assert all(r.error is not None for r in got)


# --- HTTPRequest checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "GET", "body": b"x"}, "must not have a body"),
        ({"method": "POST"}, "needs a body"),
        ({"method": "POST", "body": b"x", "body_producer": lambda w: None}, "not both"),
        ({"proxy_host": "p"}, "proxy_port"),
        ({"auth_mode": "ntlm", "auth_username": "u"}, "unsupported auth_mode"),
        ({"client_key": "k.pem"}, "client_cert"),
        ({"method": "GE T"}, "invalid HTTP method"),
        ({"method": "GET\r\nX: y"}, "invalid HTTP method"),
    ],
)
def test_request_checks_bad_combinations(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HTTPRequest("http://example.com/", **kwargs)


def test_websocket_urls_make_requests_but_are_not_fetched():
    """squall.websocket takes an HTTPRequest for ws:// (to carry headers); fetch refuses it."""
    request = HTTPRequest("wss://example.com/socket", headers={"Cookie": "a=b"})
    assert request.url == "wss://example.com/socket"

    async def fetch_it():
        client = AsyncHTTPClient(force_instance=True)
        try:
            with pytest.raises(ValueError, match="websocket_connect"):
                client.fetch(request)
        finally:
            client.close()

    asyncio.run(fetch_it())


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/", "unsupported URL scheme"),
        ("file:///etc/passwd", "unsupported URL scheme"),
        ("http:///path", "no host"),
        ("http://example.com/a b", "percent-encode"),
        ("http://example.com/\r\nX: y", "control character"),
        ("http://example.com/\x00", "control character"),
        ("http://example.com:99999/", "invalid port"),
        ("http://127.1/", "non-canonical IPv4"),
        ("http://0x7f.0.0.1/", "non-canonical IPv4"),
        ("http://0177.0.0.1/", "non-canonical IPv4"),
        ("http://2130706433/", "non-canonical IPv4"),
        ("http://256.0.0.1/", "non-canonical IPv4"),
    ],
)
def test_request_checks_urls(url, message):
    with pytest.raises(ValueError, match=message):
        HTTPRequest(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://cafe.be/", "http://[::1]:8080/x", "http://xn--caf-dma.fr/"])
def test_request_accepts_good_urls(url):
    assert HTTPRequest(url).url == url


def test_international_url_is_encoded():
    request = HTTPRequest("http://café.fr/ä?q=ü")
    assert request.url == "http://xn--caf-dma.fr/%C3%A4?q=%C3%BC"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nInjected: yes"},
        {"X-Evil": "a\nInjected: yes"},
        {"X-Evil": "a\rb"},
        {"X-Evil": "a\x00b"},
        {"X-Evil\r\nInjected": "yes"},
        {"Bad Name": "x"},
    ],
)
def test_crlf_in_headers_refused_before_sending(client_class, raw_server, headers):
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    async def go():
        client = client_class(force_instance=True)
        try:
            with pytest.raises(ValueError, match="header"):
                await client.fetch(server.url(), headers=headers)
            # Changed after construction: still checked at fetch time.
            request = HTTPRequest(server.url())
            request.headers.update(headers)
            with pytest.raises(ValueError, match="header"):
                await client.fetch(request)
            request = HTTPRequest(server.url())
            request.method = "GET\r\nX: y"
            with pytest.raises(ValueError, match="method"):
                await client.fetch(request)
        finally:
            client.close()

    run(go)
    assert server.connections == 0


def test_kwargs_with_request_object_refused(client_class):
    async def go():
        client = client_class(force_instance=True)
        try:
            with pytest.raises(ValueError, match="keyword arguments"):
                client.fetch(HTTPRequest("http://127.0.0.1:1/"), method="POST")
        finally:
            client.close()

    run(go)


# --- authentication ----------------------------------------------------------------------


def test_basic_auth(servers, fetch):
    response = fetch(servers.url("/basic"), auth_username="user", auth_password="päss")
    assert response.body == b"authorized"
    response = fetch(servers.url("/basic"), auth_username="user", auth_password="päss", auth_mode="basic")
    assert response.body == b"authorized"
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/basic"), auth_username="user", auth_password="wrong")
    assert info.value.code == 401


def test_basic_auth_refuses_a_username_with_a_colon():
    # The server would split "a:b:pw" as user "a", password "b:pw" (RFC 7617).
    with pytest.raises(ValueError, match="cannot contain ':'"):
        HTTPRequest("http://127.0.0.1/", auth_username="a:b", auth_password="pw")
    # Digest has no such split; the check is for Basic only.
    HTTPRequest("http://127.0.0.1/", auth_username="a:b", auth_password="pw", auth_mode="digest")


def test_basic_auth_from_url_userinfo(servers, fetch):
    url = servers.url("/basic").replace("http://", "http://user:p%C3%A4ss@")
    assert fetch(url).body == b"authorized"


# --- redirects -----------------------------------------------------------------------------


def test_follows_redirects(servers, fetch):
    response = fetch(servers.url("/countdown?n=3"))
    assert response.body == b"done"
    assert response.effective_url == servers.url("/countdown?n=0")
    assert response.request.original_request.url == servers.url("/countdown?n=3")


def test_follow_redirects_false(servers, fetch):
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/countdown?n=1"), follow_redirects=False)
    assert info.value.code == 302
    response = fetch(servers.url("/countdown?n=1"), follow_redirects=False, raise_error=False)
    assert response.code == 302
    assert response.headers["Location"] == "/countdown?n=0"


def test_max_redirects_enforced(servers, fetch):
    assert fetch(servers.url("/countdown?n=2"), max_redirects=2).body == b"done"
    with pytest.raises(HTTPClientError, match="too many redirects") as info:
        fetch(servers.url("/countdown?n=3"), max_redirects=2)
    assert info.value.code == 302


@pytest.mark.parametrize("code", [301, 302, 303])
def test_post_redirect_becomes_get(servers, fetch, code):
    to = "/echo"
    data = echo(fetch(servers.url(f"/redirect?code={code}&to={to}"), method="POST", body=b"payload"))
    assert data["method"] == "GET"
    assert data["body"] == ""
    assert "content-length" not in data["header_dict"] or data["header_dict"]["content-length"] == "0"


@pytest.mark.parametrize("code", [307, 308])
def test_307_308_keep_method_and_body(servers, fetch, code):
    data = echo(fetch(servers.url(f"/redirect?code={code}&to=/echo"), method="POST", body=b"payload"))
    assert (data["method"], data["body"]) == ("POST", "payload")


def test_cross_origin_redirect_drops_credentials(servers, fetch):
    target = servers.url("/echo", "http2")
    headers = HTTPHeaders()
    headers.add("Authorization", "Bearer secret")
    headers.add("Authorization", "Bearer secret2")
    headers.add("Cookie", "session=1")
    headers.add("Proxy-Authorization", "Basic eDp5")
    headers.add("X-Keep", "kept")
    data = echo(fetch(servers.url(f"/redirect?code=302&to={target}"), headers=headers))
    names = {k.lower() for k, _ in data["headers"]}
    assert "authorization" not in names
    assert "cookie" not in names
    assert "proxy-authorization" not in names
    assert data["header_dict"]["x-keep"] == "kept"
    # auth_username/auth_password are dropped too.
    data = echo(fetch(servers.url(f"/redirect?code=302&to={target}"), auth_username="u", auth_password="p"))
    assert "authorization" not in data["header_dict"]


def test_same_origin_redirect_keeps_credentials(servers, fetch):
    data = echo(fetch(servers.url("/redirect?code=302&to=/echo"), headers={"Authorization": "Bearer t"}))
    assert data["header_dict"]["authorization"] == "Bearer t"


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/", "ws://127.0.0.1/x"]
)
def test_redirect_to_other_schemes_refused(servers, fetch, location):
    with pytest.raises(HTTPClientError, match="refusing to follow the redirect"):
        fetch(servers.url(f"/redirect?code=302&to={location}"))


# --- decompression and size limits ------------------------------------------------------------


def test_gzip_decompressed(servers, fetch):
    response = fetch(servers.url("/gzip"))
    assert response.body == b"compressed " * 100
    assert "Content-Encoding" not in response.headers
    assert response.headers["X-Consumed-Content-Encoding"] == "gzip"


def test_gzip_left_alone_when_asked(servers, fetch):
    response = fetch(servers.url("/gzip"), decompress_response=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.body) == b"compressed " * 100


def test_concatenated_gzip_members(servers, fetch):
    assert fetch(servers.url("/gzip-members")).body == b"first member;second member"


def test_deflate_zlib_and_raw(servers, fetch):
    assert fetch(servers.url("/deflate")).body == b"deflated " * 50
    assert fetch(servers.url("/raw-deflate")).body == b"raw deflate " * 20


def test_gzip_bomb_stopped_by_max_body_size(servers, fetch):
    with pytest.raises(HTTPClientError, match="max_body_size") as info:
        fetch(servers.url("/bomb"), max_body_size=1_000_000)
    assert info.value.code == 599
    # The same limit from the client's settings.
    with pytest.raises(HTTPClientError, match="max_body_size"):
        fetch(servers.url("/bomb"), client_kwargs={"max_body_size": 1_000_000})


def test_plain_body_over_max_body_size(servers, fetch):
    assert len(fetch(servers.url("/big?n=1000"), max_body_size=1000).body) == 1000
    with pytest.raises(HTTPClientError, match="max_body_size") as info:
        fetch(servers.url("/big?n=1001"), max_body_size=1000)
    assert info.value.code == 599


def test_header_over_max_header_size(servers, fetch):
    assert fetch(servers.url("/big-header?n=100"), max_header_size=4096).body == b"ok"
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/big-header?n=10000"), max_header_size=4096)
    assert info.value.code == 599
    assert "header" in info.value.message


# --- streaming both ways --------------------------------------------------------------------------


def test_streaming_callback(servers, fetch):
    chunks: list[bytes] = []
    response = fetch(servers.url("/chunked"), streaming_callback=chunks.append)
    assert b"".join(chunks) == b"".join(f"chunk{i};".encode() for i in range(5))
    assert response.body == b""


def test_streaming_callback_gets_decompressed_data(servers, fetch):
    chunks: list[bytes] = []
    fetch(servers.url("/gzip"), streaming_callback=chunks.append)
    assert b"".join(chunks) == b"compressed " * 100


def test_header_callback(servers, fetch):
    lines: list[str] = []
    fetch(servers.url("/hello"), header_callback=lines.append)
    assert lines[0].startswith("HTTP/1.1 200")
    assert lines[0].endswith("\r\n")
    assert "Content-Length: 12\r\n" in lines
    assert lines[-1] == "\r\n"


def test_body_producer_chunked(servers, fetch):
    async def producer(write):
        for i in range(20):
            await write(b"part%d," % i)
            await asyncio.sleep(0)

    data = echo(fetch(servers.url("/echo"), method="POST", body_producer=producer))
    assert data["body"] == "".join(f"part{i}," for i in range(20))
    assert data["header_dict"]["transfer-encoding"] == "chunked"


def test_body_producer_with_content_length(servers, fetch):
    payload = b"z" * 300_000

    async def producer(write):
        for i in range(0, len(payload), 65536):
            await write(payload[i : i + 65536])

    data = echo(
        fetch(
            servers.url("/echo"),
            method="PUT",
            body_producer=producer,
            headers={"Content-Length": str(len(payload))},
        )
    )
    assert len(data["body"]) == len(payload)
    assert "transfer-encoding" not in data["header_dict"]


def test_body_producer_error_is_reported(servers, fetch):
    async def producer(write):
        await write(b"a")
        raise KeyError("producer broke")

    with pytest.raises(Exception, match="producer broke"):
        fetch(servers.url("/echo"), method="POST", body_producer=producer, request_timeout=5)


def test_expect_100_continue(servers, fetch):
    data = echo(fetch(servers.url("/echo"), method="POST", body=b"after continue", expect_100_continue=True))
    assert data["body"] == "after continue"
    assert data["header_dict"]["expect"] == "100-continue"


# --- TLS -------------------------------------------------------------------------------------------


def test_https_with_ca_certs(servers, fetch):
    response = fetch(servers.url("/hello", "https"), ca_certs=servers.ca_file)
    assert response.body == b"Hello, world"


def test_https_localhost_name_and_sni(servers, fetch):
    url = servers.url("/hello", "https").replace("127.0.0.1", "localhost")
    assert fetch(url, ca_certs=servers.ca_file).body == b"Hello, world"


def test_https_unknown_ca_fails_verification(servers, fetch):
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/hello", "https"))
    assert info.value.code == 599
    assert "TLS certificate verification failed" in info.value.message
    assert "certificate" in info.value.message.split(":", 1)[1]


def test_https_wrong_host_name_fails(servers, fetch):
    with pytest.raises(HTTPClientError, match="TLS certificate verification failed") as info:
        fetch(servers.url("/hello", "https_other"), ca_certs=servers.ca_file)
    assert info.value.code == 599


def test_validate_cert_false(servers, fetch):
    assert fetch(servers.url("/hello", "https"), validate_cert=False).body == b"Hello, world"


def test_ssl_options_dict(servers, fetch):
    response = fetch(servers.url("/hello", "https"), ssl_options={"ca_certs": servers.ca_file})
    assert response.body == b"Hello, world"


def test_client_certificate(servers, fetch):
    url = servers.url("/hello", "https_mtls")
    response = fetch(url, ca_certs=servers.ca_file, client_cert=servers.client_cert, client_key=servers.client_key)
    assert response.body == b"Hello, world"
    with pytest.raises(HTTPClientError) as info:
        fetch(url, ca_certs=servers.ca_file)
    assert info.value.code == 599


# --- proxies -------------------------------------------------------------------------------------------


def test_http_through_proxy(servers, fetch, proxy):
    url = servers.url("/echo?via=proxy")
    data = echo(fetch(url, proxy_host="127.0.0.1", proxy_port=proxy.port))
    assert data["path"] == "/echo?via=proxy"
    method, target, _headers = proxy.seen[-1]
    assert (method, target) == ("GET", url)


def test_https_through_proxy_uses_connect(servers, fetch, proxy):
    url = servers.url("/hello", "https")
    response = fetch(url, proxy_host="127.0.0.1", proxy_port=proxy.port, ca_certs=servers.ca_file)
    assert response.body == b"Hello, world"
    method, target, _headers = proxy.seen[-1]
    assert method == "CONNECT"
    assert target == url.split("//")[1].split("/")[0]


def test_proxy_credentials(servers, fetch, proxy):
    proxy.require_auth = "Basic " + base64.b64encode(b"pu:pp").decode()
    kwargs = {"proxy_host": "127.0.0.1", "proxy_port": proxy.port}
    data = echo(fetch(servers.url("/echo"), proxy_username="pu", proxy_password="pp", **kwargs))
    assert "proxy-authorization" not in data["header_dict"]  # the proxy consumed it
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/echo"), **kwargs)
    assert info.value.code == 407
    response = fetch(
        servers.url("/hello", "https"), proxy_username="pu", proxy_password="pp", ca_certs=servers.ca_file, **kwargs
    )
    assert response.body == b"Hello, world"
    with pytest.raises(HTTPClientError) as info:
        fetch(servers.url("/hello", "https"), ca_certs=servers.ca_file, **kwargs)
    assert "407" in str(info.value)


# --- connection failures and timeouts ----------------------------------------------------------------


def test_connection_refused(fetch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(HTTPClientError) as info:
        fetch(f"http://127.0.0.1:{port}/")
    assert info.value.code == 599
    assert "refused" in info.value.message


def test_dns_failure(fetch):
    with pytest.raises(HTTPClientError) as info:
        fetch("http://no-such-host.invalid/")
    assert info.value.code == 599
    assert "DNS lookup failed" in info.value.message
    assert "no-such-host.invalid" in info.value.message


def test_connect_timeout(fetch, raw_server):
    # Accepts TCP but never answers the TLS handshake.
    server = raw_server(None, keep_open=3)
    with pytest.raises(HTTPTimeoutError) as info:
        fetch(server.url(scheme="https"), connect_timeout=0.3, validate_cert=False)
    assert info.value.code == 599
    assert "while connecting" in info.value.message


def test_request_timeout_while_waiting(servers, fetch):
    with pytest.raises(HTTPTimeoutError) as info:
        fetch(servers.url("/slow?delay=2"), request_timeout=0.3)
    assert info.value.code == 599
    assert "timed out" in info.value.message
    assert "waiting for the response" in info.value.message


def test_request_timeout_while_reading(fetch, raw_server):
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", keep_open=3)
    with pytest.raises(HTTPTimeoutError) as info:
        fetch(server.url(), request_timeout=0.3)
    assert "reading the response" in info.value.message


@pytest.mark.parametrize(
    "answer",
    [
        b"",  # closes at once
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # truncated body
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",  # truncated chunk
        b"HTTP/1.1 200 OK\r\nContent-Le",  # truncated head
    ],
)
def test_premature_close(fetch, raw_server, answer):
    server = raw_server(answer)
    with pytest.raises(HTTPClientError) as info:
        fetch(server.url(), request_timeout=5)
    assert info.value.code == 599
    assert "closed" in info.value.message or "malformed" in info.value.message


@pytest.mark.parametrize(
    "answer",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    ],
)
def test_malformed_responses_give_clear_errors(fetch, raw_server, answer):
    server = raw_server(answer, keep_open=2)
    with pytest.raises(HTTPClientError) as info:
        fetch(server.url(), request_timeout=5)
    assert info.value.code == 599


def test_read_until_close_body(fetch, raw_server):
    server = raw_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until close")
    assert fetch(server.url()).body == b"body until close"


def test_1xx_responses_skipped(fetch, raw_server):
    server = raw_server(
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"
    )
    response = fetch(server.url())
    assert (response.code, response.body) == (200, b"final")
    assert "Link" not in response.headers


def test_network_interface(servers, fetch):
    data = echo(fetch(servers.url("/echo"), network_interface="127.0.0.1"))
    assert data["client"][0] == "127.0.0.1"


# --- queueing and concurrency ---------------------------------------------------------------------------


def test_max_clients_queues_requests(servers, client_class):
    async def go():
        client = client_class(force_instance=True, max_clients=2)
        try:
            responses = await asyncio.gather(*(client.fetch(servers.url("/slow?delay=0.05")) for _ in range(6)))
        finally:
            client.close()
        return [r.body for r in responses]

    assert run(go) == [b"slow"] * 6


def test_queued_request_times_out_by_its_own_deadline(servers, client_class):
    async def go():
        client = client_class(force_instance=True, max_clients=1)
        try:
            slow = client.fetch(servers.url("/slow?delay=1"))
            with pytest.raises(HTTPTimeoutError, match="queue") as info:
                await client.fetch(servers.url("/hello"), request_timeout=0.2)
            assert (await slow).body == b"slow"
            return info.value.code
        finally:
            client.close()

    assert run(go) == 599


def test_cancelled_fetch_closes_its_connection_and_frees_its_slot(servers, client_class):
    async def go():
        client_gone = asyncio.Event()

        async def never_answer(reader, writer):
            while await reader.read(65536):
                pass  # read the request, answer nothing, until the client hangs up
            client_gone.set()
            writer.close()

        server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = client_class(force_instance=True, max_clients=1)
        try:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.fetch(f"http://127.0.0.1:{port}/hang", request_timeout=60), 0.3)
            # The client hung up at once instead of waiting for request_timeout...
            await asyncio.wait_for(client_gone.wait(), 5)
            # ...and the only slot is free for the next request.
            response = await asyncio.wait_for(client.fetch(servers.url("/hello")), 5)
            return response.body
        finally:
            client.close()
            server.close()

    assert run(go) == b"Hello, world"


def test_cancelled_queued_fetch_never_starts(servers, client_class):
    async def go():
        client = client_class(force_instance=True, max_clients=1)
        try:
            slow = client.fetch(servers.url("/slow?delay=0.2"))
            queued = client.fetch(servers.url("/echo?queued=1"))
            queued.cancel()
            assert (await slow).body == b"slow"
            after = await client.fetch(servers.url("/echo?after=1"))
            return echo(after)["path"]
        finally:
            client.close()

    assert run(go) == "/echo?after=1"


def test_close_fails_queued_requests_and_refuses_new_ones(servers, client_class):
    async def go():
        client = client_class(force_instance=True, max_clients=1)
        client.fetch(servers.url("/slow?delay=0.3"), raise_error=False)
        queued = client.fetch(servers.url("/hello"))
        await asyncio.sleep(0)
        client.close()
        with pytest.raises(HTTPStreamClosedError, match="closed"):
            await queued
        with pytest.raises(RuntimeError, match="closed"):
            client.fetch(servers.url("/hello"))

    run(go)


def test_thousand_requests_fifty_concurrent(servers, client_class):
    async def go():
        client = client_class(force_instance=True, max_clients=50)
        try:
            futures = [client.fetch(servers.url(f"/echo?i={i}")) for i in range(1000)]
            responses = await asyncio.gather(*futures)
        finally:
            client.close()
        return [echo(r)["path"] for r in responses]

    paths = run(go, timeout=60)
    assert paths == [f"/echo?i={i}" for i in range(1000)]


# --- the blocking client ------------------------------------------------------------------------------


def test_blocking_client(servers, client_class):
    client = HTTPClient(client_class)
    try:
        assert client.fetch(servers.url("/hello")).body == b"Hello, world"
        assert client.fetch(servers.url("/status?code=404"), raise_error=False).code == 404
        with pytest.raises(HTTPClientError) as info:
            client.fetch(servers.url("/status?code=500"))
        assert info.value.code == 500
    finally:
        client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.fetch(servers.url("/hello"))


def test_blocking_client_refuses_a_running_loop(client_class):
    async def go():
        with pytest.raises(RuntimeError, match="event loop is running"):
            HTTPClient(client_class)

    run(go)
