"""HTTP1Codec: a strict sans-IO HTTP/1.1 parser and serializer.

How this works
--------------
The codec never touches a socket. The owner feeds it bytes with
``receive_data`` (and ``receive_eof`` when the peer closes), then calls
``next_event`` until it returns ``NEED_DATA`` or ``PAUSED``. Outgoing
messages go the other way: ``send_head``, ``send_data`` and ``send_end``
return the bytes to write.

One codec serves one connection, in one role:

- ``role="server"`` parses requests and serializes responses;
- ``role="client"`` serializes requests and parses responses. The response
  parser learns the request method from ``send_head`` (a response to HEAD
  has no body), skips ``1xx`` heads to the final one, and reads a response
  without framing until the connection closes.

The receiving side is a table of states (``_RECV_STEPS`` below maps each to
its reader method)::

    HEAD ──> BODY_LENGTH ─────────────────────────────┐
      │  ──> CHUNK_SIZE <─> CHUNK_DATA ─> CHUNK_CRLF  │
      │          └──> TRAILERS ───────────────────────┤
      │  ──> BODY_UNTIL_CLOSE (client only) ──────────┤
      └──────────────────────────────────────────────>┴─> DONE ─> (start_next_cycle) ─> HEAD
    any state ──> ERROR (after an HTTPInputError; sticky)
    HEAD ──> CLOSED (clean EOF between messages); 101 response ──> SWITCHED

A message is complete when ``EndOfMessage`` is returned; the codec then
stays ``PAUSED`` (pipelined bytes wait in its buffer) until the owner calls
``start_next_cycle`` once the answer has been sent, which keeps at most one
parsed request per connection: the bound on pipelining.

Strictness (RFC 9110/9112, and squall's ROBUSTNESS.md sections 1-2): every
malformed or ambiguous message raises `HTTPInputError` whose ``status_code``
is the answer to send (400, 413, 414, 417, 431, 501, 505); after that the
connection must be closed. No check uses ``assert``.
"""

from __future__ import annotations

import re
from typing import Literal

from ._errors import HTTPInputError, HTTPOutputError, _snippet
from ._events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    RequestHead,
    ResponseHead,
    _Sentinel,
)
from ._headers import _NORMALIZED, HTTPHeaders, _normalize_name
from ._startline import (
    _REQUEST_LINE_RE,
    SUPPORTED_VERSIONS,
    RequestStartLine,
    ResponseStartLine,
    parse_request_start_line,
    parse_response_start_line,
)

__all__ = ["HTTP1Codec"]

# Receive states.
_HEAD = 0
_BODY_LENGTH = 1
_CHUNK_SIZE = 2
_CHUNK_DATA = 3
_CHUNK_CRLF = 4
_TRAILERS = 5
_BODY_UNTIL_CLOSE = 6
_DONE = 7
_ERROR = 8
_CLOSED = 9
_SWITCHED = 10

# Send framings.
_OUT_IDLE = 0
_OUT_NONE = 1  # no body allowed (HEAD, 1xx, 204, 304, bodiless request)
_OUT_LENGTH = 2
_OUT_CHUNKED = 3
_OUT_UNTIL_CLOSE = 4
_OUT_DONE = 5

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# A whole field section at once (each line "token:value", CRLF-terminated);
# the per-line loop runs only to name the error when this fails to match.
_FIELDS_RE = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r\n)*\Z")
# In a head decoded as Latin-1: controls other than HTAB, CR and LF. (A CR
# or LF outside a CRLF pair is caught by counting, see _bad_control.)
_CTL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _bad_control(text: str) -> str | None:
    """Name the first forbidden control in a head, or return None.

    Forbidden: controls other than HTAB, and any CR or LF that is not part
    of a CRLF pair (RFC 9112 section 2.2). Three C-speed passes; a regex
    with look-arounds costs several times more on every request.
    """
    m = _CTL_RE.search(text)
    if m is not None:
        return repr(m.group())
    pairs = text.count("\r\n")
    if text.count("\r") != pairs:
        return "bare CR"
    if text.count("\n") != pairs:
        return "bare LF"
    return None
# Content-Length: 1*DIGIT, ASCII only, no sign, no leading zero, bounded so
# that no big-int parse ever happens (RFC 9110 section 8.6).
_CONTENT_LENGTH_RE = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
# chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1); at most 16 hex
# digits. chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ).
_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_CHUNK_LINE_RE = re.compile(
    rb"([0-9A-Fa-f]{1,16})"
    rb"((?:[ \t]*;[ \t]*" + _TCHAR + rb"+(?:[ \t]*=[ \t]*(?:" + _TCHAR + rb"+"
    rb'|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*)\Z'
)
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+=%]*|\[[0-9A-Za-z:.\-]+\])(?::[0-9]*)?\Z"
)
_OUT_TARGET_RE = re.compile(r"[\x21-\x7e]+\Z")

