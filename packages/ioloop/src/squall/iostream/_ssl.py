"""SSLIOStream: an IOStream speaking TLS through a non-blocking ``ssl.SSLSocket``.

The handshake is driven from the loop: ``do_handshake`` raises
``SSLWantReadError`` / ``SSLWantWriteError`` and the stream waits for exactly
that readiness. Until the handshake completes, writes are queued and reads
wait. OpenSSL may hold decrypted bytes the kernel no longer signals, so each
readable event drains ``pending()`` as well.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

from squall.netutil import ssl_options_to_context

from ._errors import StreamClosedError
from ._socket import IOStream

# A TLS record carries at most 16 KiB of plaintext; larger sends only make
# OpenSSL buffer more, and a retried send must repeat the same bytes.
_SSL_WRITE_CHUNK = 16 * 1024


def _is_connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


class SSLIOStream(IOStream):
    """An `IOStream` over TLS.

    A server-side stream is usually built by `squall.tcpserver.TCPServer`.
    A client either connects with `connect` (the handshake follows the TCP
    connection) or upgrades a plain stream with `IOStream.start_tls`.

    Args:
        socket: a plain socket (wrapped here) or an ``ssl.SSLSocket`` created
            with ``do_handshake_on_connect=False``.
        ssl_options: an `ssl.SSLContext` or an ``ssl_options`` dict; for a
            client, None means the default verifying context.
        server_side: whether this end is the TLS server.
        server_hostname: for a client, the expected server name (certificate
            check and SNI).
        **kwargs: ``max_buffer_size``, ``read_chunk_size`` and
            ``max_write_buffer_size`` as for `IOStream`.

    Raises:
        ValueError: a server-side stream without ``ssl_options``.
    """

    _direct_reads = False

    def __init__(
        self,
        socket: socket.socket,
        *,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        server_side: bool = False,
        server_hostname: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(socket, ssl.SSLSocket):
            context = socket.context
            server_side = socket.server_side
        elif ssl_options is None:
            if server_side:
                raise ValueError("a server-side SSLIOStream needs ssl_options with a certificate")
            context = ssl.create_default_context()
        else:
            context = ssl_options_to_context(ssl_options, server_side=server_side)
        self._ssl_context = context
        self._server_side = server_side
        self._handshaking = False
        self._handshake_done = False
        self._hs_want_read = False
        self._hs_want_write = False
        self._handshake_waiters: list[asyncio.Future[Any]] = []
        self._ssl_connect_future: asyncio.Future[Any] | None = None
        super().__init__(socket, **kwargs)
        self._special_io = True
        self._server_hostname = server_hostname
        if isinstance(socket, ssl.SSLSocket):
            self._begin_handshake()
        elif server_side or _is_connected(socket):
            self._wrap()
            self._begin_handshake()

    def _wrap(self) -> None:
        hostname = None if self._server_side else self._server_hostname
        self.socket = self._ssl_context.wrap_socket(
            self.socket,
            server_side=self._server_side,
            do_handshake_on_connect=False,
            server_hostname=hostname,
        )

    def _begin_handshake(self) -> None:
        self._handshaking = True
        self._hs_want_read = True
        self._hs_want_write = False
        self._do_handshake()

    def _do_handshake(self) -> None:
        try:
            self.socket.do_handshake()
        except ssl.SSLWantReadError:
            self._hs_want_read, self._hs_want_write = True, False
            self._update_io()
            return
        except ssl.SSLWantWriteError:
            self._hs_want_read, self._hs_want_write = False, True
            self._update_io()
            return
        except (ssl.SSLError, OSError, ValueError) as exc:
            # ValueError: the peer went away before the handshake could start.
            self.close(exc_info=exc)
            return
        self._handshaking = False
        self._handshake_done = True
        self._refresh_special_io()
        waiters, self._handshake_waiters = self._handshake_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(self)
        connect_fut = self._ssl_connect_future
        self._ssl_connect_future = None
        if connect_fut is not None and not connect_fut.done():
            connect_fut.set_result(self)
        self._after_ready()

    def wait_for_handshake(self) -> asyncio.Future[SSLIOStream]:
        """Wait until the TLS handshake has completed.

        Returns:
            A future of this stream.

        Raises:
            StreamClosedError: (in the future) the handshake failed; its
                ``real_error`` is the `ssl.SSLError`.
        """
        fut: asyncio.Future[Any] = self._loop.create_future()
        if self._handshake_done:
            fut.set_result(self)
        elif self._closed:
            fut.set_exception(StreamClosedError(real_error=self.error))
        else:
            self._handshake_waiters.append(fut)
        return fut

    # -- hooks into the base stream ---------------------------------------------

    def _refresh_special_io(self) -> None:
        self._special_io = self._connecting or not self._handshake_done

    def _io_ready(self) -> bool:
        return self._handshake_done and not self._connecting

    def _want_io(self) -> tuple[bool, bool] | None:
        if self._connecting:
            return (False, True)
        if not self._handshake_done:
            if not self._handshaking:
                return (False, False)
            return (self._hs_want_read, self._hs_want_write)
        return None

    def _on_read_ready_special(self) -> bool:
        if self._handshaking and not self._closed:
            self._do_handshake()
            return True
        return False

    def _on_write_ready_special(self) -> bool:
        if self._connecting:
            self._finish_connect()
            return True
        if self._handshaking and not self._closed:
            self._do_handshake()
            return True
        return False

    def _on_connected(self, fut: asyncio.Future[Any] | None) -> None:
        # TCP is up; the stream's connect future resolves after the handshake.
        self._ssl_connect_future = fut
        try:
            self._wrap()
        except (ssl.SSLError, OSError, ValueError) as exc:
            self.close(exc_info=exc)
            return
        self._begin_handshake()

    def _read_into_fd(self, view: memoryview) -> int | None:
        total = 0
        sock = self.socket
        while total < len(view):
            try:
                n: int = sock.recv_into(view[total:])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            except ssl.SSLZeroReturnError:
                # The peer sent close_notify: a clean end of stream.
                return total or 0
            except ssl.SSLEOFError:
                return total or 0
            if n == 0:
                return total or 0
            total += n
            if not sock.pending():
                break
        return total or None

    def _recv_fd(self, size: int) -> bytes | None:
        try:
            data: bytes = self.socket.recv(size)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""
        return data

    def _write_from(self, view: Any) -> int:
        # write() may pass bytes; slice a view of it, not copies.
        view = memoryview(view)
        total = 0
        while total < len(view):
            try:
                n: int = self.socket.send(view[total : total + _SSL_WRITE_CHUNK])
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            if n <= 0:
                break
            total += n
        return total

    def _signal_closed(self) -> None:
        waiters, self._handshake_waiters = self._handshake_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_exception(StreamClosedError(real_error=self.error))
                fut.exception()
        connect_fut = self._ssl_connect_future
        self._ssl_connect_future = None
        if connect_fut is not None and not connect_fut.done():
            connect_fut.set_exception(StreamClosedError(real_error=self.error))
        super()._signal_closed()
