"""The pytest plugin, through pytester runs of small test files."""

from __future__ import annotations

import sys

import pytest

pytest_plugins = ["_pytest.pytester"]  # the `pytester` fixture

# In-process runs restore sys.modules afterwards, so a plugin that imports a
# lot lazily (hypothesis, in its terminal summary) would do it again each run.
# The inner runs happen in this process: reset a LeakWarning filter that the
# outer run may have (-W error::squall.testing.LeakWarning); tests that want
# one pass it after these.
QUIET = (
    "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "default::squall.testing.LeakWarning"
)


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_it=source)
    return pytester.runpytest(*QUIET, *args)


def test_async_test_runs_on_the_io_loop(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        from squall.ioloop import IOLoop

        async def test_with_fixture(io_loop):
            await asyncio.sleep(0)
            assert IOLoop.current() is io_loop
            assert asyncio.get_running_loop() is io_loop.asyncio_loop

        async def test_without_fixture():
            await asyncio.sleep(0)
            assert IOLoop.current() is not None
        """,
    )
    result.assert_outcomes(passed=2)


def test_io_loop_is_fresh_and_closed_after_each_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        loops = []

        def test_one(io_loop):
            loops.append(io_loop)

        def test_two(io_loop):
            loops.append(io_loop)
            assert loops[0] is not io_loop
            assert loops[0].asyncio_loop.is_closed()
        """,
    )
    result.assert_outcomes(passed=2)


def test_failing_assert_is_a_normal_failure_with_traceback(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio

        async def test_math():
            await asyncio.sleep(0)
            total = 1 + 1
            assert total == 3
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*async def test_math():*",
            ">*assert total == 3",
            "E*assert 2 == 3",
            "test_it.py:6: AssertionError",
        ]
    )


