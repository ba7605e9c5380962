"""CurlAsyncHTTPClient: the libcurl back end, driven by the asyncio loop.

How this works: one ``pycurl.CurlMulti`` per client. libcurl tells us which
sockets to watch (``M_SOCKETFUNCTION``: we register them with
``loop.add_reader``/``add_writer``) and when to call it back
(``M_TIMERFUNCTION``: one ``loop.call_later`` handle); when a socket is ready
or the timer fires we call ``socket_action`` and then collect finished
transfers with ``info_read``. Each request gets an easy handle from a free
list; every handle is ``reset()`` when it is given back, so no option
(credentials, TLS files, proxy) of one request can leak into the next.

To behave exactly as the simple back end does, curl is asked for one
exchange only: redirects are followed by `AsyncHTTPClient` (credential
stripping included), and bodies are decoded here by the shared bounded
decoder (``max_body_size`` counted after decompression), not by curl.
"""

from __future__ import annotations

import asyncio
import errno
import io
import time
from collections.abc import Callable
from typing import Any

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse
from squall.httpclient._assembly import Abort as _Abort
from squall.httpclient._assembly import decode, finish_decoding, replay_head, start_decoding
from squall.httpclient._decompress import Decompressor
from squall.httpclient._errors import HTTPStreamClosedError, HTTPTimeoutError
from squall.httputil import HTTPHeaders, HTTPInputError, parse_response_start_line

__all__ = ["CurlAsyncHTTPClient"]

_USER_AGENT = "squall/0.1"
_pycurl_module: Any = None


def _pycurl() -> Any:
    """Import pycurl on first use (it is the optional ``[curl]`` extra)."""
    global _pycurl_module
    if _pycurl_module is None:
        try:
            import pycurl
        except ImportError as exc:
            raise ImportError(
                "the curl back end needs pycurl: pip install squall-httpclient[curl] "
                f"({exc})"
            ) from exc
        _pycurl_module = pycurl
    return _pycurl_module


