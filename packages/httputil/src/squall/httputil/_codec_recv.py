"""The receiving half of `HTTP1Codec`: bytes in, events out.

How this works: ``next_event`` dispatches on the receive state (see the
table in ``_codec.py``). A request head is checked in one pass by a regular
expression over the whole head (`_REQUEST_HEAD_RE`); only when that fails does
the slower line-by-line parser run, to name the exact error. Both accept the
same language: the fast path never admits what the slow path would reject.
"""

from __future__ import annotations

import re
from typing import Optional, Union

from ._errors import HTTPInputError, _snippet
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
from ._headers import _NORMALIZED, HTTPHeaders, _new_headers, _normalize_name
from ._startline import (
    _REQUEST_LINE_RE,
    SUPPORTED_VERSIONS,
    RequestStartLine,
    parse_request_start_line,
    parse_response_start_line,
)

from ._codec_states import (
    _BODY_LENGTH,
    _BODY_UNTIL_CLOSE,
    _CHUNK_CRLF,
    _CHUNK_DATA,
    _CHUNK_SIZE,
    _CLOSED,
    _CONTENT_LENGTH_RE,
    _CTL_RE,
    _DONE,
    _ERROR,
    _HEAD,
    _NO_BODY_STATUSES,
    _SWITCHED,
    _TOKEN_RE,
    _TRAILERS,
    _CodecFields,
)

__all__: list[str] = []

# A whole field section at once (each line "token:value", CRLF-terminated);
# the per-line loop runs only to name the error when this fails to match.
_FIELDS_RE = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r\n)*\Z")


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
# chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1); at most 16 hex
# digits. chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ).
_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_CHUNK_LINE_RE = re.compile(
    rb"([0-9A-Fa-f]{1,16})"
    rb"((?:[ \t]*;[ \t]*" + _TCHAR + rb"+(?:[ \t]*=[ \t]*(?:" + _TCHAR + rb"+"
    rb'|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*)\Z'
)
# A whole request head in one match (the fast path): request-line, then
# "token:value" fields, each line ending in CRLF; values hold HTAB, SP,
# visible ASCII and obs-text only (RFC 9112 sections 3 and 5; RFC 9110
# section 5.5). Anything else goes to the line-by-line parser for its error.
_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_REQUEST_HEAD_RE = re.compile(
    rf"({_TCHARS}+) ([\x21-\x7e]+) (HTTP/1\.[01])\r\n"
    rf"((?:{_TCHARS}+:[\t\x20-\x7e\x80-\xff]*\r\n)*)\Z"
)
_new_tuple = tuple.__new__
# Request fields defined as a single value (RFC 9110) whose repetition is a
# real ambiguity: which media type frames a form or multipart body, which
# credentials are checked. Two of them are a 400, never "first wins" here and
# "last wins" in a proxy (ROBUSTNESS.md 12). Host and Content-Length have
# their own rules below.
# Host values already seen valid (a server hears a few names): a set lookup
# instead of a regex match per request. Bounded in count and length.
_GOOD_HOSTS: set[str] = set()
# Fields that make a request head more than the common case (see
# receive_request): framing, connection options, expectations.
_SPECIAL_FIELDS = frozenset(("Content-Length", "Transfer-Encoding", "Connection", "Expect"))
_SINGLETON_FIELDS = ("Content-Type", "Authorization", "Proxy-Authorization")
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+=%]*|\[[0-9A-Za-z:.\-]+\])(?::[0-9]*)?\Z"
)