def test_hanging_test_is_stopped_by_the_marker_timeout(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        import pytest

        @pytest.mark.squall_timeout(0.2)
        async def test_hangs():
            never = asyncio.Event()
            await never.wait()
        """,
        "--strict-markers",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*TimeoutError: test_it.py::test_hangs timed out after 0.2 seconds*squall_timeout*",
            "*It was waiting at*",
            "*test_it.py*line 7, in test_hangs*",
            "*await never.wait()*",
        ]
    )


def test_default_timeout_from_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.1")
    result = run(
        pytester,
        """
        import asyncio

        async def test_hangs():
            await asyncio.sleep(30)
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timed out after 0.1 seconds*"])


def test_marker_arguments_are_checked(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.squall_timeout(-1)
        async def test_negative():
            pass

        @pytest.mark.squall_timeout
        async def test_no_value():
            pass

        @pytest.mark.squall_timeout(seconds=30)
        async def test_keyword():
            pass
        """,
    )
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*squall_timeout marker must be a positive*", "*@pytest.mark.squall_timeout(seconds)*"])


def test_leaked_task_is_reported(pytester: pytest.Pytester) -> None:
    source = """
        import asyncio

        async def background_job():
            await asyncio.sleep(30)

        async def test_forgets_a_task():
            asyncio.ensure_future(background_job())
        """
    result = run(pytester, source)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*LeakWarning: test_it.py::test_forgets_a_task left work on its event loop*", "*background_job()*"]
    )
    strict = pytester.runpytest(*QUIET, "-W", "error::squall.testing.LeakWarning")
    strict.assert_outcomes(passed=1, errors=1)


def test_callback_errors_fail_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        from squall.ioloop import IOLoop
        from squall.testing import ExpectLog

        def explode():
            raise LookupError("from a callback")

        async def test_fails():
            IOLoop.current().add_callback(explode)
            await asyncio.sleep(10)

        async def test_expected():
            with ExpectLog("squall.application", "Exception in callback"):
                IOLoop.current().add_callback(explode)
                await asyncio.sleep(0.01)

        def test_sync(io_loop):
            io_loop.add_callback(explode)
            io_loop.run_sync(lambda: asyncio.sleep(0.01))
        """,
    )
    result.assert_outcomes(failed=1, passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_sync*", "*LookupError: from a callback*"])


def test_tests_of_other_async_plugins_are_left_alone(pytester: pytest.Pytester) -> None:
    pytest.importorskip("anyio", reason="anyio's pytest plugin is needed for this check")
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.anyio
        async def test_anyio(request):
            assert "io_loop" not in request.fixturenames

        @pytest.mark.asyncio
        async def test_asyncio_marked():
            pass
        """,
        "-W",
        "ignore::pytest.PytestUnknownMarkWarning",
    )
    # anyio runs its test (one per backend it has); the asyncio-marked test
    # is not hijacked: without pytest-asyncio, pytest itself refuses it.
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1
    assert outcomes.get("failed") == 1
    result.stdout.fnmatch_lines(["*test_asyncio_marked*"])
    assert "test_anyio" not in "\n".join(
        line for line in result.stdout.lines if line.startswith("FAILED")
    )


def test_unused_port(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import socket

        def test_port(unused_port):
            assert isinstance(unused_port, int) and unused_port > 0
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", unused_port))
        """,
    )
    result.assert_outcomes(passed=1)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.squall_timeout(seconds):*"])


APP = """
import pytest
from squall.httputil import HTTPHeaders, ResponseStartLine


def handle(request):
    status = 404 if request.path == "/missing" else 200
    body = f"{request.method} {request.uri} {request.protocol} {request.body.decode()}".encode()
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", status, "Whatever"),
        HTTPHeaders({"Content-Length": str(len(body))}),
        body,
    )
    request.connection.finish()


@pytest.fixture
def app():
    return handle
"""


def test_http_fixtures_in_async_tests(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        import asyncio
        import pytest
        from squall.httpclient import HTTPClientError

        async def test_fetch(fetch, base_url, http_port, http_server, http_client, io_loop):
            assert base_url == f"http://127.0.0.1:{http_port}"
            response = await fetch("/hello?x=1")
            assert (response.code, response.body) == (200, b"GET /hello?x=1 http ")
            missing = await fetch("/missing")
            assert missing.code == 404
            with pytest.raises(HTTPClientError):
                await fetch("/missing", raise_error=True)
            posted = await fetch("/form", method="POST", body="a=1")
            assert posted.body == b"POST /form http a=1"
            direct = await http_client.fetch(base_url + "/direct")
            assert direct.body == b"GET /direct http "
            assert http_client.io_loop is io_loop
        """,
    )
    result.assert_outcomes(passed=1)


def test_fetch_in_a_plain_test_returns_the_response(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        def test_sync(fetch):
            response = fetch("/plain", method="PUT", body="b")
            assert response.code == 200
            assert response.body == b"PUT /plain http b"

        def test_bad_path(fetch):
            import pytest
            with pytest.raises(ValueError, match="must start with '/'"):
                fetch("relative")
        """,
    )
    result.assert_outcomes(passed=2)


def test_https_through_http_server_options(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        import pytest
        from squall.testing import get_test_ssl_options

        @pytest.fixture
        def http_server_options():
            return {"ssl_options": get_test_ssl_options()}

        async def test_tls(fetch, base_url):
            assert base_url.startswith("https://127.0.0.1:")
            response = await fetch("/secure")
            assert response.body == b"GET /secure https "
        """,
    )
    result.assert_outcomes(passed=1)


def test_app_fixture_is_required_for_paths_only(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        import pytest
        from squall.httputil import HTTPHeaders, ResponseStartLine

        def constant(request):
            request.connection.write_headers(
                ResponseStartLine("HTTP/1.1", 302, "Found"),
                HTTPHeaders({"Content-Length": "2", "Location": "/elsewhere"}),
                b"hi",
            )
            request.connection.finish()

        async def test_absolute_urls_need_no_app(fetch, serve, request):
            other = serve(constant)
            response = await fetch(f"http://127.0.0.1:{other.port}/x")
            # The fetch fixture's defaults: the redirect is returned as it is.
            assert (response.code, response.body) == (302, b"hi")
            assert "http_server" not in request.fixturenames

        async def test_plain_asyncio_server(fetch):
            async def answer(reader, writer):
                await reader.readuntil(b"\\r\\n\\r\\n")
                writer.write(b"HTTP/1.1 503 Busy\\r\\nContent-Length: 4\\r\\n\\r\\nbusy")
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(answer, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            try:
                response = await fetch(f"http://127.0.0.1:{port}/", headers={"Connection": "close"})
            finally:
                server.close()
                await server.wait_closed()
            assert (response.code, response.body) == (503, b"busy")

        async def test_path_without_app(fetch):
            await fetch("/needs-a-server")

        def test_port_without_app(fetch):
            fetch.port

        async def test_raw_request_without_app(raw_request):
            pass
        """,
    )
    result.assert_outcomes(passed=2, failed=2, errors=1)
    for test in ("test_path_without_app", "test_port_without_app", "test_raw_request_without_app"):
        result.stdout.fnmatch_lines(
            [
                f"*LookupError: test_it.py::{test} needs the http_server fixture*which serves "
                "your 'app' fixture, and there is none: define an 'app' fixture*fetch() also "
                "takes an absolute URL*",
            ]
        )


def test_app_and_server_options_may_be_parametrized(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        import pytest
        from conftest import handle
        from squall.testing import get_test_ssl_options

        @pytest.mark.parametrize("app", [handle])
        def test_app(fetch):
            assert fetch("/p").body == b"GET /p http "

        @pytest.mark.parametrize("http_server_options", [{"ssl_options": get_test_ssl_options()}])
        async def test_options(fetch):
            assert (await fetch("/t")).body == b"GET /t https "
        """,
    )
    result.assert_outcomes(passed=2)


def test_server_starts_when_a_path_needs_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        import pytest
        import squall.httpserver

        started = []

        @pytest.fixture(autouse=True)
        def count_servers(monkeypatch):
            class Counted(squall.httpserver.HTTPServer):
                def __init__(self, *args, **kwargs):
                    started.append(True)
                    super().__init__(*args, **kwargs)

            monkeypatch.setattr(squall.httpserver, "HTTPServer", Counted)
            started.clear()

        async def test_lazy(fetch):
            assert started == []
            assert (await fetch("/one")).body == b"GET /one http "
            assert started == [True]
            assert fetch.base_url == f"http://127.0.0.1:{fetch.port}"
            assert (await fetch("/two")).body == b"GET /two http "
            assert started == [True]

        def test_port_first(fetch, http_port):
            assert started == [True]
            assert fetch.port == http_port
        """,
    )
    result.assert_outcomes(passed=2)


def test_hanging_sync_fetch_is_stopped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The timeout also bounds the server's wait for the unanswered request.
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.2")
    result = run(
        pytester,
        """
        import pytest

        @pytest.fixture
        def app():
            return lambda request: None  # never answers

        def test_sync(fetch):
            fetch("/never")
        """,
        "-W",
        "ignore::squall.testing.LeakWarning",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fetch('/never') timed out after 0.2 seconds*"])


def test_serve_starts_more_servers(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        from squall.httputil import HTTPHeaders, ResponseStartLine

        def constant(text):
            def handle(request):
                body = text.encode()
                request.connection.write_headers(
                    ResponseStartLine("HTTP/1.1", 200, "OK"),
                    HTTPHeaders({"Content-Length": str(len(body))}),
                    body,
                )
                request.connection.finish()
            return handle

        async def test_two_more(serve, fetch, http_port):
            first = serve(constant("first"))
            second = serve(constant("second"))
            assert len({first.port, second.port, http_port}) == 3
            assert first.base_url == f"http://127.0.0.1:{first.port}"
            assert (await first("/")).body == b"first"
            assert (await second("/")).body == b"second"
            assert (await fetch("/app")).body == b"GET /app http "

        def test_sync(serve):
            assert serve(constant("plain"))("/").body == b"plain"
        """,
    )
    result.assert_outcomes(passed=2)


def test_fetch_shows_redirects_and_compression_as_they_are(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import gzip
        import pytest
        from squall.httputil import HTTPHeaders, ResponseStartLine

        def handle(request):
            if request.path == "/old":
                status, headers, body = 302, {"Location": "/new"}, b""
            elif request.path == "/zipped":
                body = gzip.compress(b"unzipped")
                status, headers = 200, {"Content-Encoding": "gzip"}
            else:
                status, headers, body = 200, {}, b"new page"
            headers["Content-Length"] = str(len(body))
            request.connection.write_headers(
                ResponseStartLine("HTTP/1.1", status, "Whatever"), HTTPHeaders(headers), body
            )
            request.connection.finish()

        @pytest.fixture
        def app():
            return handle

        async def test_redirect(fetch):
            response = await fetch("/old")
            assert response.code == 302
            assert response.headers["Location"] == "/new"
            followed = await fetch("/old", follow_redirects=True)
            assert (followed.code, followed.body) == (200, b"new page")

        def test_compression(fetch):
            raw = fetch("/zipped")
            assert raw.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(raw.body) == b"unzipped"
            assert fetch("/zipped", decompress_response=True).body == b"unzipped"
        """,
    )
    result.assert_outcomes(passed=2)


def test_http_client_options_configure_the_fixture_client(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(APP)
    result = run(
        pytester,
        """
        import pytest

        @pytest.fixture
        def http_client_options():
            return {"max_body_size": 16, "defaults": {"user_agent": "probe"}}

        async def test_limited(fetch, http_client, serve):
            assert http_client.max_body_size == 16
            assert http_client.defaults == {"user_agent": "probe"}
            assert (await fetch("/short")).body == b"GET /short http "
            with pytest.raises(Exception, match="max_body_size"):
                await fetch("/a-path-long-enough-to-exceed-the-limit")
            other = serve(lambda request: None)
            assert other.client is http_client
        """,
        "-W",
        "ignore::squall.testing.LeakWarning",
    )
    result.assert_outcomes(passed=1)


def test_http_client_options_must_be_a_dict(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.fixture
        def http_client_options():
            return [("max_body_size", 16)]

        def test_client(http_client):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*http_client_options fixture must return a dict*not list*"])


LEAKY = """
import asyncio
import pytest
from squall.testing import AsyncTestCase, gen_test


async def background_job():
    await asyncio.sleep(30)


async def test_leaks():
    asyncio.ensure_future(background_job())


@pytest.mark.squall_leaks("warn")
async def test_leaks_but_relaxed():
    asyncio.ensure_future(background_job())


async def test_clean():
    await asyncio.sleep(0)


class LeakyCase(AsyncTestCase):
    @gen_test
    async def test_unittest_leaks(self):
        asyncio.ensure_future(background_job())
"""


def test_squall_leaks_ini_option_makes_leaks_fail(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsquall_leaks = error\n")
    result = run(pytester, LEAKY)
    # test_leaks fails at teardown; the unittest case in its tearDown.
    result.assert_outcomes(passed=3, failed=1, errors=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks*",
            "*LeakWarning: test_it.py::test_leaks left work on its event loop*",
            "*background_job()*",
            "*squall_leaks is 'error' for this test*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*squall.testing.LeakWarning: test_it.LeakyCase.test_unittest_leaks left work*",
            "*FAILED test_it.py::LeakyCase::test_unittest_leaks*",
        ]
    )
    result.stdout.fnmatch_lines(["*LeakWarning: test_it.py::test_leaks_but_relaxed left work*"])


def test_squall_leaks_default_is_warn(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY)
    result.assert_outcomes(passed=4, warnings=3)


def test_squall_leaks_fixture_in_a_conftest_covers_its_directory(pytester: pytest.Pytester) -> None:
    strict = pytester.mkpydir("strict")
    (strict / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef squall_leaks():\n    return 'error'\n"
    )
    (strict / "test_strict.py").write_text(LEAKY)
    pytester.makepyfile(test_lax=LEAKY)
    result = pytester.runpytest(*QUIET)
    # Strict directory: two leaks fail; the relaxed test and the lax module warn.
    result.assert_outcomes(passed=7, failed=1, errors=1, warnings=4)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks*"])
    assert "ERROR strict/test_strict.py::test_leaks" in result.stdout.str()
    assert "test_lax.py::test_leaks " not in "\n".join(
        line for line in result.stdout.lines if line.startswith(("ERROR", "FAILED"))
    )


def test_squall_leaks_marker_on_a_module(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "import pytest\npytestmark = pytest.mark.squall_leaks('error')\n" + LEAKY,
        "--strict-markers",
    )
    result.assert_outcomes(passed=3, failed=1, errors=1, warnings=1)


def test_squall_leaks_values_are_checked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsquall_leaks = fail\n")
    result = run(pytester, "def test_nothing():\n    pass\n")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*squall_leaks ini option must be 'warn' or 'error'*got 'fail'*"])

    pytester.makeini("[pytest]\n")
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.squall_leaks("loud")
        async def test_bad_value():
            pass

        @pytest.mark.squall_leaks
        async def test_no_value():
            pass

        @pytest.fixture
        def squall_leaks():
            return True

        def test_bad_fixture(io_loop):
            pass
        """,
    )
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*squall_leaks marker must be 'warn' or 'error'*got 'loud'*",
            "*use the marker as @pytest.mark.squall_leaks(policy)*",
            "*squall_leaks fixture must be 'warn' or 'error'*got True*",
        ]
    )


def test_callback_error_is_not_hidden_by_a_leak(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsquall_leaks = error\n")
    result = run(
        pytester,
        """
        import asyncio
        from squall.ioloop import IOLoop

        def explode():
            raise LookupError("from a callback")

        def test_both(io_loop):
            io_loop.call_later(30, print)
            io_loop.add_callback(explode)
        """,
        "-W",
        "error::squall.testing.LeakWarning",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*LookupError: from a callback*"])
    if sys.version_info >= (3, 11):  # notes
        result.stdout.fnmatch_lines(["*the test also left work on its event loop:*", "*timer still scheduled*"])