class CurlAsyncHTTPClient(AsyncHTTPClient):
    """An `AsyncHTTPClient` on libcurl (through pycurl).

    Select it with
    ``AsyncHTTPClient.configure("squall.curl_httpclient.CurlAsyncHTTPClient")``.
    It takes the same options and gives the same results as the simple back
    end, plus digest authentication (``auth_mode="digest"``) and
    ``prepare_curl_callback``. libcurl keeps connections alive itself.

    Compatibility: ``ssl_options`` may be a dict with the keys ``certfile``,
    ``keyfile``, ``ca_certs``, ``cert_reqs`` and ``ciphers``; an
    `ssl.SSLContext` cannot be passed to libcurl and is refused. Requests go
    out as HTTP/1.1, and proxy settings from the environment are ignored.
    """

    _multi: Any
    _free: list[Any]
    _running: set[Any]
    _fds: dict[int, int]
    _timer: asyncio.TimerHandle | None
    _pc: Any

    def initialize(  # type: ignore[override]
        self,
        max_clients: int = 10,
        defaults: dict[str, Any] | None = None,
        max_body_size: int | None = None,
        max_header_size: int | None = None,
        max_buffer_size: int | None = None,
    ) -> None:
        """Set up the client (called once, by the constructor).

        Args:
            max_clients: The most transfers at once; more wait in a queue.
            defaults: Default `HTTPRequest` options.
            max_body_size: The largest response body after decompression.
            max_header_size: The largest response head.
            max_buffer_size: Accepted for compatibility.

        Raises:
            ImportError: pycurl is not installed (``pip install squall-httpclient[curl]``).
        """
        pc = _pycurl()
        super().initialize(
            defaults=defaults,
            max_clients=max_clients,
            max_body_size=max_body_size,
            max_header_size=max_header_size,
            max_buffer_size=max_buffer_size,
        )
        self._pc = pc
        multi = pc.CurlMulti()
        multi.setopt(pc.M_TIMERFUNCTION, self._set_timer)
        multi.setopt(pc.M_SOCKETFUNCTION, self._handle_socket)
        self._multi = multi
        self._free = []
        self._running = set()
        self._fds = {}
        self._timer = None

    def close(self) -> None:
        """Abort transfers in progress and release libcurl's handles and sockets."""
        super().close()
        multi = self._multi
        if multi is None:
            return
        for fd in list(self._fds):
            self._loop.remove_reader(fd)
            self._loop.remove_writer(fd)
        self._fds.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for curl in list(self._running):
            job = getattr(curl, "job", None)
            multi.remove_handle(curl)
            if job is not None:
                job.deliver_error(HTTPStreamClosedError("the client was closed during the request"))
            curl.close()
        for curl in self._free:
            curl.close()
        self._free = []
        multi.close()
        self._multi = None

    # -- libcurl's callbacks ----------------------------------------------

    def _handle_socket(self, event: int, fd: int, multi: Any, data: Any) -> None:
        pc = self._pc
        loop = self._loop
        want = {pc.POLL_NONE: 0, pc.POLL_IN: 1, pc.POLL_OUT: 2, pc.POLL_INOUT: 3}.get(event, 0)
        have = self._fds.get(fd, 0)
        if have & 1 and not want & 1:
            loop.remove_reader(fd)
        if have & 2 and not want & 2:
            loop.remove_writer(fd)
        if want & 1 and not have & 1:
            loop.add_reader(fd, self._on_socket, fd, pc.CSELECT_IN)
        if want & 2 and not have & 2:
            loop.add_writer(fd, self._on_socket, fd, pc.CSELECT_OUT)
        if want:
            self._fds[fd] = want
        else:
            self._fds.pop(fd, None)

    def _set_timer(self, msecs: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if msecs >= 0:
            self._timer = self._loop.call_later(msecs / 1000.0, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._action(self._pc.SOCKET_TIMEOUT, 0)

    def _kick(self) -> None:
        self._action(self._pc.SOCKET_TIMEOUT, 0)

    def _on_socket(self, fd: int, action: int) -> None:
        self._action(fd, action)

    def _action(self, fd: int, action: int) -> None:
        multi = self._multi
        if multi is None:
            return
        pc = self._pc
        while True:
            try:
                ret, _running = multi.socket_action(fd, action)
            except pc.error as exc:
                ret = exc.args[0]
            if ret != pc.E_CALL_MULTI_PERFORM:
                break
        self._collect()

    def _collect(self) -> None:
        multi = self._multi
        while multi is not None:
            queued, ok, failed = multi.info_read()
            for curl in ok:
                self._finish(curl, 0, "")
            for curl, code, message in failed:
                self._finish(curl, code, message)
            if queued == 0:
                break
            multi = self._multi

    # -- one exchange -----------------------------------------------------

    def fetch_impl(
        self, request: Any, callback: Callable[[HTTPResponse], None]
    ) -> Callable[[], None] | None:
        """Start one transfer (see `AsyncHTTPClient.fetch_impl`).

        Args:
            request: The request, read through the defaults proxy.
            callback: Called once with the response.

        Returns:
            A function that aborts the transfer.
        """
        pc = self._pc
        curl = self._free.pop() if self._free else pc.Curl()
        job = _CurlJob(self, request, callback, curl)
        try:
            self._setup(curl, request, job)
        except (ValueError, TypeError) as exc:
            curl.reset()
            self._free.append(curl)
            callback(HTTPResponse(request.request, 599, error=exc, effective_url=request.url))
            return None
        curl.job = job
        self._running.add(curl)
        self._multi.add_handle(curl)
        if job.producer is not None:
            job.producer_task = self._loop.create_task(job.produce())
        return job.cancel

    def _setup(self, curl: Any, request: Any, job: _CurlJob) -> None:
        pc = self._pc
        req = request.request
        parts = req._url_parts
        setopt = curl.setopt
        setopt(pc.URL, parts.url)
        setopt(pc.NOSIGNAL, 1)
        setopt(pc.FOLLOWLOCATION, 0)
        setopt(pc.HTTP_VERSION, pc.CURL_HTTP_VERSION_1_1)
        protocols = pc.PROTO_HTTP | pc.PROTO_HTTPS
        setopt(pc.PROTOCOLS, protocols)
        setopt(pc.REDIR_PROTOCOLS, protocols)
        setopt(pc.HEADERFUNCTION, job.on_header_line)
        setopt(pc.WRITEFUNCTION, job.on_body)
        if hasattr(pc, "SUPPRESS_CONNECT_HEADERS"):
            setopt(pc.SUPPRESS_CONNECT_HEADERS, 1)

        headers = req.headers
        lines = [f"{name}: {value}" for name, value in headers.get_all()]
        user_agent = request.user_agent
        if user_agent is not None:
            lines = [line for line in lines if not line.lower().startswith("user-agent:")]
            setopt(pc.USERAGENT, user_agent)
        elif "User-Agent" not in headers:
            setopt(pc.USERAGENT, _USER_AGENT)
        decompress = bool(request.decompress_response)
        job.decompress = decompress
        if decompress and "Accept-Encoding" not in headers:
            lines.append("Accept-Encoding: gzip, deflate")
        body = req.body
        producer = req.body_producer
        has_body = body is not None or producer is not None
        if req.expect_100_continue and has_body:
            lines.append("Expect: 100-continue")
        elif "Expect" not in headers:
            lines.append("Expect:")  # libcurl would add 100-continue to big uploads

        timeout = request.connect_timeout
        if timeout:
            setopt(pc.CONNECTTIMEOUT_MS, max(1, int(1000 * float(timeout))))
        timeout = request.request_timeout
        if timeout:
            setopt(pc.TIMEOUT_MS, max(1, int(1000 * float(timeout))))

        # Authentication.
        username = request.auth_username
        if username is not None:
            mode = request.auth_mode or "basic"
            if "Authorization" in headers:
                lines = [line for line in lines if not line.lower().startswith("authorization:")]
            setopt(pc.HTTPAUTH, pc.HTTPAUTH_DIGEST if mode == "digest" else pc.HTTPAUTH_BASIC)
            setopt(pc.USERNAME, username.encode("utf-8"))
            setopt(pc.PASSWORD, (request.auth_password or "").encode("utf-8"))

        # Proxy; the environment's *_proxy variables are ignored on purpose.
        proxy_host = request.proxy_host
        if proxy_host is not None:
            setopt(pc.PROXY, proxy_host)
            setopt(pc.PROXYPORT, int(request.proxy_port))
            setopt(pc.PROXYTYPE, pc.PROXYTYPE_HTTP)
            if request.proxy_username is not None:
                mode = request.proxy_auth_mode or "basic"
                setopt(pc.PROXYAUTH, pc.HTTPAUTH_DIGEST if mode == "digest" else pc.HTTPAUTH_BASIC)
                setopt(pc.PROXYUSERNAME, request.proxy_username.encode("utf-8"))
                setopt(pc.PROXYPASSWORD, (request.proxy_password or "").encode("utf-8"))
        else:
            setopt(pc.PROXY, "")

        # TLS.
        if parts.scheme == "https":
            self._setup_tls(curl, request)
        interface = request.network_interface
        if interface:
            setopt(pc.INTERFACE, interface)
        if not request.allow_ipv6:
            setopt(pc.IPRESOLVE, pc.IPRESOLVE_V4)

        # Method and body.
        method = req.method
        if body is not None:
            job.body = io.BytesIO(body)
            length = len(body)
        else:
            length = -1
        if producer is not None:
            job.producer = producer
            if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                lines.append("Transfer-Encoding: chunked")
            declared = headers.get("Content-Length")
            length = int(declared) if declared is not None and declared.isdigit() else -1
        if method == "GET" and not has_body:
            setopt(pc.HTTPGET, 1)
        elif method == "HEAD" and not has_body:
            setopt(pc.NOBODY, 1)
        elif method == "POST":
            setopt(pc.POST, 1)
            if has_body:
                setopt(pc.READFUNCTION, job.read_body)
                setopt(pc.POSTFIELDSIZE_LARGE, length)
            else:
                setopt(pc.POSTFIELDSIZE, 0)
        else:
            if method == "HEAD":
                setopt(pc.NOBODY, 1)
            setopt(pc.CUSTOMREQUEST, method)
            if has_body:
                setopt(pc.UPLOAD, 1)
                setopt(pc.READFUNCTION, job.read_body)
                setopt(pc.INFILESIZE_LARGE, length)
        if body is not None and "Content-Length" in headers and headers["Content-Length"] != str(len(body)):
            raise ValueError(
                f"the Content-Length header ({headers['Content-Length']}) does not match "
                f"the body ({len(body)} bytes)"
            )
        setopt(pc.HTTPHEADER, lines)

        max_body = request.max_body_size
        job.max_body_size = max_body if max_body is not None else self.max_body_size
        max_header = request.max_header_size
        job.max_header_size = max_header if max_header is not None else self.max_header_size
        if req.prepare_curl_callback is not None:
            req.prepare_curl_callback(curl)

    def _setup_tls(self, curl: Any, request: Any) -> None:
        pc = self._pc
        setopt = curl.setopt
        options = request.ssl_options
        verify = bool(request.validate_cert)
        ca_certs = request.ca_certs
        certfile = request.client_cert
        keyfile = request.client_key
        if options is not None:
            if not isinstance(options, dict):
                raise ValueError(
                    "the curl back end cannot use an ssl.SSLContext; give ssl_options as a dict "
                    "(certfile, keyfile, ca_certs, cert_reqs, ciphers) or use ca_certs, "
                    "client_cert and client_key"
                )
            unknown = set(options) - {"certfile", "keyfile", "ca_certs", "cert_reqs", "ciphers", "check_hostname"}
            if unknown:
                raise ValueError(f"ssl_options keys not supported by the curl back end: {sorted(unknown)}")
            ca_certs = options.get("ca_certs", ca_certs)
            certfile = options.get("certfile", certfile)
            keyfile = options.get("keyfile", keyfile)
            if "cert_reqs" in options:
                import ssl

                verify = options["cert_reqs"] != ssl.CERT_NONE
            if "ciphers" in options:
                setopt(pc.SSL_CIPHER_LIST, options["ciphers"])
        setopt(pc.SSL_VERIFYPEER, 1 if verify else 0)
        setopt(pc.SSL_VERIFYHOST, 2 if verify else 0)
        if ca_certs is not None:
            setopt(pc.CAINFO, ca_certs)
        if certfile is not None:
            setopt(pc.SSLCERT, certfile)
            if keyfile is not None:
                setopt(pc.SSLKEY, keyfile)

    def _finish(self, curl: Any, code: int, message: str) -> None:
        pc = self._pc
        job: _CurlJob | None = getattr(curl, "job", None)
        multi = self._multi
        if multi is not None:
            multi.remove_handle(curl)
        self._running.discard(curl)
        if job is None:  # pragma: no cover - every handle we add carries a job
            curl.reset()
            self._free.append(curl)
            return
        info = {
            "namelookup": curl.getinfo(pc.NAMELOOKUP_TIME),
            "connect": curl.getinfo(pc.CONNECT_TIME),
            "appconnect": curl.getinfo(pc.APPCONNECT_TIME),
            "pretransfer": curl.getinfo(pc.PRETRANSFER_TIME),
            "starttransfer": curl.getinfo(pc.STARTTRANSFER_TIME),
            "total": curl.getinfo(pc.TOTAL_TIME),
        }
        os_errno = curl.getinfo(pc.OS_ERRNO) if code else 0
        del curl.job
        # Forget everything this request set (credentials, TLS, proxy).
        curl.reset()
        self._free.append(curl)
        if job.producer_task is not None and not job.producer_task.done():
            job.producer_task.cancel()
        if job.error is not None:
            job.deliver_error(job.error)
            return
        if code:
            job.deliver_error(self._curl_error(job, code, message, os_errno, info))
            return
        if not job.head_complete:
            where = f"{job.request.request._url_parts.host}:{job.request.request._url_parts.port}"
            job.deliver_error(
                HTTPStreamClosedError(
                    f"the connection to {where} closed before a complete response head arrived"
                )
            )
            return
        try:
            job.end_body()
        except _Abort as abort:
            job.deliver_error(abort.error)
            return
        job.deliver(info)

    def _curl_error(
        self, job: _CurlJob, code: int, message: str, os_errno: int, info: dict[str, float]
    ) -> HTTPClientError:
        pc = self._pc
        request = job.request
        parts = request.request._url_parts
        host, where = parts.host, f"{parts.host}:{parts.port}"
        if code in (pc.E_COULDNT_RESOLVE_HOST, pc.E_COULDNT_RESOLVE_PROXY):
            return HTTPClientError(599, f"DNS lookup failed for {host!r}: {message}")
        if code == pc.E_OPERATION_TIMEDOUT:
            connected = info["connect"] > 0 and (parts.scheme != "https" or info["appconnect"] > 0)
            if not connected:
                timeout = request.connect_timeout
                request_timeout = request.request_timeout
                if request_timeout and (not timeout or request_timeout < timeout):
                    return HTTPTimeoutError(
                        f"timed out after {request_timeout:g} seconds (request_timeout) "
                        f"while connecting to {where}"
                    )
                return HTTPTimeoutError(f"timed out after {timeout:g} seconds while connecting to {where}")
            what = "reading the response from" if job.code else "waiting for the response from"
            return HTTPTimeoutError(
                f"timed out after {request.request_timeout:g} seconds (request_timeout) while {what} {where}"
            )
        if code == pc.E_COULDNT_CONNECT:
            if os_errno == errno.ECONNREFUSED or "refused" in message.lower():
                return HTTPClientError(599, f"connection refused by {where} (is a server listening there?)")
            return HTTPClientError(599, f"could not connect to {where}: {message}")
        if code == getattr(pc, "E_PEER_FAILED_VERIFICATION", 60) or code == getattr(pc, "E_SSL_CACERT", 60):
            return HTTPClientError(599, f"TLS certificate verification failed for {host!r}: {message}")
        if code == pc.E_SSL_CONNECT_ERROR:
            return HTTPClientError(599, f"TLS handshake with {where} failed: {message}")
        if code in (pc.E_GOT_NOTHING, pc.E_RECV_ERROR, pc.E_PARTIAL_FILE, pc.E_SEND_ERROR):
            if job.code:
                return HTTPStreamClosedError(
                    f"the connection to {where} closed before the response was complete ({message})"
                )
            return HTTPStreamClosedError(f"the connection to {where} closed before any response arrived ({message})")
        if code == getattr(pc, "E_WEIRD_SERVER_REPLY", 8):
            return HTTPClientError(599, f"malformed response from {where}: {message}")
        return HTTPClientError(599, f"curl error {code} talking to {where}: {message}")


class _CurlJob:
    """The state of one transfer: the response head and body as they arrive."""

    __slots__ = (
        "client",
        "request",
        "callback",
        "curl",
        "start_time",
        "start_mono",
        "code",
        "reason",
        "version",
        "headers",
        "header_lines",
        "header_size",
        "chunks",
        "body_size",
        "decompress",
        "decompressor",
        "max_body_size",
        "max_header_size",
        "error",
        "body",
        "producer",
        "producer_task",
        "upload",
        "upload_done",
        "read_paused",
        "upload_space",
        "done",
        "head_complete",
    )

    def __init__(
        self,
        client: CurlAsyncHTTPClient,
        request: Any,
        callback: Callable[[HTTPResponse], None],
        curl: Any,
    ) -> None:
        self.client = client
        self.request = request
        self.callback = callback
        self.curl = curl
        self.start_time = time.time()
        self.start_mono = client._loop.time()
        self.code = 0
        self.reason = ""
        self.version = "HTTP/1.1"
        self.headers = HTTPHeaders()
        self.header_lines: list[str] = []
        self.header_size = 0
        self.chunks: list[bytes] = []
        self.body_size = 0
        self.decompress = True
        self.decompressor: Decompressor | None = None
        self.max_body_size = 0
        self.max_header_size = 0
        self.error: BaseException | None = None
        self.body: io.BytesIO | None = None
        self.producer: Any = None
        self.producer_task: asyncio.Task[None] | None = None
        self.upload = bytearray()
        self.upload_done = False
        self.read_paused = False
        self.upload_space: asyncio.Future[None] | None = None
        self.done = False
        self.head_complete = False

    # -- response (called by libcurl) -----------------------------------------

    def on_header_line(self, raw: bytes) -> int | None:
        try:
            self._header_line(raw)
        except _Abort as abort:
            self.error = abort.error
            return 0  # anything but len(raw) makes libcurl abort the transfer
        return None

    def _header_line(self, raw: bytes) -> None:
        self.header_size += len(raw)
        if self.header_size > self.max_header_size:
            raise _Abort(
                HTTPClientError(599, f"response header section larger than {self.max_header_size} bytes")
            )
        line = raw.decode("latin-1")
        if line.startswith("HTTP/"):
            # A new response head (after a 1xx, or the only one).
            try:
                start = parse_response_start_line(line.rstrip("\r\n"))
            except HTTPInputError as exc:
                raise _Abort(HTTPClientError(599, f"malformed response: {exc}")) from None
            self.version, self.code, self.reason = start
            self.headers = HTTPHeaders()
            self.header_lines = [line]
            self.header_size = len(raw)
            return
        if line == "\r\n" or line == "\n":
            if self.code >= 200:
                self._head_done()
            return
        try:
            self.headers.parse_line(line)
        except HTTPInputError as exc:
            raise _Abort(HTTPClientError(599, f"malformed response header: {exc}")) from None
        self.header_lines.append(line)

    def _head_done(self) -> None:
        self.head_complete = True
        callback = self.request.request.header_callback
        if callback is not None:
            replay_head(callback, self.version, self.code, self.reason, self.headers)
        if self.decompress:
            self.decompressor = start_decoding(self.headers, self.max_body_size)

    def on_body(self, data: bytes) -> int | None:
        try:
            self.body_size += len(data)
            if self.body_size > self.max_body_size:
                raise _Abort(
                    HTTPClientError(599, f"response body larger than max_body_size ({self.max_body_size} bytes)")
                )
            dec = self.decompressor
            if dec is not None:
                data = decode(dec, data)
            if data:
                self._emit(data)
        except _Abort as abort:
            self.error = abort.error
            return 0
        return None

    def _emit(self, data: bytes) -> None:
        streaming = self.request.request.streaming_callback
        if streaming is not None:
            streaming(data)
        else:
            self.chunks.append(data)

    def end_body(self) -> None:
        dec = self.decompressor
        if dec is not None:
            tail = finish_decoding(dec)
            if tail:
                self._emit(tail)

    # -- request body (called by libcurl) -----------------------------------

    def read_body(self, size: int) -> Any:
        body = self.body
        if body is not None:
            return body.read(size)
        upload = self.upload
        if upload:
            chunk = bytes(upload[:size])
            del upload[:size]
            space = self.upload_space
            if space is not None and len(upload) < _UPLOAD_LOW_WATER and not space.done():
                space.set_result(None)
            return chunk
        if self.upload_done:
            return b""
        self.read_paused = True
        return self.client._pc.READFUNC_PAUSE

    async def produce(self) -> None:
        async def write(chunk: bytes | str) -> None:
            if self.done:
                raise HTTPStreamClosedError("the request ended while the body was being sent")
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            self.upload += chunk
            self._unpause()
            if len(self.upload) >= _UPLOAD_HIGH_WATER:
                self.upload_space = self.client._loop.create_future()
                await self.upload_space

        try:
            result = self.producer(write)
            if result is not None:
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = HTTPClientError(599, f"body_producer failed: {exc!r}")
            self.error.__cause__ = exc
            if not self.done and getattr(self.curl, "job", None) is self:
                # Abort the transfer; _finish reports self.error.
                self.client._finish(self.curl, 0, "")
            return
        self.upload_done = True
        self._unpause()

    def cancel(self) -> None:
        """Abort the transfer because its caller cancelled the fetch."""
        if self.done or getattr(self.curl, "job", None) is not self:
            return
        self.error = HTTPStreamClosedError("the fetch was cancelled by its caller")
        # _finish removes the handle (libcurl closes its connection) and reports self.error.
        self.client._finish(self.curl, 0, "")

    def _unpause(self) -> None:
        if self.read_paused and not self.done:
            self.read_paused = False
            self.curl.pause(self.client._pc.PAUSE_CONT)
            # Let libcurl act on the unpause promptly.
            self.client._loop.call_soon(self.client._kick)

    # -- delivery -------------------------------------------------------------

    def deliver(self, info: dict[str, float]) -> None:
        if self.done:
            return
        self.done = True
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        response = HTTPResponse._from_body(
            self.request.request,
            self.code,
            self.reason,
            self.headers,
            body,
            self.request.request.url,
            self.start_time,
            self.client._loop.time() - self.start_mono,
            info,
        )
        self.callback(response)

    def deliver_error(self, error: BaseException) -> None:
        if self.done:
            return
        self.done = True
        response = HTTPResponse(
            self.request.request,
            599,
            error=error,
            request_time=self.client._loop.time() - self.start_mono,
            start_time=self.start_time,
            effective_url=self.request.request.url,
        )
        self.callback(response)


_UPLOAD_HIGH_WATER = 256 * 1024
_UPLOAD_LOW_WATER = 64 * 1024
