"""The sending half of `HTTP1Codec`: message parts in, bytes out."""

from __future__ import annotations

import re
from typing import Any

from ._codec_states import (
    _CONTENT_LENGTH_RE,
    _DONE,
    _NO_BODY_STATUSES,
    _OUT_CHUNKED,
    _OUT_DONE,
    _OUT_IDLE,
    _OUT_LENGTH,
    _OUT_NONE,
    _OUT_UNTIL_CLOSE,
    _TOKEN_RE,
    _CodecFields,
)
from ._errors import HTTPOutputError, _snippet
from ._headerblock import HeaderBlock
from ._headers import HTTPHeaders
from ._startline import SUPPORTED_VERSIONS, RequestStartLine, ResponseStartLine

__all__: list[str] = []

_OUT_TARGET_RE = re.compile(r"[\x21-\x7e]+\Z")
# Every control but HTAB (CR and LF included), for bytes.translate.
_CONTROLS = bytes(range(0x09)) + bytes(range(0x0A, 0x20)) + b"\x7f"


class _Sender(_CodecFields):
    """Sending methods of `HTTP1Codec` (which owns the slots)."""

    __slots__ = ()

    def send_head(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        extra: list[tuple[str, str]] | None = None,
        *,
        date: str | None = None,
        block: HeaderBlock | None = None,
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

        A head equal to a recent one (same start line, same fields in the
        same order with the same values, same block and date, and a
        connection state that frames it the same way) is not checked and
        encoded again: the bytes made for the first one are reused. The
        table is small and bounded; nothing is sent that was not checked.

        Args:
            start_line: The status line (server) or request line (client).
            headers: The header fields; not modified.
            extra: More ``(name, value)`` fields to send after ``headers``
                (e.g. a ``Date`` computed by the server). ``Content-Length``,
                ``Transfer-Encoding`` and ``Connection`` given here count
                exactly as if they were in ``headers`` (a ``Content-Length``
                in both is two values, which is an error).
            date: A ``Date`` value (an IMF-fixdate, see `format_timestamp`)
                to send when neither ``headers`` nor ``block`` has a
                ``Date`` field: an origin server must send one (RFC 9110
                section 6.6.1).
            block: A `HeaderBlock` of fields validated when it was built,
                sent verbatim after ``headers`` (and ``extra``). It holds no
                framing field; a name in both ``headers`` and the block is
                an error.

        Returns:
            A list of bytes to write.

        Raises:
            HTTPOutputError: On CR, LF, NUL or other controls in a value or
                the reason, a name that is not a token, a value that is not
                Latin-1, a head sent twice, an invalid ``Content-Length``,
                or a field given both in ``headers`` and in ``block``.
        """
        if self._out != _OUT_IDLE:
            raise HTTPOutputError("message head already sent")
        d = headers._dict
        entry = None
        cacheable = (
            # The state in which a Content-Length head gets nothing added
            # (see the common case below): only such heads are remembered.
            extra is None
            and self.keep_alive
            and self._state == _DONE
            and self._request_keep_alive
            and self._request_version == "HTTP/1.1"
            and self._request_method != "HEAD"
            and self.role == "server"
        )
        if cacheable:
            key: tuple[object, ...] = tuple(d) if block is None else (tuple(d), block)
            entry = _HEADS.get(key)
            if entry is not None:
                if (
                    entry[0] == d
                    and entry[1] == start_line
                    and start_line.__class__ is ResponseStartLine
                    and start_line[1].__class__ is int
                    and (entry[2] is _NO_DATE_LINE or entry[2] == date)
                ):
                    self._out = _OUT_LENGTH
                    self._out_remaining = entry[4]
                    return [entry[3]]
                entry[5] += 1
        if extra:
            for name, _ in extra:
                if name not in _PLAIN_EXTRA and _is_framing_name(name):
                    # A field that decides the framing or the connection's
                    # fate: merge so that it counts exactly as in headers.
                    headers = HTTPHeaders(headers)
                    for name, value in extra:
                        headers.add(name, value)
                    extra = None
                    d = headers._dict
                    break
        if block is not None and not block._names.isdisjoint(d):
            raise HTTPOutputError(
                "header fields given both in the headers and in the HeaderBlock: "
                f"{', '.join(sorted(block._names.intersection(d)))}; send each once"
            )
        if self.role == "server":
            if start_line.__class__ is not ResponseStartLine and not isinstance(
                start_line, ResponseStartLine
            ):
                raise HTTPOutputError("a server sends a ResponseStartLine")
            # The version is ignored: a server always answers as HTTP/1.1
            # (RFC 9110 section 2.5), and callers may leave it empty.
            code = start_line[1]
            if not 100 <= code <= 999:
                raise HTTPOutputError(f"invalid status code: {code}")
            lines = [f"HTTP/1.1 {code} {start_line[2]}\r\n"]
            if code < 200:
                framing = _OUT_IDLE  # informational: the final head follows
                cacheable = False
            elif (
                # The common case, inlined: a Content-Length response to a
                # whole HTTP/1.1 keep-alive request (what _response_framing
                # decides for it, with nothing to add to the head).
                "Content-Length" in d
                and self.keep_alive
                and self._state == _DONE
                and self._request_version == "HTTP/1.1"
                and "Transfer-Encoding" not in d
                and "Connection" not in d
                and self._request_keep_alive
                and self._request_method != "HEAD"
                and code != 204
                and code != 304
            ):
                framing = _OUT_LENGTH
            else:
                framing = self._response_framing(code, d, lines)
                cacheable = False
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
            lines = [f"{method} {target} {version}\r\n"]
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
        length = 0
        if framing == _OUT_LENGTH:
            cl = d["Content-Length"]
            known = _LENGTHS.get(cl[0]) if len(cl) == 1 else None
            if known is None:
                if len(cl) != 1 or _CONTENT_LENGTH_RE.match(cl[0]) is None:
                    raise HTTPOutputError(f"invalid Content-Length: {_snippet(','.join(cl))}")
                known = int(cl[0])
                if len(_LENGTHS) < 1024:
                    _LENGTHS[cl[0]] = known
            length = known
        # Names already seen valid are checked all at once, in C.
        if not _VALID_NAMES.issuperset(d):
            for name in d:
                _check_name(name)
        lines += [f"{name}: {value}\r\n" for name, values in d.items() for value in values]
        if extra:
            for name, value in extra:
                if name not in _VALID_NAMES:
                    _check_name(name)
                lines.append(f"{name}: {value}\r\n")
        # What the Date line depends on: the date given, unless a Date field
        # is there already.
        date_key: object = _NO_DATE_LINE
        date_line = ""
        if "Date" not in d and (block is None or not block._has_date):
            date_key = date
            if date is not None:
                date_line = f"Date: {date}\r\n"
                lines.append(date_line)
        try:
            head = "".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            raise HTTPOutputError(
                "header values must be Latin-1; encode other text first "
                "(e.g. percent-encoding or RFC 8187)"
            ) from None
        # Every CR and LF must be one of ours and there must be no other
        # control: deleting all controls but HTAB removes exactly one CRLF
        # per line. Two C-speed passes; a regex scan costs twice as much.
        n = len(lines)
        if len(head) - len(head.translate(None, _CONTROLS)) != 2 * n or head.count(
            b"\r\n"
        ) != n:
            raise HTTPOutputError(
                "CR, LF, NUL or another control character in a header value or "
                "reason phrase; remove it (this prevents response splitting)"
            )
        if block is None:
            head += b"\r\n"
        else:
            # The block's lines (checked when it was built) go after the
            # fields and before the Date line, as if they ended ``headers``.
            cut = len(head) - len(date_line)
            head = head[:cut] + block._data + head[cut:] + b"\r\n"
        if framing != _OUT_IDLE:
            self._out = framing
            self._out_remaining = length
        if (
            cacheable
            and (entry is None or entry[5] >= _HEADS_REPLACE_AFTER)
            and len(head) <= _HEADS_MAX_BYTES
            and code.__class__ is int
            and start_line[2].__class__ is str
            and all([value.__class__ is str for values in d.values() for value in values])
        ):
            if len(_HEADS) >= _HEADS_MAX_ENTRIES:
                _HEADS.clear()
            _HEADS[key] = [
                {name: values[:] for name, values in d.items()},
                start_line,
                date_key,
                head,
                length,
                0,
            ]
        return [head]

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


# Response heads made recently, for reuse (see send_head): the field names
# in order (plus the HeaderBlock, if any) -> [a copy of the fields, the start
# line, the date argument the head was made with (_NO_DATE_LINE when the
# fields have their own Date, so the argument does not matter), the encoded head, its
# Content-Length, misses since stored]. Only heads of the common case are
# kept: a final response with a valid Content-Length on a keep-alive
# HTTP/1.1 exchange, where the connection adds nothing but Date, built from
# exact str values and an int status code. A hit needs equal fields (dict
# and list equality, in C), an equal start line and the same date: the
# output is then byte for byte what the checks accepted before. An entry
# that keeps missing (a field whose value changes every response, such as
# an Etag) is replaced only every few misses, so varied responses pay for
# a copy rarely. Bounded in entries and in head size.
_HEADS: dict[tuple[object, ...], list[Any]] = {}
_HEADS_MAX_ENTRIES = 256
_HEADS_MAX_BYTES = 4096
_HEADS_REPLACE_AFTER = 4
_NO_DATE_LINE = object()
_VALID_NAMES: set[str] = set()
# Content-Length values already validated -> their integer (bounded).
_LENGTHS: dict[str, int] = {}
# Names seen in ``extra`` that are valid tokens and not framing fields.
_PLAIN_EXTRA: set[str] = set()
_FRAMING_NAMES = frozenset(("content-length", "transfer-encoding", "connection"))


def _is_framing_name(name: str) -> bool:
    """Check an ``extra`` field name; True if it bears on the framing (bounded cache)."""
    _check_name(name)
    if name.lower() in _FRAMING_NAMES:
        return True
    if len(_PLAIN_EXTRA) < 2048:
        _PLAIN_EXTRA.add(name)
    return False


def _check_name(name: str) -> None:
    """Raise unless ``name`` is a token; remember good names (bounded)."""
    if _TOKEN_RE.match(name) is None:
        raise HTTPOutputError(f"invalid header name: {_snippet(name)}")
    if len(_VALID_NAMES) < 2048:
        _VALID_NAMES.add(name)