# Request heads already parsed and found valid, keyed by their exact bytes
# (request line through the blank line), with everything their meaning
# decides: the start line, the fields, how many field lines, keep-alive,
# 100-continue and the body framing. A client on a keep-alive connection
# (or a load generator) sends the same head again and again; replaying it
# costs a dict lookup instead of a parse. It is exact, not lenient: only a
# head that passed every check is stored, a hit needs the very same bytes,
# and the only codec setting a stored head depends on (max_header_count) is
# checked again on every hit (the size limits are checked before the
# lookup). Bounded: heads up to _HEAD_CACHE_MAX_BYTES, at most
# _HEAD_CACHE_MAX_ENTRIES of them (the table is emptied when full, so a
# client that sends ever-new heads only costs an insertion per request).
_HeadEntry = tuple[
    RequestStartLine,
    # (name, value) pairs, or {name: values} when a name repeats
    Union[tuple[tuple[str, str], ...], dict[str, tuple[str, ...]]],
    int,  # field lines
    bool,  # keep-alive
    bool,  # 100-continue
    Optional[int],  # body: None (none), -1 (chunked), or the Content-Length
]
_HEAD_CACHE: dict[bytes, _HeadEntry] = {}
_HEAD_CACHE_MAX_BYTES = 2048
_HEAD_CACHE_MAX_ENTRIES = 256


def _remember_head(key: bytes, head: RequestHead, line_count: int) -> None:
    """Store a valid request head's meaning in `_HEAD_CACHE` (see above)."""
    d = head.headers._dict
    cl = d.get("Content-Length")
    framing: int | None
    if "Transfer-Encoding" in d:
        framing = -1  # (validated: exactly chunked)
    elif cl is not None:
        if len(cl) != 1 or "," in cl[0]:
            # Repeated values are accepted or not by a per-codec setting
            # (allow_repeated_content_length): not a property of the bytes.
            return
        framing = int(cl[0])
    else:
        framing = None
    pairs: tuple[tuple[str, str], ...] | dict[str, tuple[str, ...]]
    if line_count == len(d):
        pairs = tuple([(name, values[0]) for name, values in d.items()])
    else:
        pairs = {name: tuple(values) for name, values in d.items()}
    if len(_HEAD_CACHE) >= _HEAD_CACHE_MAX_ENTRIES:
        _HEAD_CACHE.clear()
    _HEAD_CACHE[key] = (
        head.start_line,
        pairs,
        line_count,
        head.keep_alive,
        head.expect_continue,
        framing,
    )



