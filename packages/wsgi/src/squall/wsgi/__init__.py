"""squall.wsgi: squall applications under WSGI and ASGI servers, and the reverse.

- `WSGIApplication` / `WSGIAdapter`: a squall `Application` as a WSGI
  callable (gunicorn, mod_wsgi, wsgiref's ``CGIHandler``...).
- `WSGIContainer`: any WSGI application (Flask, Django...) served by
  squall's `HTTPServer`, alone or behind a ``FallbackHandler``.
- `ASGIAdapter`: a squall `Application` as an ASGI 3 application (uvicorn,
  hypercorn...).
- `ASGIContainer`: any ASGI application (Starlette, FastAPI...) served by
  squall's `HTTPServer`.

The spec's example::

    import squall.web
    import squall.wsgi
    import wsgiref.handlers

    class MainHandler(squall.web.RequestHandler):
        def get(self):
            self.write("Hello, world")

    if __name__ == "__main__":
        application = squall.wsgi.WSGIApplication([
            (r"/", MainHandler),
        ])
        wsgiref.handlers.CGIHandler().run(application)
"""

from ._adapter import WSGIAdapter as WSGIAdapter
from ._asgi_adapter import ASGIAdapter as ASGIAdapter
from ._asgi_container import ASGIContainer as ASGIContainer
from ._adapter import WSGIApplication as WSGIApplication
from ._container import WSGIContainer as WSGIContainer
from ._errors import AsyncHandlerError as AsyncHandlerError
from ._errors import ASGIProtocolError as ASGIProtocolError
from ._errors import LifespanError as LifespanError
from ._errors import RequestBodyError as RequestBodyError
from ._errors import WSGIError as WSGIError
from ._errors import WSGIProtocolError as WSGIProtocolError

__all__ = [
    "ASGIAdapter",
    "ASGIContainer",
    "ASGIProtocolError",
    "AsyncHandlerError",
    "LifespanError",
    "RequestBodyError",
    "WSGIAdapter",
    "WSGIApplication",
    "WSGIContainer",
    "WSGIError",
    "WSGIProtocolError",
]
