"""Asynchronous handlers: @asynchronous callbacks, coroutines, disconnects, streaming."""

from __future__ import annotations

import asyncio

import pytest

import squall.ioloop
from squall.httputil import HTTPHeaders, HTTPServerRequest
from squall.testing import wait_until
from squall.web import Application, HTTPError, RequestHandler, asynchronous, stream_request_body

closed: list[str] = []
streamed: list[object] = []


class CallbackRaises(RequestHandler):
    @asynchronous
    def get(self):
        self.write("partial")
        asyncio.get_running_loop().call_later(0.001, self.boom)

    def boom(self):
        raise HTTPError(503)


class WrappedCallbackRaises(RequestHandler):
    @asynchronous
    def get(self):
        squall.ioloop.IOLoop.current().call_later(0.001, self.async_callback(self.boom, "arg"))

    def boom(self, arg):
        raise ValueError(arg)


class AsyncReturnsCoroutine(RequestHandler):
    @asynchronous
    async def get(self):
        await asyncio.sleep(0)
        self.write("coroutine under @asynchronous")


class LongPoll(RequestHandler):
    async def get(self):
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter

    def on_connection_close(self):
        closed.append(self.request.path)
        self.waiter.cancel()


class LongPollCallback(RequestHandler):
    @asynchronous
    def get(self):
        pass  # never finishes by itself

    def on_connection_close(self):
        closed.append(self.request.path)


@stream_request_body
class Streaming(RequestHandler):
    def prepare(self):
        streamed.clear()
        streamed.append("prepare")
        self.size = 0

    def data_received(self, chunk):
        streamed.append(len(chunk))
        self.size += len(chunk)

    def put(self):
        self.write(f"got {self.size} bytes, body attribute {len(self.request.body)}")


@pytest.fixture
def app():
    return Application(
        [
            (r"/callback", CallbackRaises),
            (r"/wrapped", WrappedCallbackRaises),
            (r"/coroutine", AsyncReturnsCoroutine),
            (r"/longpoll", LongPoll),
            (r"/longpoll-cb", LongPollCallback),
            (r"/stream", Streaming),
        ]
    )


def test_exception_in_scheduled_callback_reaches_error_page(fetch):
    response = fetch("/callback")
    assert response.code == 503
    assert b"partial" not in response.body


def test_async_callback_wrapper(fetch):
    assert fetch("/wrapped").code == 500


def test_asynchronous_with_coroutine(fetch):
    assert fetch("/coroutine").body == b"coroutine under @asynchronous"


@pytest.mark.parametrize("path", ["/longpoll", "/longpoll-cb"])
async def test_on_connection_close(http_port, path):
    closed.clear()
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.2)  # the handler is still waiting
    writer.close()
    await writer.wait_closed()
    await wait_until(lambda: closed == [path])


def test_stream_request_body(fetch):
    body = b"x" * 200_000
    response = fetch("/stream", method="PUT", body=body, headers={"Content-Type": "application/octet-stream"})
    assert response.body == b"got 200000 bytes, body attribute 0"
    assert streamed[0] == "prepare"
    assert sum(n for n in streamed[1:] if isinstance(n, int)) == 200_000


class _Connection:
    """A recording HTTPConnection for the legacy callable style."""

    def __init__(self):
        self.parts = []
        self.finished = False

    def write_headers(self, start_line, headers, chunk=None):
        self.parts.append((start_line, headers))
        if chunk:
            self.parts.append(chunk)
        return _done()

    def write(self, chunk):
        self.parts.append(chunk)
        return _done()

    def finish(self):
        self.finished = True

    def set_close_callback(self, callback):
        pass


def _done():
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


async def test_application_is_a_plain_callable():
    class Hello(RequestHandler):
        def get(self, name):
            self.write("hi " + name)

    application = Application([(r"/hi/(\w+)", Hello)])
    connection = _Connection()
    request = HTTPServerRequest(
        method="GET", uri="/hi/ada", version="HTTP/1.1", headers=HTTPHeaders({"Host": "x"}), connection=connection
    )
    assert application(request) is None
    start_line, headers = connection.parts[0]
    assert start_line.code == 200
    assert headers["Content-Length"] == "6"
    assert connection.parts[1] == b"hi ada"
    assert connection.finished
