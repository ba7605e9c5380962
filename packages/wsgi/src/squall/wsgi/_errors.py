"""The exceptions of squall.wsgi."""

from __future__ import annotations

__all__ = [
    "WSGIError",
    "WSGIProtocolError",
    "AsyncHandlerError",
    "ASGIProtocolError",
    "LifespanError",
    "RequestBodyError",
]


class WSGIError(RuntimeError):
    """Base class of the errors raised by squall.wsgi."""


class WSGIProtocolError(WSGIError):
    """A WSGI application (or server) broke a rule of PEP 3333.

    For example: a body chunk that is not ``bytes``, ``start_response``
    called twice without ``exc_info``, a malformed status line, a header
    value with a control character, or a hop-by-hop header such as
    ``Connection`` (framing belongs to the server).
    """


class RequestBodyError(WSGIError, OSError):
    """The request body cannot be read to its end.

    Raised by ``wsgi.input`` of a `WSGIContainer` made with
    ``stream_request_body=True`` when the client closed the connection in
    the middle of the body, the body grew past the server's
    ``max_body_size``, or the server stopped. It is an `OSError`, as an I/O
    failure on ``wsgi.input`` is under other WSGI servers, so frameworks
    treat it as one (Django, for instance, turns it into
    ``UnreadablePostError``).
    """


class AsyncHandlerError(WSGIError):
    """A squall handler did not finish its response synchronously under WSGI.

    WSGI has no way to wait for an event without blocking a worker, so
    under `WSGIAdapter` handlers must be synchronous: a coroutine (``async
    def``) method or ``prepare``, an ``@asynchronous`` method, or a method
    that returns an awaitable cannot run. Serve such an application with
    squall's `HTTPServer` (or under ASGI with `ASGIAdapter`).
    """


class ASGIProtocolError(WSGIError):
    """An ASGI application (or server) sent an event out of order or malformed.

    For example ``http.response.body`` before ``http.response.start``, a
    status that is not an int, or header names that are not bytes.
    """


class LifespanError(WSGIError):
    """An ASGI application reported that its startup or shutdown failed.

    The message is the one the application sent with
    ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``.
    """
