"""squall.httpclient: a non-blocking HTTP client with pluggable back ends.

`AsyncHTTPClient` fetches URLs on the event loop (the pure-Python
`squall.simple_httpclient` back end by default, or pycurl's with
``AsyncHTTPClient.configure("squall.curl_httpclient.CurlAsyncHTTPClient")``);
`HTTPClient` is its blocking wrapper for scripts. A request is an
`HTTPRequest`, the answer an `HTTPResponse`; failures raise `HTTPClientError`
(alias `HTTPError`), with code 599 and a subclass (`HTTPTimeoutError`,
`HTTPStreamClosedError`) when no answer came.
"""

from ._cli import main as main
from ._client import AsyncHTTPClient as AsyncHTTPClient
from ._client import HTTPClient as HTTPClient
from ._errors import HTTPClientError as HTTPClientError
from ._errors import HTTPError as HTTPError
from ._errors import HTTPStreamClosedError as HTTPStreamClosedError
from ._errors import HTTPTimeoutError as HTTPTimeoutError
from ._request import HTTPRequest as HTTPRequest
from ._response import HTTPResponse as HTTPResponse

__all__ = [
    "AsyncHTTPClient",
    "HTTPClient",
    "HTTPClientError",
    "HTTPError",
    "HTTPRequest",
    "HTTPResponse",
    "HTTPStreamClosedError",
    "HTTPTimeoutError",
    "main",
]
