"""Sending raw bytes to a server and reading its answer: `raw_exchange`.

How this works: the request goes out exactly as given (malformed on
purpose, if the test wants), and the answer is read until it is complete.
"Complete" follows HTTP/1.1's message framing (RFC 9112 section 6.3), kept
as a small state machine in `_Framing` so that a big body is not rescanned
on every read:

* interim ``1xx`` responses (but ``101``) are part of the answer, and
  reading goes on to the final response;
* ``101``, ``204``, ``304`` and any answer to a ``HEAD`` request end with
  their head;
* a ``chunked`` body ends with its last chunk and trailer section;
* a ``Content-Length`` body ends after that many bytes;
* any other body ends when the server closes the connection.

The whole exchange (connecting included) is bounded by one timeout; on
expiry `ResponseTimeoutError` says what was still awaited and shows the
bytes that did arrive.
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
from typing import Any

from squall.ioloop import IOLoop

from ._errors import LoopErrorLog
from ._run import run_with_timeout
from ._timeout import check_timeout, get_async_test_timeout

__all__ = ["RawRequest", "ResponseTimeoutError", "raw_exchange"]

# How much of the received bytes a timeout message shows (head, tail).
_SHOW_HEAD = 1500
_SHOW_TAIL = 500


class ResponseTimeoutError(TimeoutError):
    """`raw_exchange` gave up waiting for the rest of an answer.

    Attributes:
        received: the bytes that had arrived (possibly ``b""``).
    """

    __module__ = "squall.testing"  # the documented name, in tracebacks

    def __init__(self, message: str, received: bytes) -> None:
        super().__init__(message)
        self.received = received


class _MalformedAnswer(AssertionError):
    """The answer is not an HTTP/1.x response, so its end cannot be found."""


class _Framing:
    """Finds the end of one HTTP/1.1 response in a growing buffer."""

    def __init__(self, *, head_request: bool) -> None:
        self.head_request = head_request
        self.state = "head"  # head, length, chunk-size, chunk-data, trailers, close, done
        self.pos = 0  # where the part being waited for starts
        self.need = 0  # for length and chunk-data: the buffer size that completes it
        self.scanned = 0  # head/trailers: bytes already searched for the terminator

    @property
    def done(self) -> bool:
        return self.state == "done"

    def awaiting(self, buffer: bytearray) -> str:
        """Say what the reader is waiting for (for the timeout message)."""
        if self.state == "head":
            return "the end of the response head (a blank line)"
        if self.state in ("length", "chunk-data"):
            what = "body bytes (Content-Length)" if self.state == "length" else "bytes of a chunk"
            return f"{self.need - len(buffer)} more {what}"
        if self.state == "chunk-size":
            return "the next chunk-size line"
        if self.state == "trailers":
            return "the end of the trailer section after the last chunk"
        return "the server to close the connection (the response has no length)"

    def feed(self, buffer: bytearray) -> None:
        """Advance over ``buffer`` (which only grows) as far as it goes."""
        while not self.done:
            before = (self.state, self.pos)
            self._step(buffer)
            if (self.state, self.pos) == before:
                return

    def _step(self, buffer: bytearray) -> None:
        if self.state == "head":
            end = self._find(buffer, b"\r\n\r\n")
            if end >= 0:
                self._head(bytes(buffer[self.pos : end]), end + 4)
        elif self.state in ("length", "chunk-data"):
            if len(buffer) >= self.need:
                self.pos = self.need
                self.state = "done" if self.state == "length" else "chunk-size"
        elif self.state == "chunk-size":
            end = buffer.find(b"\r\n", self.pos)
            if end >= 0:
                size = _chunk_size(bytes(buffer[self.pos : end]))
                if size == 0:
                    self.pos, self.scanned, self.state = end + 2, end + 2, "trailers"
                else:
                    self.pos, self.state = end + 2, "chunk-data"
                    self.need = self.pos + size + 2  # the data and its CRLF
        elif self.state == "trailers":
            if buffer[self.pos : self.pos + 2] == b"\r\n":
                self.pos, self.state = self.pos + 2, "done"
            else:
                end = self._find(buffer, b"\r\n\r\n")
                if end >= 0:
                    self.pos, self.state = end + 4, "done"

    def _find(self, buffer: bytearray, terminator: bytes) -> int:
        start = max(self.pos, self.scanned - len(terminator) + 1)
        found = buffer.find(terminator, start)
        self.scanned = len(buffer) if found < 0 else found
        return found

    def _head(self, head: bytes, body_start: int) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise _MalformedAnswer(
                f"the answer does not start with an HTTP/1.x status line ({lines[0][:200]!r}), "
                "so its end cannot be found; pass until_close=True to read until the server "
                "closes the connection"
            )
        status = int(parts[1])
        self.pos = self.scanned = body_start
        if 100 <= status < 200 and status != 101:
            return  # interim: the final response follows
        if status in (101, 204, 304) or self.head_request:
            self.state = "done"
            return
        fields: dict[bytes, list[bytes]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        codings = b",".join(fields.get(b"transfer-encoding", []))
        if codings:
            last = codings.split(b",")[-1].strip().lower()
            self.state = "chunk-size" if last == b"chunked" else "close"
            return
        lengths = {
            v.strip() for value in fields.get(b"content-length", []) for v in value.split(b",")
        }
        if not lengths:
            self.state = "close"
            return
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise _MalformedAnswer(
                f"the answer has an unusable Content-Length {sorted(lengths)!r}; pass "
                "until_close=True to read until the server closes the connection"
            )
        self.state, self.need = "length", body_start + int(next(iter(lengths)))


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip()
    try:
        return int(digits, 16)
    except ValueError:
        raise _MalformedAnswer(
            f"the answer has a malformed chunk-size line {line[:100]!r}; pass until_close=True "
            "to read until the server closes the connection"
        ) from None


def _show(data: bytes) -> str:
    if len(data) <= _SHOW_HEAD + _SHOW_TAIL:
        return repr(data)
    skipped = len(data) - _SHOW_HEAD - _SHOW_TAIL
    return f"{data[:_SHOW_HEAD]!r} ... ({skipped} bytes not shown) ... {data[-_SHOW_TAIL:]!r}"


async def raw_exchange(
    port: int,
    data: bytes,
    *,
    host: str = "127.0.0.1",
    timeout: float | None = None,
    until_close: bool = False,
    ssl: _ssl.SSLContext | None = None,
) -> bytes:
    """Send ``data`` on a new connection to ``host:port``; return the answer.

    The bytes go out as they are, so a test can send what no client would
    (a malformed request line, conflicting lengths, two requests at once).
    The answer is read until one whole HTTP/1.1 response has arrived, by its
    framing: interim ``1xx`` responses are kept and the final one awaited;
    a ``HEAD`` request (``data`` starts with ``HEAD ``), ``101``, ``204``
    and ``304`` end with the head; a ``chunked`` body ends with the last
    chunk and the trailers; otherwise ``Content-Length`` counts, and
    without it the answer ends when the server closes the connection. With
    ``until_close=True`` it reads until the server closes the connection
    whatever the framing (e.g. to see every answer to pipelined requests).
    The connection is closed afterwards.

    Args:
        port: The server's port.
        data: The raw request bytes.
        host: The server's address (loopback only in squall's own tests).
        timeout: Seconds for the whole exchange, connecting included.
            Default: half of `get_async_test_timeout()`, so that an ``async``
            test's own timeout does not fire first and hide what arrived.
        until_close: Read until the server closes the connection.
        ssl: A client `ssl.SSLContext` to speak TLS.

    Returns:
        Every byte received: normally exactly one response (an interim
        ``1xx`` before it), and whatever the server had sent already if it
        closed the connection before the response was complete (``b""``
        when it sent nothing).

    Raises:
        ResponseTimeoutError: The answer was not complete (or, with
            ``until_close``, the server did not close the connection)
            within ``timeout``; the message says what was awaited and shows
            the bytes received, also in its ``received`` attribute.
        AssertionError: The answer is not an HTTP/1.x response, or its
            length cannot be told (a bad ``Content-Length`` or chunk size);
            the message says so and suggests ``until_close=True``.
        OSError: The connection could not be made (e.g. refused), or was
            reset by the server.
        TypeError: ``data`` is not bytes.
    """
    __tracebackhide__ = True  # pytest: show the test's frames, not ours
    given: object = data  # checked at run time: tests pass all sorts of things
    if not isinstance(given, (bytes, bytearray, memoryview)):
        hint = " (encode it, e.g. data.encode('latin-1'))" if isinstance(given, str) else ""
        raise TypeError(f"raw_exchange() sends bytes, not {type(given).__name__}{hint}")
    if timeout is None:
        seconds = get_async_test_timeout() / 2
    else:
        seconds = check_timeout(timeout, source="raw_exchange()'s timeout")
    data = bytes(data)
    exchange = _Exchange(data, until_close=until_close)
    try:
        await asyncio.wait_for(exchange.run(host, port, ssl), seconds)
    except asyncio.TimeoutError:
        if exchange.complete:  # only the polite close was slow (TLS)
            return bytes(exchange.received)
        raise ResponseTimeoutError(
            f"raw_exchange() to {host}:{port} gave up after {seconds:g} s waiting for "
            f"{exchange.awaiting()}; received {len(exchange.received)} bytes: "
            f"{_show(bytes(exchange.received))}",
            bytes(exchange.received),
        ) from None
    return bytes(exchange.received)


class _Exchange:
    """One connection: send, read until the answer is complete, close."""

    def __init__(self, data: bytes, *, until_close: bool) -> None:
        self.data = data
        self.received = bytearray()
        self.framing = None if until_close else _Framing(head_request=data.startswith(b"HEAD "))
        self.connected = False
        self.complete = False

    def awaiting(self) -> str:
        if not self.connected:
            return "the connection to be accepted"
        if self.framing is None:
            return "the server to close the connection (until_close=True)"
        return self.framing.awaiting(self.received)

    async def run(self, host: str, port: int, ssl: _ssl.SSLContext | None) -> None:
        reader, writer = await asyncio.open_connection(host, port, ssl=ssl)
        self.connected = True
        try:
            writer.write(self.data)
            while self.framing is None or not self.framing.done:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                self.received.extend(chunk)
                if self.framing is not None:
                    self.framing.feed(self.received)
        except BaseException:
            writer.transport.abort()  # a timeout or an error: no polite close to wait for
            raise
        self.complete = True
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass  # a reset after the answer arrived: the answer is what counts
        except asyncio.CancelledError:
            writer.transport.abort()  # a slow TLS close: leave nothing behind
            raise


class RawRequest:
    """The callable behind the pytest ``raw_request`` fixture.

    Attributes:
        port: the server's port.
        ssl: the client context used when the server speaks TLS, else None.
    """

    def __init__(
        self,
        io_loop: IOLoop,
        port: int,
        *,
        ssl: _ssl.SSLContext | None,
        timeout: float,
        hint: str,
        errors: LoopErrorLog | None,
    ) -> None:
        self.io_loop = io_loop
        self.port = port
        self.ssl = ssl
        self._test_timeout = timeout
        self._hint = hint
        self._errors = errors

    def __call__(self, data: bytes, *, timeout: float | None = None, until_close: bool = False) -> Any:
        """Send ``data`` to the ``http_server`` fixture; see `raw_exchange`.

        Returns:
            Inside a coroutine on the test's loop, an awaitable of the bytes
            received; elsewhere, the bytes themselves.
        """
        __tracebackhide__ = True  # pytest: show the test's frames, not ours
        if timeout is None:
            timeout = self._test_timeout / 2
        loop = self.io_loop.asyncio_loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is not loop:
            raise RuntimeError(
                "raw_request() was called on another event loop than the test's io_loop; "
                "request the io_loop fixture (or let squall's plugin run the async test)"
            )
        exchange = raw_exchange(
            self.port, data, timeout=timeout, until_close=until_close, ssl=self.ssl
        )
        if running is not None:
            return exchange
        return run_with_timeout(
            loop, exchange, self._test_timeout, label="raw_request()", hint=self._hint,
            errors=self._errors,
        )


def insecure_client_context() -> _ssl.SSLContext:
    """A TLS client context that accepts the (self-signed) test certificate."""
    context = _ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = _ssl.CERT_NONE
    return context
