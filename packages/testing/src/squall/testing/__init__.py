"""squall.testing: test helpers and a pytest plugin for squall applications.

For unittest: `AsyncTestCase` (a fresh event loop per test, `gen_test` for
``async def`` tests, `AsyncTestCase.stop`/`AsyncTestCase.wait` for callback
tests) and `AsyncHTTPTestCase` / `AsyncHTTPSTestCase` (an application served
on a free port, with a synchronous ``fetch``). For any test: `ExpectLog`,
`bind_unused_port`, `get_async_test_timeout`, `raw_exchange` (raw bytes
to a server, its answer back) and `wait_until` (let the loop run until a
condition holds). The pytest plugin
(``squall.testing.pytest_plugin``) is active as soon as this package is
installed; it gives the same on fixtures.
"""

from ._asynctest import AsyncTestCase as AsyncTestCase
from ._asynctest import gen_test as gen_test
from ._certs import get_test_cert_path as get_test_cert_path
from ._certs import get_test_ssl_options as get_test_ssl_options
from ._errors import LeakWarning as LeakWarning
from ._httptest import AsyncHTTPSTestCase as AsyncHTTPSTestCase
from ._httptest import AsyncHTTPTestCase as AsyncHTTPTestCase
from ._log import ExpectLog as ExpectLog
from ._main import main as main
from ._ports import bind_unused_port as bind_unused_port
from ._raw import ResponseTimeoutError as ResponseTimeoutError
from ._raw import raw_exchange as raw_exchange
from ._timeout import DEFAULT_ASYNC_TEST_TIMEOUT as DEFAULT_ASYNC_TEST_TIMEOUT
from ._timeout import get_async_test_timeout as get_async_test_timeout
from ._wait import wait_until as wait_until

__all__ = [
    "DEFAULT_ASYNC_TEST_TIMEOUT",
    "AsyncHTTPSTestCase",
    "AsyncHTTPTestCase",
    "AsyncTestCase",
    "ExpectLog",
    "LeakWarning",
    "ResponseTimeoutError",
    "bind_unused_port",
    "gen_test",
    "get_async_test_timeout",
    "get_test_cert_path",
    "get_test_ssl_options",
    "main",
    "raw_exchange",
    "wait_until",
]
