"""AsyncHTTPTestCase and AsyncHTTPSTestCase, driven through unittest's runner."""

from __future__ import annotations

import asyncio
import ssl
import unittest
import warnings
from typing import Any

import pytest

from squall.httpclient import HTTPClientError
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.testing import (
    AsyncHTTPSTestCase,
    AsyncHTTPTestCase,
    LeakWarning,
    gen_test,
    get_test_cert_path,
    get_test_ssl_options,
)


def echo(request: HTTPServerRequest) -> None:
    """A plain server callback: answers with what it received."""
    status = 404 if request.path == "/missing" else 200
    body = f"{request.method} {request.uri} {request.protocol} {request.body.decode()}".encode()
    assert request.connection is not None
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", status, "Not Found" if status == 404 else "OK"),
        HTTPHeaders({"Content-Length": str(len(body)), "X-Remote": request.remote_ip}),
        body,
    )
    request.connection.finish()


def run_case(case: type[unittest.TestCase], name: str) -> tuple[unittest.TestResult, list[Any]]:
    result = unittest.TestResult()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case(name).run(result)
    leaks = [w for w in caught if issubclass(w.category, LeakWarning)]
    assert result.wasSuccessful(), result.errors + result.failures
    return result, leaks


def test_fetch_is_synchronous_and_returns_errors_as_responses() -> None:
    seen: dict[str, Any] = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return echo

        def test_it(self) -> None:
            ok = self.fetch("/hello?x=1")
            seen["ok"] = (ok.code, ok.body, ok.headers["X-Remote"])
            missing = self.fetch("/missing")
            seen["missing"] = missing.code
            posted = self.fetch("/form", method="POST", body="a=1")
            seen["posted"] = posted.body
            with self.assertRaises(HTTPClientError) as info:
                self.fetch("/missing", raise_error=True)
            seen["raised"] = info.exception.code
            seen["url"] = self.get_url("/p")
            seen["port"] = self.get_http_port()
            seen["absolute"] = self.fetch(self.get_url("/abs")).body

    _, leaks = run_case(Case, "test_it")
    assert seen["ok"] == (200, b"GET /hello?x=1 http ", "127.0.0.1")
    assert seen["missing"] == 404
    assert seen["posted"] == b"POST /form http a=1"
    assert seen["raised"] == 404
    assert seen["url"] == f"http://127.0.0.1:{seen['port']}/p"
    assert seen["absolute"] == b"GET /abs http "
    assert leaks == []


def test_client_and_server_on_the_test_loop_in_async_tests() -> None:
    seen: dict[str, Any] = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return echo

        @gen_test
        async def test_it(self) -> None:
            responses = await asyncio.gather(
                *(self.http_client.fetch(self.get_url(f"/{i}")) for i in range(3))
            )
            seen["bodies"] = sorted(r.body for r in responses)
            with self.assertRaises(RuntimeError) as info:
                self.fetch("/x")
            seen["sync_fetch"] = str(info.exception)

    _, leaks = run_case(Case, "test_it")
    assert seen["bodies"] == [b"GET /0 http ", b"GET /1 http ", b"GET /2 http "]
    assert "await self.http_client.fetch" in seen["sync_fetch"]
    assert leaks == []


def test_server_options_and_per_test_servers() -> None:
    ports: list[int] = []

    class Case(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return echo

        def get_httpserver_options(self) -> dict[str, Any]:
            return {"xheaders": True}

        def test_a(self) -> None:
            ports.append(self.get_http_port())
            response = self.fetch("/", headers={"X-Real-IP": "10.1.2.3"})
            self.assertEqual(response.headers["X-Remote"], "10.1.2.3")

        def test_b(self) -> None:
            ports.append(self.get_http_port())

    run_case(Case, "test_a")
    run_case(Case, "test_b")
    assert ports[0] != ports[1]


def test_get_app_must_be_overridden() -> None:
    class Case(AsyncHTTPTestCase):
        def test_it(self) -> None:
            pass

    result = unittest.TestResult()
    Case("test_it").run(result)
    assert len(result.errors) == 1
    assert "must override get_app()" in result.errors[0][1]


def test_fetch_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.2")

    def never_answers(request: HTTPServerRequest) -> None:
        pass

    class Case(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return never_answers

        def test_it(self) -> None:
            self.fetch("/slow")

    result = unittest.TestResult()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)
        Case("test_it").run(result)
    assert len(result.errors) == 1
    assert "fetch('/slow') timed out after 0.2 seconds" in result.errors[0][1]


def test_https() -> None:
    seen: dict[str, Any] = {}

    class Case(AsyncHTTPSTestCase):
        def get_app(self) -> Any:
            return echo

        def test_it(self) -> None:
            seen["url"] = self.get_url("/")
            seen["body"] = self.fetch("/secure").body

    _, leaks = run_case(Case, "test_it")
    assert seen["url"].startswith("https://127.0.0.1:")
    assert seen["body"] == b"GET /secure https "
    assert leaks == []


def test_bundled_certificate_verifies_strictly() -> None:
    seen: dict[str, Any] = {}

    class Case(AsyncHTTPSTestCase):
        def get_app(self) -> Any:
            return echo

        def test_it(self) -> None:
            for host in ("127.0.0.1", "localhost"):
                url = f"https://{host}:{self.get_http_port()}/v"
                response = self.fetch(url, validate_cert=True, ca_certs=get_test_cert_path())
                seen[host] = response.body

    _, _ = run_case(Case, "test_it")
    assert seen == {"127.0.0.1": b"GET /v https ", "localhost": b"GET /v https "}


def test_test_ssl_options_load() -> None:
    options = get_test_ssl_options()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options["certfile"], options["keyfile"])
    client = ssl.create_default_context(cafile=get_test_cert_path())
    client.verify_flags |= ssl.VERIFY_X509_STRICT  # loads as a trust anchor
    assert client.get_ca_certs()[0]["subject"] == ((("organizationName", "squall testing"),), (("commonName", "localhost"),))


def test_shared_client_of_the_loop_is_closed_with_it() -> None:
    from squall.httpclient import AsyncHTTPClient

    seen: dict[str, Any] = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return echo

        @gen_test
        async def test_it(self) -> None:
            shared = AsyncHTTPClient()  # what application code typically uses
            seen["shared"] = shared
            seen["body"] = (await shared.fetch(self.get_url("/shared"))).body

    _, leaks = run_case(Case, "test_it")
    assert seen["body"] == b"GET /shared http "
    assert leaks == []  # its idle-connection timer is not reported
    with pytest.raises(RuntimeError, match="closed"):
        seen["shared"].fetch("http://127.0.0.1:1/")
