"""IOStream: a BaseIOStream over a non-blocking socket, with connect and start_tls."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
from typing import TYPE_CHECKING, Any

from ._base import BaseIOStream
from ._errors import StreamClosedError

if TYPE_CHECKING:
    from ._ssl import SSLIOStream

# recv/send errors that mean "try again later" rather than failure.
_WOULD_BLOCK = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)


class IOStream(BaseIOStream):
    """A stream over a socket (TCP or unix).

    The socket may be connected (e.g. from ``accept``) or not, in which case
    call `connect` first.

    Args:
        socket: the socket; it is made non-blocking and owned by the stream.
        max_buffer_size: see `BaseIOStream`.
        read_chunk_size: see `BaseIOStream`.
        max_write_buffer_size: see `BaseIOStream`.
    """

    def __init__(
        self,
        socket: socket.socket,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        self.socket: Any = socket
        self.socket.setblocking(False)
        self._connecting = False
        self._connect_future: asyncio.Future[Any] | None = None
        self._server_hostname: str | None = None
        super().__init__(max_buffer_size, read_chunk_size, max_write_buffer_size)

    def fileno(self) -> int:
        """Return the socket's file descriptor.

        Returns:
            The descriptor number (-1 once closed).
        """
        if self.socket is None:
            return -1
        fd: int = self.socket.fileno()
        return fd

    def _read_into_fd(self, view: memoryview) -> int | None:
        try:
            n: int = self.socket.recv_into(view)
        except BlockingIOError:
            return None
        except InterruptedError:
            return None
        return n

    def _recv_fd(self, size: int) -> bytes | None:
        try:
            data: bytes = self.socket.recv(size)
        except (BlockingIOError, InterruptedError):
            return None
        return data

    def _write_from(self, view: memoryview) -> int:
        try:
            n: int = self.socket.send(view)
        except BlockingIOError:
            return 0
        except InterruptedError:
            return 0
        return n

    def _close_fd(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def _refresh_special_io(self) -> None:
        self._special_io = self._connecting

    def _io_ready(self) -> bool:
        return not self._connecting

    def _want_io(self) -> tuple[bool, bool] | None:
        if self._connecting:
            return (False, True)
        return None

    def _on_write_ready_special(self) -> bool:
        if not self._connecting:
            return False
        self._finish_connect()
        return True

    # -- connecting -------------------------------------------------------

    def connect(
        self, address: Any, server_hostname: str | None = None
    ) -> asyncio.Future[IOStream]:
        """Connect the socket to ``address`` without blocking.

        Writes made before the connection completes are queued.

        Args:
            address: a resolved address for the socket's family, e.g.
                ``("127.0.0.1", 8888)`` or a unix socket path.
            server_hostname: for `SSLIOStream`, the name to verify the
                certificate against (plain streams ignore it).

        Returns:
            A future of this stream, resolved once connected.

        Raises:
            StreamClosedError: (in the future) the connection failed; its
                ``real_error`` is the `OSError` (e.g. `ConnectionRefusedError`).
        """
        self._check_closed()
        self._connecting = True
        self._refresh_special_io()
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._connect_future = fut
        self._server_hostname = server_hostname
        try:
            self.socket.connect(address)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            self._connecting = False
            self._refresh_special_io()
            self._connect_future = None
            self.close(exc_info=exc)
            fut.set_exception(StreamClosedError(real_error=exc))
            return fut
        self._update_io()
        return fut

    def _finish_connect(self) -> None:
        err = self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        self._connecting = False
        self._refresh_special_io()
        fut = self._connect_future
        self._connect_future = None
        if err != 0:
            exc = OSError(err, os.strerror(err))
            if err == errno.ECONNREFUSED:
                exc = ConnectionRefusedError(err, os.strerror(err))
            self.close(exc_info=exc)
            if fut is not None and not fut.done():
                fut.set_exception(StreamClosedError(real_error=exc))
            return
        self._on_connected(fut)

    def _on_connected(self, fut: asyncio.Future[Any] | None) -> None:
        if fut is not None and not fut.done():
            fut.set_result(self)
        self._after_ready()

    def _after_ready(self) -> None:
        if self._wpos < len(self._wbuf):
            self._flush()
        else:
            self._update_io()

    def _signal_closed(self) -> None:
        fut = self._connect_future
        if fut is not None and not fut.done():
            self._connect_future = None
            fut.set_exception(StreamClosedError(real_error=self.error))
        super()._signal_closed()

    # -- socket options -------------------------------------------------------

    def set_nodelay(self, value: bool) -> None:
        """Turn Nagle's algorithm off (True) or on (False) for a TCP socket.

        Does nothing for other sockets or a closed stream.

        Args:
            value: True to send small writes at once.
        """
        sock = self.socket
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if value else 0)
        except OSError as exc:
            # The peer may already have reset the connection.
            if exc.errno != errno.EINVAL:
                raise

    # -- TLS ---------------------------------------------------------------------

    def start_tls(
        self,
        server_side: bool,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> asyncio.Future[SSLIOStream]:
        """Upgrade this connected, idle stream to TLS.

        This stream is given up (its close callback moves to the new stream);
        use the returned `SSLIOStream` from then on.

        Args:
            server_side: act as the TLS server.
            ssl_options: an `ssl.SSLContext` or an ``ssl_options`` dict; for
                a client, None means default verification.
            server_hostname: for a client, the name to verify the server's
                certificate against (and send as SNI).

        Returns:
            A future of the new stream, resolved after the handshake.

        Raises:
            ValueError: the stream has a pending read or write, or buffered
                data, or (server side) no ``ssl_options``.
        """
        from ._ssl import SSLIOStream

        if self.reading() or self.writing() or self._rend > self._rstart or self._connecting:
            raise ValueError(
                "start_tls needs an idle stream: no pending read or write and no buffered data"
            )
        self._check_closed()
        if server_side and ssl_options is None:
            raise ValueError("start_tls(server_side=True) needs ssl_options with a certificate")
        if ssl_options is None:
            ssl_options = ssl.create_default_context()
        sock = self.socket
        close_callback = self._close_callback
        self._close_callback = None
        self._unregister()
        self.socket = None
        self._closed = True
        stream = SSLIOStream(
            sock,
            ssl_options=ssl_options,
            server_side=server_side,
            server_hostname=server_hostname,
            max_buffer_size=self.max_buffer_size,
            read_chunk_size=self.read_chunk_size,
            max_write_buffer_size=self.max_write_buffer_size,
        )
        stream.set_close_callback(close_callback)
        result: asyncio.Future[SSLIOStream] = self._loop.create_future()

        def on_handshake(hs: asyncio.Future[Any]) -> None:
            if result.cancelled():
                return
            exc = hs.exception()
            if exc is not None:
                result.set_exception(exc)
            else:
                result.set_result(stream)

        stream.wait_for_handshake().add_done_callback(on_handshake)
        return result