_NO_BODY_STATUSES = frozenset((204, 304))


class HTTP1Codec:
    """A strict sans-IO HTTP/1.1 codec for one connection.

    Receiving::

        codec = HTTP1Codec("server")
        codec.receive_data(b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
        codec.next_event()   # RequestHead(start_line=..., headers=..., ...)
        codec.next_event()   # EndOfMessage(trailers=None)
        codec.next_event()   # PAUSED: answer first

    Sending (server role; the client role mirrors it with a request)::

        out = codec.send_head(ResponseStartLine("HTTP/1.1", 200, "OK"),
                              HTTPHeaders({"Content-Length": "2"}))
        out += codec.send_data(b"ok")
        out += codec.send_end()      # list of bytes for transport.writelines
        if codec.keep_alive:
            codec.start_next_cycle()

    Args:
        role: ``"server"`` (parse requests, write responses) or ``"client"``
            (write requests, parse responses).
        max_start_line_size: Longest request or status line; longer is 414
            (a request line) or 400.
        max_header_size: Largest head (start line plus header fields) and
            largest trailer section; larger is 431.
        max_header_count: Most header (or trailer) fields; more is 431.
        max_body_size: Largest body in bytes (after de-chunking); larger is
            413. May be changed (``codec.max_body_size = n``) after the head
            event and before the body is read.
        allow_repeated_content_length: Accept a ``Content-Length`` given
            several times with the same value (``10, 10``). Strict (400) by
            default.

    Attributes:
        keep_alive: ``False`` once either side has said the connection ends
            after the current exchange, or the framing needs it.
        their_http_version: The peer's HTTP version from the last head.
        max_body_size: See above.
    """

    __slots__ = (
        "role",
        "max_start_line_size",
        "max_header_size",
        "max_header_count",
        "max_body_size",
        "allow_repeated_content_length",
        "keep_alive",
        "their_http_version",
        "_buf",
        "_search_from",
        "_state",
        "_remaining",
        "_body_size",
        "_body_checked",
        "_eof",
        "_request_method",
        "_out",
        "_out_remaining",
        "_request_keep_alive",
        "_request_version",
        "_pending_end",
        "_start_ok",
    )

    def __init__(
        self,
        role: Literal["server", "client"],
        *,
        max_start_line_size: int = 16384,
        max_header_size: int = 65536,
        max_header_count: int = 100,
        max_body_size: int = 100 * 1024 * 1024,
        allow_repeated_content_length: bool = False,
    ) -> None:
        if role not in ("server", "client"):
            raise ValueError(f"role must be 'server' or 'client', not {role!r}")
        self.role = role
        self.max_start_line_size = max_start_line_size
        self.max_header_size = max_header_size
        self.max_header_count = max_header_count
        self.max_body_size = max_body_size
        self.allow_repeated_content_length = allow_repeated_content_length
        self.keep_alive = True
        self.their_http_version: str | None = None
        self._buf = bytearray()
        self._search_from = 0
        self._state = _HEAD
        self._remaining = 0
        self._body_size = 0
        self._body_checked = False
        self._eof = False
        self._request_method: str | None = None
        self._out = _OUT_IDLE
        self._out_remaining = 0
        self._request_keep_alive = True
        self._request_version = "HTTP/1.1"
        # A bodiless message completes with an EndOfMessage right after its
        # head; _pending_end marks that one event is still owed.
        self._pending_end = False
        # The start line of the head being buffered is known to fit.
        self._start_ok = False

    # ------------------------------------------------------------------
    # Receiving

    def receive_data(self, data: bytes) -> None:
        """Append bytes read from the peer to the codec's buffer.

        Raises:
            RuntimeError: If called after `receive_eof`.
        """
        if self._eof:
            raise RuntimeError("receive_data() called after receive_eof()")
        self._buf += data

    def receive_eof(self) -> None:
        """Tell the codec that the peer closed its side of the connection."""
        self._eof = True

    @property
    def trailing_data(self) -> bytes:
        """Bytes received but not consumed (pipelined data, or data after a 101)."""
        return bytes(self._buf)

    def take_end(self) -> bool:
        """Consume the `EndOfMessage` owed right after a bodiless head.

        A fast path for servers: after a head event, ``take_end()`` returns
        True (and the next `next_event` returns `PAUSED`) when the message
        had no body, sparing one `next_event` call. Otherwise it returns
        False and changes nothing.
        """
        if self._pending_end:
            self._pending_end = False
            return True
        return False

    @property
    def buffered_size(self) -> int:
        """The number of received bytes not yet turned into events."""
        return len(self._buf)

    @property
    def paused(self) -> bool:
        """True when a message is complete and `start_next_cycle` is awaited."""
        return self._state == _DONE or self._state == _SWITCHED

    @property
    def reading_body(self) -> bool:
        """True between a head event and the end of its body."""
        return _BODY_LENGTH <= self._state <= _BODY_UNTIL_CLOSE

    def next_event(
        self,
    ) -> RequestHead | ResponseHead | Data | EndOfMessage | ConnectionClosed | _Sentinel:
        """Return the next event, or `NEED_DATA` / `PAUSED`.

        Returns:
            `RequestHead` (server) or `ResponseHead` (client), then zero or
            more `Data`, then `EndOfMessage`; `ConnectionClosed` after a
            clean EOF between messages; `NEED_DATA` when more bytes are
            needed; `PAUSED` after a complete message.

        Raises:
            HTTPInputError: The input is malformed or over a limit; its
                ``status_code`` is the answer to give. The codec stays in an
                error state: close the connection.
        """
        state = self._state
        if state == _HEAD:
            return self._read_head()
        if state == _DONE:
            if self._pending_end:
                self._pending_end = False
                return EndOfMessage()
            return PAUSED
        if state == _SWITCHED:
            return PAUSED
        if state == _ERROR:
            raise HTTPInputError("the connection already failed; close it")
        if state == _CLOSED:
            return ConnectionClosed()
        try:
            return _RECV_STEPS[state](self)
        except HTTPInputError:
            self._state = _ERROR
            self.keep_alive = False
            raise

    def start_next_cycle(self) -> None:
        """Reset for the next message once both directions are complete.

        Raises:
            HTTPOutputError: If the current exchange is not finished on both
                sides, or the connection cannot be reused (`keep_alive` is
                false).
        """
        if self._state != _DONE or self._out != _OUT_DONE:
            raise HTTPOutputError(
                "start_next_cycle() needs a complete request and response"
            )
        if not self.keep_alive:
            raise HTTPOutputError("this connection cannot be reused (keep_alive is False)")
        self._state = _HEAD
        self._out = _OUT_IDLE
        self._request_method = None

    def _fail(self, message: str, status: int = 400) -> HTTPInputError:
        self._state = _ERROR
        self.keep_alive = False
        return HTTPInputError(message, status)

    def _read_head(self) -> RequestHead | ResponseHead | ConnectionClosed | _Sentinel:
        buf = self._buf
        # RFC 9112 section 2.2: ignore empty lines before a request line.
        while buf.startswith(b"\r\n"):
            del buf[:2]
        end = buf.find(b"\r\n\r\n", self._search_from)
        if end == -1:
            return self._head_incomplete()
        self._search_from = 0
        self._start_ok = False
        if end > self.max_start_line_size or end + 4 > self.max_header_size:
            self._check_head_size(end + 4)
        text = buf[:end].decode("latin-1")
        del buf[: end + 4]
        try:
            if self.role == "server":
                return self._parse_request_head(text)
            return self._parse_response_head(text)
        except HTTPInputError:
            self._state = _ERROR
            self.keep_alive = False
            raise

    def _head_incomplete(self) -> ConnectionClosed | _Sentinel:
        buf = self._buf
        n = len(buf)
        # Resume the search near the end next time, so that a head dribbled
        # one byte at a time still costs linear time.
        self._search_from = max(0, n - 3)
        if n > self.max_start_line_size or n > self.max_header_size:
            self._check_head_size(n)
        if self._eof:
            if n == 0:
                self._state = _CLOSED
                return ConnectionClosed()
            raise self._fail("connection closed in the middle of a message head")
        return NEED_DATA

    def _check_head_size(self, size: int) -> None:
        """Raise if the buffered head's start line or whole size is over its limit."""
        limit = self.max_start_line_size
        if not self._start_ok and size > limit:
            # Bounded search: the start line must end within the limit.
            if self._buf.find(b"\r\n", 0, limit + 2) == -1:
                if self.role == "server" and b" " in self._buf[:limit]:
                    raise self._fail(f"request line longer than {limit} bytes", 414)
                raise self._fail(
                    f"start line longer than {limit} bytes: {_snippet(bytes(self._buf[:100]))}"
                )
            self._start_ok = True
        if size > self.max_header_size:
            raise self._fail(
                f"header section larger than {self.max_header_size} bytes", 431
            )

    def _parse_fields(self, text: str, what: str) -> HTTPHeaders:
        """Parse a field section (lines joined by CRLF, controls already rejected)."""
        headers = HTTPHeaders()
        if not text:
            return headers
        lines = text.split("\r\n")
        if len(lines) > self.max_header_count:
            raise HTTPInputError(
                f"more than {self.max_header_count} {what} fields", 431
            )
        if _FIELDS_RE.match(text + "\r\n") is None:
            self._field_error(lines, what)
        d = headers._dict
        for line in lines:
            name, _, value = line.partition(":")
            norm = _NORMALIZED.get(name) or _normalize_name(name)
            value = value.strip(" \t")
            values = d.get(norm)
            if values is None:
                d[norm] = [value]
            else:
                values.append(value)
        return headers

    @staticmethod
    def _field_error(lines: list[str], what: str) -> None:
        for line in lines:
            name, sep, _ = line.partition(":")
            if _TOKEN_RE.match(name) is None or not sep:
                if line[:1] in (" ", "\t"):
                    raise HTTPInputError(
                        f"obs-fold continuation line in {what} section: {_snippet(line)}"
                    )
                if not sep:
                    raise HTTPInputError(f"{what} line without a colon: {_snippet(line)}")
                raise HTTPInputError(f"invalid {what} field name: {_snippet(name)}")
        raise HTTPInputError(f"malformed {what} section")  # pragma: no cover

    @staticmethod
    def _split_head(text: str) -> tuple[str, str]:
        """Check a head for stray controls; split it into start line and fields."""
        bad = _bad_control(text)
        if bad is not None:
            raise HTTPInputError(f"forbidden control character ({bad}) in message head")
        first, _, fields = text.partition("\r\n")
        return first, fields

    def _parse_request_head(self, text: str) -> RequestHead:
        first, fields = self._split_head(text)
        m = _REQUEST_LINE_RE.match(first)
        if m is None or m.group(3) not in SUPPORTED_VERSIONS:
            start_line = parse_request_start_line(first)  # raises the specific error
        else:
            start_line = RequestStartLine(*m.groups())
        method, target, version = start_line
        headers = self._parse_fields(fields, "header")
        d = headers._dict
        self.their_http_version = version
        http11 = version == "HTTP/1.1"

        # Host (RFC 9112 section 3.2): exactly one in HTTP/1.1, well formed.
        hosts = d.get("Host")
        if hosts is None:
            if http11:
                raise HTTPInputError("HTTP/1.1 request without a Host header")
        elif len(hosts) != 1:
            raise HTTPInputError("request with more than one Host header")
        elif _HOST_RE.match(hosts[0]) is None:
            raise HTTPInputError(f"invalid Host header: {_snippet(hosts[0])}")

        # Request target forms (RFC 9112 section 3.2).
        if target[0] != "/":
            if target == "*":
                if method != "OPTIONS":
                    raise HTTPInputError("asterisk-form target is only for OPTIONS")
            elif "://" in target:
                scheme, _, rest = target.partition("://")
                authority = rest.split("/", 1)[0].split("?", 1)[0]
                if scheme.lower() not in ("http", "https") or "@" in authority:
                    raise HTTPInputError(f"unsupported absolute-form target: {_snippet(target)}")
                if hosts is not None and hosts[0].lower() != authority.lower():
                    raise HTTPInputError("absolute-form target does not match the Host header")
            elif method != "CONNECT":
                raise HTTPInputError(f"invalid request target: {_snippet(target)}")

        self._request_method = method
        self._request_version = version
        keep_alive = http11 if "Connection" not in d else self._connection_keep_alive(d, http11)
        self._request_keep_alive = keep_alive
        if not keep_alive:
            self.keep_alive = False

        expect_continue = False
        if "Expect" in d and http11:
            expect = d["Expect"]
            # RFC 9110 section 10.1.1: 100-continue is the only expectation.
            if len(expect) != 1 or expect[0].lower() != "100-continue":
                raise HTTPInputError(
                    f"unsupported Expect: {_snippet(','.join(expect))}", 417
                )
            expect_continue = True

        if "Transfer-Encoding" in d or "Content-Length" in d:
            self._set_request_framing(d, version)
        else:
            # The common case, inlined: no body.
            self._state = _DONE
            self._pending_end = True
        return RequestHead(start_line, headers, keep_alive, expect_continue)

    @staticmethod
    def _connection_keep_alive(d: dict[str, list[str]], http11: bool) -> bool:
        conn = d.get("Connection")
        if conn is None:
            return http11
        options = {o.strip(" \t").lower() for v in conn for o in v.split(",")}
        if "close" in options:
            return False
        return http11 or "keep-alive" in options

    def _set_request_framing(self, d: dict[str, list[str]], version: str) -> None:
        te = d.get("Transfer-Encoding")
        cl = d.get("Content-Length")
        if te is not None:
            if cl is not None:
                raise HTTPInputError("request has both Transfer-Encoding and Content-Length")
            if version != "HTTP/1.1":
                raise HTTPInputError("Transfer-Encoding is not allowed in HTTP/1.0")
            self._check_chunked(te, request=True)
            self._begin_chunked()
        elif cl is not None:  # (called only when one of the two is present)
            self._begin_length(self._parse_content_length(cl))

    def _check_chunked(self, te: list[str], request: bool) -> bool:
        """Validate Transfer-Encoding; return True if the body is chunked.

        A request's codings must be exactly ``chunked`` (RFC 9112 section
        6.3: chunked must be final; squall implements no other coding). For
        a response, a final coding other than chunked means read until close.
        """
        if len(te) == 1 and te[0].lower() == "chunked":
            return True
        codings = [c.strip(" \t").lower() for v in te for c in v.split(",")]
        for c in codings:
            if _TOKEN_RE.match(c) is None:
                raise HTTPInputError(f"invalid Transfer-Encoding: {_snippet(','.join(te))}")
        if codings.count("chunked") > 1 or (
            "chunked" in codings and codings[-1] != "chunked"
        ):
            raise HTTPInputError(f"invalid Transfer-Encoding: {_snippet(','.join(te))}")
        if request:
            if codings[-1] != "chunked":
                raise HTTPInputError(
                    "request Transfer-Encoding must end with chunked: "
                    f"{_snippet(','.join(te))}"
                )
            raise HTTPInputError(
                f"unsupported transfer coding: {_snippet(','.join(te))}", 501
            )
        return codings[-1] == "chunked"

    def _parse_content_length(self, values: list[str]) -> int:
        if len(values) != 1 or "," in values[0]:
            parts = [p.strip(" \t") for v in values for p in v.split(",")]
            if not self.allow_repeated_content_length or len(set(parts)) != 1:
                raise HTTPInputError(
                    f"multiple Content-Length values: {_snippet(','.join(values))}"
                )
            value = parts[0]
        else:
            value = values[0]
        if _CONTENT_LENGTH_RE.match(value) is None:
            raise HTTPInputError(f"invalid Content-Length: {_snippet(value)}")
        return int(value)

    def _begin_length(self, length: int) -> None:
        self._body_size = 0
        self._body_checked = False
        if length == 0:
            self._state = _DONE
            self._remaining = 0
            self._pending_end = True
        else:
            self._remaining = length
            self._state = _BODY_LENGTH

    def _begin_chunked(self) -> None:
        self._body_size = 0
        self._state = _CHUNK_SIZE

    def _parse_response_head(self, text: str) -> ResponseHead:
        first, fields = self._split_head(text)
        start_line = parse_response_start_line(first)
        headers = self._parse_fields(fields, "header")
        d = headers._dict
        self.their_http_version = start_line.version
        code = start_line.code
        keep_alive = self._connection_keep_alive(d, start_line.version == "HTTP/1.1")
        if 100 <= code < 200:
            if code == 101:
                self._state = _SWITCHED
                self.keep_alive = False
            # Informational: the final head follows; stay in _HEAD.
            return ResponseHead(start_line, headers, keep_alive)
        if not keep_alive:
            self.keep_alive = False
        method = self._request_method
        te = d.get("Transfer-Encoding")
        cl = d.get("Content-Length")
        if method == "HEAD" or code in _NO_BODY_STATUSES or (
            method == "CONNECT" and 200 <= code < 300
        ):
            if cl is not None:
                self._parse_content_length(cl)  # validated even when unused
            self._begin_length(0)
        elif te is not None:
            if cl is not None:
                raise HTTPInputError("response has both Transfer-Encoding and Content-Length")
            if self._check_chunked(te, request=False):
                self._begin_chunked()
            else:
                self._begin_until_close()
        elif cl is not None:
            self._begin_length(self._parse_content_length(cl))
        else:
            self._begin_until_close()
        return ResponseHead(start_line, headers, keep_alive)

    def _begin_until_close(self) -> None:
        self._body_size = 0
        self.keep_alive = False
        self._state = _BODY_UNTIL_CLOSE

    def _check_body_budget(self, more: int) -> None:
        if self._body_size + more > self.max_body_size:
            raise HTTPInputError(
                f"body larger than max_body_size ({self.max_body_size} bytes)", 413
            )

    def _read_length(self) -> Data | EndOfMessage | _Sentinel:
        if not self._body_checked:
            self._check_body_budget(self._remaining)
            self._body_checked = True
        buf = self._buf
        if not buf:
            if self._eof:
                raise self._fail("connection closed before the end of the body")
            return NEED_DATA
        n = self._remaining
        if len(buf) <= n:
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:n])
            del buf[:n]
        self._remaining = n - len(data)
        if self._remaining == 0:
            self._state = _DONE
            self._pending_end = True
        return Data(data)

    def _read_chunk_size(self) -> Data | EndOfMessage | _Sentinel:
        buf = self._buf
        end = buf.find(b"\r\n", self._search_from)
        if end == -1:
            self._search_from = max(0, len(buf) - 1)
            if len(buf) > 4096:
                raise self._fail("chunk size line longer than 4096 bytes")
            if self._eof:
                raise self._fail("connection closed in the middle of a chunked body")
            return NEED_DATA
        self._search_from = 0
        if end > 4096:
            raise self._fail("chunk size line longer than 4096 bytes")
        line = bytes(buf[:end])
        m = _CHUNK_LINE_RE.match(line)
        if m is None:
            raise self._fail(f"invalid chunk size line: {_snippet(line)}")
        del buf[: end + 2]
        size = int(m.group(1), 16)
        if size == 0:
            self._state = _TRAILERS
            return self._read_trailers()
        self._check_body_budget(size)
        self._body_size += size
        self._remaining = size
        self._state = _CHUNK_DATA
        return self._read_chunk_data()

    def _read_chunk_data(self) -> Data | EndOfMessage | _Sentinel:
        buf = self._buf
        if not buf:
            if self._eof:
                raise self._fail("connection closed in the middle of a chunk")
            return NEED_DATA
        n = self._remaining
        if len(buf) <= n:
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:n])
            del buf[:n]
        self._remaining = n - len(data)
        if self._remaining == 0:
            self._state = _CHUNK_CRLF
        return Data(data)

    def _read_chunk_crlf(self) -> Data | EndOfMessage | _Sentinel:
        buf = self._buf
        if len(buf) < 2:
            if buf and buf[0] != 0x0D:
                raise self._fail("chunk data not followed by CRLF")
            if self._eof:
                raise self._fail("connection closed in the middle of a chunked body")
            return NEED_DATA
        if buf[:2] != b"\r\n":
            raise self._fail("chunk data not followed by CRLF")
        del buf[:2]
        self._state = _CHUNK_SIZE
        return self._read_chunk_size()

    def _read_trailers(self) -> EndOfMessage | _Sentinel:
        buf = self._buf
        if buf[:2] == b"\r\n":
            del buf[:2]
            self._state = _DONE
            return EndOfMessage()
        end = buf.find(b"\r\n\r\n", self._search_from)
        if end == -1:
            self._search_from = max(0, len(buf) - 3)
            if len(buf) > self.max_header_size:
                raise self._fail(
                    f"trailer section larger than {self.max_header_size} bytes", 431
                )
            if self._eof:
                raise self._fail("connection closed in the middle of the trailers")
            if len(buf) >= 2 and (b"\n" in buf[:2] or buf[:1] == b"\r"):
                raise self._fail("malformed end of chunked body")
            return NEED_DATA
        self._search_from = 0
        if end + 4 > self.max_header_size:
            raise self._fail(f"trailer section larger than {self.max_header_size} bytes", 431)
        text = buf[:end].decode("latin-1")
        bad = _bad_control(text)
        if bad is not None:
            raise self._fail(f"forbidden control character ({bad}) in trailers")
        trailers = self._parse_fields(text, "trailer")
        del buf[: end + 4]
        self._state = _DONE
        return EndOfMessage(trailers)

    def _read_until_close(self) -> Data | EndOfMessage | _Sentinel:
        buf = self._buf
        if buf:
            self._check_body_budget(len(buf))
            self._body_size += len(buf)
            data = bytes(buf)
            buf.clear()
            return Data(data)
        if self._eof:
            self._state = _DONE
            return EndOfMessage()
        return NEED_DATA

    # ------------------------------------------------------------------
    # Sending

    def send_head(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        """Serialize a message head and choose the body framing.

        Server role: a `ResponseStartLine`. Without ``Content-Length`` or
        ``Transfer-Encoding`` the body is sent chunked to an HTTP/1.1 client
        and delimited by closing the connection otherwise. ``Connection:
        close`` (or ``keep-alive`` for an HTTP/1.0 client) is added as
        needed. Responses to HEAD, and 1xx/204/304 responses, carry no body.
        ``1xx`` heads may precede the final one.

        Client role: a `RequestStartLine`; the body is framed by its
        ``Content-Length`` or ``Transfer-Encoding: chunked`` header, else it
        must be empty.

        Args:
            start_line: The status line (server) or request line (client).
            headers: The header fields; not modified.
            extra: More ``(name, value)`` fields to send after ``headers``
                (e.g. a ``Date`` computed by the server).

        Returns:
            A list of bytes to write.

        Raises:
            HTTPOutputError: On CR, LF, NUL or other controls in a value or
                the reason, a name that is not a token, a value that is not
                Latin-1, a head sent twice, or an invalid ``Content-Length``.
        """
        if self._out != _OUT_IDLE:
            raise HTTPOutputError("message head already sent")
        d = headers._dict
        lines: list[str] = []
        if self.role == "server":
            if not isinstance(start_line, ResponseStartLine):
                raise HTTPOutputError("a server sends a ResponseStartLine")
            # The version is ignored: a server always answers as HTTP/1.1
            # (RFC 9110 section 2.5), and callers may leave it empty.
            _version, code, reason = start_line
            if not 100 <= code <= 999:
                raise HTTPOutputError(f"invalid status code: {code}")
            lines.append(f"HTTP/1.1 {code} {reason}\r\n")
            if 100 <= code < 200:
                self._write_fields(lines, headers, extra)
                return [self._encode_head(lines)]
            framing = self._response_framing(code, d, lines)
        else:
            if not isinstance(start_line, RequestStartLine):
                raise HTTPOutputError("a client sends a RequestStartLine")
            method, target, version = start_line
            if (
                _TOKEN_RE.match(method) is None
                or _OUT_TARGET_RE.match(target) is None
                or version not in SUPPORTED_VERSIONS
            ):
                raise HTTPOutputError(
                    f"invalid request line: {_snippet(f'{method} {target} {version}')}"
                )
            lines.append(f"{method} {target} {version}\r\n")
            self._request_method = method
            te = d.get("Transfer-Encoding")
            if te is not None:
                if len(te) != 1 or te[0].lower() != "chunked":
                    raise HTTPOutputError("squall can only send Transfer-Encoding: chunked")
                framing = _OUT_CHUNKED
            elif "Content-Length" in d:
                framing = _OUT_LENGTH
            else:
                framing = _OUT_NONE
            conn = d.get("Connection")
            if conn is not None and any("close" in v.lower() for v in conn):
                self.keep_alive = False
        if framing == _OUT_LENGTH:
            cl = d["Content-Length"]
            if len(cl) != 1 or _CONTENT_LENGTH_RE.match(cl[0]) is None:
                raise HTTPOutputError(f"invalid Content-Length: {_snippet(','.join(cl))}")
            self._out_remaining = int(cl[0])
        self._write_fields(lines, headers, extra)
        self._out = framing
        return [self._encode_head(lines)]

    def _response_framing(self, code: int, d: dict[str, list[str]], lines: list[str]) -> int:
        conn = d.get("Connection")
        if conn is not None and any("close" in v.lower() for v in conn):
            self.keep_alive = False
        if not self._request_keep_alive:
            self.keep_alive = False
        if self._state != _DONE:
            # Answering before the request body was read: the unread rest
            # cannot be told apart from a next request, so close afterwards.
            self.keep_alive = False
        http10 = self._request_version == "HTTP/1.0"
        if self._request_method == "HEAD" or code in _NO_BODY_STATUSES:
            framing = _OUT_NONE
        elif "Transfer-Encoding" in d:
            te = d["Transfer-Encoding"]
            if len(te) != 1 or te[0].lower() != "chunked" or http10:
                raise HTTPOutputError(
                    "a response may only use Transfer-Encoding: chunked, to HTTP/1.1"
                )
            framing = _OUT_CHUNKED
        elif "Content-Length" in d:
            framing = _OUT_LENGTH
        elif http10:
            framing = _OUT_UNTIL_CLOSE
            self.keep_alive = False
        else:
            framing = _OUT_CHUNKED
            lines.append("Transfer-Encoding: chunked\r\n")
        if conn is None:
            if not self.keep_alive:
                lines.append("Connection: close\r\n")
            elif http10:
                lines.append("Connection: keep-alive\r\n")
        return framing

    @staticmethod
    def _write_fields(
        lines: list[str], headers: HTTPHeaders, extra: list[tuple[str, str]] | None
    ) -> None:
        valid = _VALID_NAMES
        for name, values in headers._dict.items():
            if name not in valid:
                _check_name(name)
            for value in values:
                lines.append(f"{name}: {value}\r\n")
        if extra:
            for name, value in extra:
                if name not in valid:
                    _check_name(name)
                lines.append(f"{name}: {value}\r\n")

    @staticmethod
    def _encode_head(lines: list[str]) -> bytes:
        lines.append("\r\n")
        text = "".join(lines)
        # Every CR and LF must be one of ours: one CRLF per line, nothing else.
        n = len(lines)
        if (
            text.count("\n") != n
            or text.count("\r") != n
            or text.count("\r\n") != n
            or _CTL_RE.search(text) is not None
        ):
            raise HTTPOutputError(
                "CR, LF, NUL or another control character in a header value or "
                "reason phrase; remove it (this prevents response splitting)"
            )
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            raise HTTPOutputError(
                "header values must be Latin-1; encode other text first "
                "(e.g. percent-encoding or RFC 8187)"
            ) from None

    def send_data(self, data: bytes) -> list[bytes]:
        """Frame a piece of body for sending.

        Args:
            data: Body bytes (an empty ``data`` produces nothing).

        Returns:
            A list of bytes to write (chunk framing included).

        Raises:
            HTTPOutputError: If no head was sent, the message is finished,
                the data would exceed ``Content-Length``, or the message may
                not have a body (1xx/204/304; data for a HEAD response is
                dropped silently).
        """
        out = self._out
        if not data:
            if out == _OUT_IDLE or out == _OUT_DONE:
                raise HTTPOutputError("send_data() before send_head() or after send_end()")
            return []
        if out == _OUT_CHUNKED:
            return [b"%x\r\n" % len(data), data, b"\r\n"]
        if out == _OUT_LENGTH:
            n = len(data)
            if n > self._out_remaining:
                raise HTTPOutputError(
                    f"tried to write {n} bytes with only {self._out_remaining} "
                    "left of Content-Length"
                )
            self._out_remaining -= n
            return [data]
        if out == _OUT_UNTIL_CLOSE:
            return [data]
        if out == _OUT_NONE:
            if self.role == "server" and self._request_method == "HEAD":
                return []
            raise HTTPOutputError("this message cannot have a body")
        raise HTTPOutputError("send_data() before send_head() or after send_end()")

    def send_end(self) -> list[bytes]:
        """Finish the outgoing message.

        Returns:
            The bytes that end the body (``0\\r\\n\\r\\n`` when chunked), possibly none.

        Raises:
            HTTPOutputError: If no head was sent, the message is already
                finished, or fewer bytes than ``Content-Length`` were sent.
        """
        out = self._out
        if out == _OUT_IDLE or out == _OUT_DONE:
            raise HTTPOutputError("send_end() before send_head() or twice")
        self._out = _OUT_DONE
        if out == _OUT_CHUNKED:
            return [b"0\r\n\r\n"]
        if out == _OUT_LENGTH and self._out_remaining:
            self.keep_alive = False
            raise HTTPOutputError(
                f"tried to finish with {self._out_remaining} bytes of "
                "Content-Length not written"
            )
        if out == _OUT_UNTIL_CLOSE:
            self.keep_alive = False
        return []

    @property
    def sending_done(self) -> bool:
        """True once `send_end` has completed the outgoing message."""
        return self._out == _OUT_DONE

    @property
    def head_sent(self) -> bool:
        """True once a final head (not 1xx) was sent for the current message."""
        return self._out != _OUT_IDLE


_VALID_NAMES: set[str] = set()


def _check_name(name: str) -> None:
    """Raise unless ``name`` is a token; remember good names (bounded)."""
    if _TOKEN_RE.match(name) is None:
        raise HTTPOutputError(f"invalid header name: {_snippet(name)}")
    if len(_VALID_NAMES) < 2048:
        _VALID_NAMES.add(name)


# State -> reader. _HEAD, _DONE, _ERROR, _CLOSED and _SWITCHED are handled
# inline in next_event; _DONE appears here too for the owed EndOfMessage.
_RECV_STEPS = {
    _BODY_LENGTH: HTTP1Codec._read_length,
    _CHUNK_SIZE: HTTP1Codec._read_chunk_size,
    _CHUNK_DATA: HTTP1Codec._read_chunk_data,
    _CHUNK_CRLF: HTTP1Codec._read_chunk_crlf,
    _TRAILERS: HTTP1Codec._read_trailers,
    _BODY_UNTIL_CLOSE: HTTP1Codec._read_until_close,
}
