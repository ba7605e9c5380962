"""squall.curl_httpclient: the libcurl back end of `squall.httpclient`.

`CurlAsyncHTTPClient` drives pycurl's multi interface from the event loop.
pycurl is the optional ``[curl]`` extra (``pip install squall-httpclient[curl]``);
it is imported when the first client is built, so importing this module
works without it.
"""

from ._curl import CurlAsyncHTTPClient as CurlAsyncHTTPClient

__all__ = ["CurlAsyncHTTPClient"]
