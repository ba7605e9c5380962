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

from typing import Literal

from ._codec_recv import _Receiver
from ._codec_send import _Sender
from ._codec_states import _DONE, _HEAD, _OUT_DONE, _OUT_IDLE
from ._errors import HTTPOutputError

__all__ = ["HTTP1Codec"]


class HTTP1Codec(_Receiver, _Sender):
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

    __slots__ = ()

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
    def start_next_cycle(self) -> bool:
        """Reset for the next message once both directions are complete.

        Returns:
            True if bytes of the next message are already buffered
            (pipelined data): `next_event` has work to do at once.

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
        return len(self._buf) != 0