class _Receiver(_CodecFields):
    """Receiving methods of `HTTP1Codec` (which owns the slots)."""

    __slots__ = ()


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

    def receive_request(self, data: bytes) -> RequestHead | None:
        """Receive bytes and, when they complete a request head, return its event at once.

        A fast path for servers, equivalent to `receive_data` followed by
        `next_event` when a connection waits for a request and nothing is
        buffered: if ``data`` holds a whole request head, the head is parsed
        (with every check `next_event` makes) and its `RequestHead` is
        returned; the bytes after it stay buffered (a body or pipelined
        requests) and the exchange goes on as after `next_event` returned
        that head (`take_end`, then `next_event`). Otherwise ``data`` is
        only buffered and ``None`` is returned: call `next_event` as usual.

        Raises:
            HTTPInputError: As `next_event`, for a malformed head.
            RuntimeError: If called after `receive_eof`.
        """
        if self._state != _HEAD or self._buf or self._eof or self.role != "server":
            self.receive_data(data)
            return None
        end = data.find(b"\r\n\r\n")
        size = len(data)
        if end == -1 or end > self.max_start_line_size or end + 4 > self.max_header_size:
            self._buf += data
            return None
        # A head seen before (byte for byte) has a known meaning: replay it.
        key = data if end + 4 == size and data.__class__ is bytes else bytes(data[: end + 4])
        entry = _HEAD_CACHE.get(key)
        if entry is not None and entry[2] <= self.max_header_count:
            start_line, pairs, _, keep_alive, expect_continue, framing = entry
            if end + 4 != size:
                self._buf += data[end + 4 :]
            version = start_line[2]
            self.their_http_version = version
            self._request_method = start_line[0]
            self._request_version = version
            self._request_keep_alive = keep_alive
            if framing is None:
                self._state = _DONE
                self._pending_end = True
            elif framing < 0:
                self._begin_chunked()
            else:
                self._begin_length(framing)
            if not keep_alive:
                self.keep_alive = False
            headers = _new_headers(HTTPHeaders)
            if isinstance(pairs, dict):  # a repeated name: rebuild the lists
                headers._dict = {name: list(values) for name, values in pairs.items()}
            else:
                headers._dict = {name: [value] for name, value in pairs}
            return _new_tuple(RequestHead, (start_line, headers, keep_alive, expect_continue))
        if end + 4 == size:
            m = _REQUEST_HEAD_RE.match(data.decode("latin-1"), 0, end + 2)
        else:
            m = _REQUEST_HEAD_RE.match(data[: end + 2].decode("latin-1"))
        if m is None:
            # Leading empty lines or a malformed head: next_event's parser
            # names the error.
            self._buf += data
            return None
        method, target, version, fields = m.groups()
        lines = fields.split("\r\n")
        lines.pop()  # the empty string after the last CRLF
        if len(lines) > self.max_header_count:
            self._buf += data
            return None
        d: dict[str, list[str]] = {}
        cache = _NORMALIZED
        for line in lines:
            name, _, value = line.partition(":")
            norm = cache.get(name) or _normalize_name(name)
            value = value.strip(" \t")
            values = d.get(norm)
            if values is None:
                d[norm] = [value]
            else:
                values.append(value)
        if end + 4 != size:
            self._buf += data[end + 4 :]
        hosts = d.get("Host")
        if (
            # The commonest request, checked inline: HTTP/1.1, origin-form
            # target, one Host already seen valid, no repeated field, and
            # nothing that bears on framing or the connection. Its meaning
            # is then exactly what _request_semantics would find.
            version == "HTTP/1.1"
            and target[0] == "/"
            and hosts is not None
            and len(hosts) == 1
            and hosts[0] in _GOOD_HOSTS
            and len(lines) == len(d)
            and _SPECIAL_FIELDS.isdisjoint(d)
        ):
            self.their_http_version = version
            self._request_method = method
            self._request_version = version
            self._request_keep_alive = True
            self._state = _DONE
            self._pending_end = True
            headers = _new_headers(HTTPHeaders)
            headers._dict = d
            head = _new_tuple(
                RequestHead,
                (_new_tuple(RequestStartLine, (method, target, version)), headers, True, False),
            )
        else:
            try:
                head = self._request_semantics(method, target, version, d, len(lines) != len(d))
            except HTTPInputError:
                self._state = _ERROR
                self.keep_alive = False
                raise
        if end + 4 <= _HEAD_CACHE_MAX_BYTES:
            _remember_head(key, head, len(lines))
        return head

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
        # Keep the CRLF that ends the last line: every line then ends in one.
        text = buf[: end + 2].decode("latin-1")
        del buf[: end + 4]
        try:
            if self.role == "server":
                m = _REQUEST_HEAD_RE.match(text)
                if m is not None:
                    return self._fast_request_head(m)
                return self._parse_request_head(text[:-2])
            return self._parse_response_head(text[:-2])
        except HTTPInputError:
            self._state = _ERROR
            self.keep_alive = False
            raise

    def _head_incomplete(self) -> ConnectionClosed | _Sentinel:
        buf = self._buf
        n = len(buf)
        # A bare LF can never end a line here (RFC 9112 section 2.2): say so
        # now instead of waiting for a CRLF CRLF that may never come (a
        # peer using LF line ends would otherwise be noticed only at a
        # timeout, a size limit or the close). Bytes before _search_from
        # were checked on an earlier call, so a dribbled head costs linear
        # time.
        start = self._search_from
        if buf.count(b"\n", start + 1) != buf.count(b"\r\n", start) or (
            n and buf[0] == 0x0A
        ):
            raise self._fail("bare LF in the message head; end every line with CRLF")
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

    def _fast_request_head(self, m: re.Match[str]) -> RequestHead:
        """Finish a request head that `_REQUEST_HEAD_RE` matched as a whole.

        The match already proved the grammar (token method, visible target,
        HTTP/1.0 or 1.1, ``token:value`` fields without stray controls), so
        only the split into fields and the semantic checks remain.
        """
        method, target, version, fields = m.groups()
        d: dict[str, list[str]] = {}
        repeated = False
        if fields:
            lines = fields.split("\r\n")
            lines.pop()  # the empty string after the last CRLF
            if len(lines) > self.max_header_count:
                raise HTTPInputError(f"more than {self.max_header_count} header fields", 431)
            cache = _NORMALIZED
            for line in lines:
                name, _, value = line.partition(":")
                norm = cache.get(name) or _normalize_name(name)
                value = value.strip(" \t")
                values = d.get(norm)
                if values is None:
                    d[norm] = [value]
                else:
                    values.append(value)
            repeated = len(lines) != len(d)
        return self._request_semantics(method, target, version, d, repeated)

    def _parse_request_head(self, text: str) -> RequestHead:
        """The line-by-line parser: names the exact error in a malformed head."""
        first, fields = self._split_head(text)
        m = _REQUEST_LINE_RE.match(first)
        if m is None or m.group(3) not in SUPPORTED_VERSIONS:
            start_line = parse_request_start_line(first)  # raises the specific error
        else:
            start_line = RequestStartLine(*m.groups())
        method, target, version = start_line
        headers = self._parse_fields(fields, "header")
        return self._request_semantics(method, target, version, headers._dict, True)

    def _request_semantics(
        self,
        method: str,
        target: str,
        version: str,
        d: dict[str, list[str]],
        repeated: bool,
    ) -> RequestHead:
        """Check a parsed request head's meaning (RFC 9112) and set the framing.

        ``repeated`` says that some field name may occur more than once.
        """
        self.their_http_version = version
        http11 = version == "HTTP/1.1"
        if repeated:
            for name in _SINGLETON_FIELDS:
                values = d.get(name)
                if values is not None and len(values) > 1:
                    raise HTTPInputError(
                        f"request with more than one {name} header; send it once"
                    )

        # Host (RFC 9112 section 3.2): exactly one in HTTP/1.1, well formed.
        hosts = d.get("Host")
        if hosts is None:
            if http11:
                raise HTTPInputError("HTTP/1.1 request without a Host header")
        elif len(hosts) != 1:
            raise HTTPInputError("request with more than one Host header")
        elif hosts[0] not in _GOOD_HOSTS:
            host = hosts[0]
            if _HOST_RE.match(host) is None:
                raise HTTPInputError(f"invalid Host header: {_snippet(host)}")
            if len(_GOOD_HOSTS) < 256 and len(host) <= 255:
                _GOOD_HOSTS.add(host)

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
        # Built with tuple.__new__: the fields are valid by construction, and
        # the NamedTuples' own __new__ is a Python-level call per event.
        headers = _new_headers(HTTPHeaders)
        headers._dict = d
        return _new_tuple(
            RequestHead,
            (_new_tuple(RequestStartLine, (method, target, version)), headers, keep_alive, expect_continue),
        )

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



# State -> reader. _HEAD, _DONE, _ERROR, _CLOSED and _SWITCHED are handled
# inline in next_event; _DONE appears here too for the owed EndOfMessage.
_RECV_STEPS = {
    _BODY_LENGTH: _Receiver._read_length,
    _CHUNK_SIZE: _Receiver._read_chunk_size,
    _CHUNK_DATA: _Receiver._read_chunk_data,
    _CHUNK_CRLF: _Receiver._read_chunk_crlf,
    _TRAILERS: _Receiver._read_trailers,
    _BODY_UNTIL_CLOSE: _Receiver._read_until_close,
}
