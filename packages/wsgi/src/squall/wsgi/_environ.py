"""Translation between squall's request/response objects and WSGI's.

Both directions live here: `build_environ` makes a PEP 3333 ``environ`` from a
request that squall's server received (for `WSGIContainer`), and
`request_head_from_environ` makes a request line, headers and connection
context from an ``environ`` (for `WSGIAdapter`). `parse_status` and
`response_headers` check what a WSGI application hands to
``start_response``.

PEP 3333 strings are "native strings" holding bytes: every ``environ`` value
that came from the wire is the bytes decoded as Latin-1, and the path is
percent-decoded first (so ``PATH_INFO`` for ``/caf%C3%A9`` is ``"/cafÃ©"``).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import sys
import urllib.parse
from typing import Any

from squall.httputil import (
    HTTPConnectionContext,
    HTTPHeaders,
    RequestStartLine,
    split_host_and_port,
)

from ._errors import WSGIProtocolError
from ._input import StreamingInput
from ._types import WSGIEnviron

__all__ = [
    "HOP_BY_HOP",
    "build_environ",
    "parse_status",
    "response_headers",
    "request_head_from_environ",
]

gen_log = logging.getLogger("squall.general")

# RFC 9110 7.6.1 and PEP 3333 ("Other HTTP Features"): connection-specific
# fields belong to the server, which frames the body; an application may not
# set them.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# RFC 9110 5.5: no control characters but TAB in a field value or a reason.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS = re.compile(r"([1-9][0-9]{2}) ([^\x00-\x08\x0a-\x1f\x7f]*)\Z")

_WSGI_VERSION = (1, 0)
# Characters left as they are when a decoded path is percent-encoded again
# (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=~-._"


def parse_status(status: Any) -> tuple[int, str]:
    """Split a WSGI status string ``"200 OK"`` into code and reason.

    Raises:
        WSGIProtocolError: ``status`` is not a str of three digits, a space
            and a reason phrase without control characters.
    """
    if not isinstance(status, str):
        raise WSGIProtocolError(
            f"the WSGI status must be a str such as '200 OK', not {type(status).__name__}"
        )
    match = _STATUS.match(status)
    if match is None:
        raise WSGIProtocolError(
            f"invalid WSGI status {status[:60]!r}: it must be three digits, a space and "
            "a reason phrase without control characters, e.g. '404 Not Found'"
        )
    return int(match.group(1)), match.group(2)


def response_headers(headers: Any) -> HTTPHeaders:
    """Check the header list given to ``start_response`` and build `HTTPHeaders`.

    Raises:
        WSGIProtocolError: ``headers`` is not a list of ``(str, str)`` tuples,
            a name is not a token, a value contains a control character or
            is not Latin-1, or a hop-by-hop header (``Connection``,
            ``Transfer-Encoding``...) is present.
    """
    if not isinstance(headers, list):
        raise WSGIProtocolError(
            f"WSGI response headers must be a list of (name, value) tuples, "
            f"not {type(headers).__name__}"
        )
    out = HTTPHeaders()
    for item in headers:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise WSGIProtocolError(
                f"a WSGI response header must be a (name, value) tuple, not {item!r:.80}"
            )
        name, value = item
        if not isinstance(name, str) or not isinstance(value, str):
            raise WSGIProtocolError(
                f"WSGI header names and values must be str, got {item!r:.80}"
            )
        if not _TOKEN.match(name):
            raise WSGIProtocolError(f"invalid WSGI header name {name[:60]!r}: it must be a token")
        if name.lower() in HOP_BY_HOP:
            raise WSGIProtocolError(
                f"a WSGI application may not set the hop-by-hop header {name!r}: "
                "the server frames the response itself (PEP 3333)"
            )
        if _CONTROL.search(value):
            raise WSGIProtocolError(
                f"unsafe value for WSGI header {name!r}: {value[:60]!r} contains a "
                "control character (CR, LF, NUL...)"
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise WSGIProtocolError(
                f"the value of WSGI header {name!r} is not Latin-1: {value[:60]!r}; "
                "encode it (e.g. RFC 8187) before calling start_response"
            ) from None
        out.add(name, value)
    return out


def build_environ(
    start_line: RequestStartLine,
    headers: HTTPHeaders,
    body: bytes | StreamingInput,
    context: HTTPConnectionContext | None,
    *,
    script_name: str = "",
    multithread: bool = True,
) -> WSGIEnviron:
    """Make the PEP 3333 ``environ`` of a request squall's server received.

    Args:
        start_line: the request line.
        headers: the request headers.
        body: the complete request body (offered as ``wsgi.input``), or a
            `StreamingInput` that receives it as it arrives.
        context: the connection's facts (client address, scheme).
        script_name: a path prefix the WSGI application is mounted at; a
            request path that starts with it has it moved to
            ``SCRIPT_NAME``.
        multithread: the value of ``wsgi.multithread``.

    Returns:
        The ``environ`` dict.
    """
    method, target, version = start_line
    raw_path, _, query = target.partition("?")
    if raw_path.startswith(("http://", "https://")):
        # An absolute-form target (RFC 9112 3.2.2): keep only its path.
        raw_path = urllib.parse.urlsplit(raw_path).path or "/"
    path = urllib.parse.unquote_to_bytes(raw_path).decode("latin-1")
    script = ""
    if script_name and (path == script_name or path.startswith(script_name + "/")):
        script, path = script_name, path[len(script_name) :]
    scheme = context.protocol if context is not None else "http"
    host_header = headers.get("Host")
    if host_header:
        server_name, port = split_host_and_port(host_header)
    else:
        server_name, port = "localhost", None
    if server_name.startswith("[") and server_name.endswith("]"):
        server_name = server_name[1:-1]
    if port is None:
        port = 443 if scheme == "https" else 80
    environ: WSGIEnviron = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": version,
        "REMOTE_ADDR": context.remote_ip if context is not None else "",
        "wsgi.version": _WSGI_VERSION,
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body) if isinstance(body, bytes) else body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # wsgi.input ends where the body ends, chunked or not: reading to EOF
        # is safe (a common extension; Werkzeug relies on it without a
        # Content-Length).
        "wsgi.input_terminated": True,
    }
    address = context.address if context is not None else None
    if isinstance(address, tuple) and len(address) >= 2:
        environ["REMOTE_PORT"] = str(address[1])
    content_type = headers.get("Content-Type")
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if not isinstance(body, bytes):
        # Streamed: the declared length, if any (a chunked body has none and
        # is read to EOF).
        declared = headers.get("Content-Length")
        if declared is not None:
            environ["CONTENT_LENGTH"] = declared
    elif body or "Content-Length" in headers or "Transfer-Encoding" in headers:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name in headers:
        if name in ("Content-Type", "Content-Length"):
            continue
        if "_" in name:
            # "X_User" and "X-User" would both become HTTP_X_USER; a proxy
            # that checked one could be bypassed with the other.
            gen_log.debug("WSGI environ: dropped header %r (underscore in name)", name)
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        values = headers.get_list(name)
        separator = "; " if name == "Cookie" else ", "
        environ[key] = separator.join(values)
    return environ


@functools.lru_cache(maxsize=512)
def _header_name(key: str) -> str:
    """``HTTP_X_FORWARDED_FOR`` -> ``X-Forwarded-For``."""
    return "-".join(part.capitalize() for part in key[5:].split("_"))


@functools.lru_cache(maxsize=1024)
def _quote_path(path: str) -> str:
    return urllib.parse.quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE) or "/"


def request_head_from_environ(
    environ: WSGIEnviron,
) -> tuple[RequestStartLine, HTTPHeaders, HTTPConnectionContext]:
    """The request line, headers and connection context described by ``environ``.

    The path is ``SCRIPT_NAME + PATH_INFO`` percent-encoded again (PEP 3333
    gives it decoded, as Latin-1 text), followed by ``?QUERY_STRING``.

    Raises:
        WSGIProtocolError: a required key (``REQUEST_METHOD``) is missing.
    """
    method = environ.get("REQUEST_METHOD")
    if not isinstance(method, str) or not method:
        raise WSGIProtocolError("the WSGI environ has no REQUEST_METHOD")
    uri = _quote_path(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    query = environ.get("QUERY_STRING")
    if query:
        uri += "?" + query
    headers = HTTPHeaders()
    for key, value in environ.items():
        if key[:5] == "HTTP_" and value.__class__ is str:
            if key != "HTTP_CONTENT_TYPE" and key != "HTTP_CONTENT_LENGTH":
                headers.add(_header_name(key), value)
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        headers.add("Content-Type", content_type)
    content_length = environ.get("CONTENT_LENGTH")
    if content_length:
        headers.add("Content-Length", content_length)
    scheme = environ.get("wsgi.url_scheme") or "http"
    if "Host" not in headers:
        server_name = environ.get("SERVER_NAME") or "localhost"
        port = environ.get("SERVER_PORT") or ""
        default = "443" if scheme == "https" else "80"
        headers.add("Host", server_name if port in ("", default) else f"{server_name}:{port}")
    remote_ip = environ.get("REMOTE_ADDR") or ""
    address: Any = None
    remote_port = environ.get("REMOTE_PORT")
    if remote_port and remote_ip:
        try:
            address = (remote_ip, int(remote_port))
        except ValueError:
            address = None
    context = HTTPConnectionContext(remote_ip=remote_ip, protocol=scheme, address=address)
    version = environ.get("SERVER_PROTOCOL") or "HTTP/1.0"
    return RequestStartLine(method, uri, version), headers, context
