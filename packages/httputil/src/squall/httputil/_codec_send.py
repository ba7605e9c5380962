"""The sending half of `HTTP1Codec`: message parts in, bytes out."""

from __future__ import annotations

import re

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
                (e.g. a ``Date`` computed by the server). ``Content-Length``,
                ``Transfer-Encoding`` and ``Connection`` given here count
                exactly as if they were in ``headers`` (a ``Content-Length``
                in both is two values, which is an error).
            date: A ``Date`` value (an IMF-fixdate, see `format_timestamp`)
                to send when ``headers`` has no ``Date`` field: an origin
                server must send one (RFC 9110 section 6.6.1).

        Returns:
            A list of bytes to write.

        Raises:
            HTTPOutputError: On CR, LF, NUL or other controls in a value or
                the reason, a name that is not a token, a value that is not
                Latin-1, a head sent twice, or an invalid ``Content-Length``.
        """
        if self._out != _OUT_IDLE:
            raise HTTPOutputError("message head already sent")
        if extra:
            for name, _ in extra:
                if name not in _PLAIN_EXTRA and _is_framing_name(name):
                    # A field that decides the framing or the connection's
                    # fate: merge so that it counts exactly as in headers.
                    headers = HTTPHeaders(headers)
                    for name, value in extra:
                        headers.add(name, value)
                    extra = None
                    break
        d = headers._dict
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
        if framing == _OUT_LENGTH:
            cl = d["Content-Length"]
            length = _LENGTHS.get(cl[0]) if len(cl) == 1 else None
            if length is None:
                if len(cl) != 1 or _CONTENT_LENGTH_RE.match(cl[0]) is None:
                    raise HTTPOutputError(f"invalid Content-Length: {_snippet(','.join(cl))}")
                length = int(cl[0])
                if len(_LENGTHS) < 1024:
                    _LENGTHS[cl[0]] = length
            self._out_remaining = length
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
        if date is not None and "Date" not in d:
            lines.append(f"Date: {date}\r\n")
        lines.append("\r\n")
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
        if framing != _OUT_IDLE:
            self._out = framing
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

