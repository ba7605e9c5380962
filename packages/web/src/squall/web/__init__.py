"""squall.web: applications, request handlers, cookies, XSRF, templates, static files.

A web application maps URL patterns to `RequestHandler` subclasses::

    import squall.ioloop
    import squall.web

    class MainHandler(squall.web.RequestHandler):
        def get(self):
            self.write("Hello, world")

    application = squall.web.Application([(r"/", MainHandler)])
    application.listen(8888)
    squall.ioloop.IOLoop.current().start()
"""

from ._application import Application as Application
from ._decorators import addslash as addslash
from ._decorators import asynchronous as asynchronous
from ._decorators import authenticated as authenticated
from ._decorators import removeslash as removeslash
from ._decorators import stream_request_body as stream_request_body
from ._errors import ConfigurationError as ConfigurationError
from ._errors import Finish as Finish
from ._errors import HTTPError as HTTPError
from ._errors import MissingArgumentError as MissingArgumentError
from ._handler import RequestHandler as RequestHandler
from ._handlers import ErrorHandler as ErrorHandler
from ._handlers import FallbackHandler as FallbackHandler
from ._handlers import RedirectHandler as RedirectHandler
from ._routing import URLSpec as URLSpec
from ._routing import url as url
from ._signing import DEFAULT_SIGNED_VALUE_MIN_VERSION as DEFAULT_SIGNED_VALUE_MIN_VERSION
from ._signing import DEFAULT_SIGNED_VALUE_VERSION as DEFAULT_SIGNED_VALUE_VERSION
from ._signing import create_signed_value as create_signed_value
from ._signing import decode_signed_value as decode_signed_value
from ._signing import get_signature_key_version as get_signature_key_version
from ._static import StaticFileHandler as StaticFileHandler
from ._transforms import GZipContentEncoding as GZipContentEncoding
from ._transforms import OutputTransform as OutputTransform
from ._uimodule import TemplateModule as TemplateModule
from ._uimodule import UIModule as UIModule
from ._version import __version__ as __version__

__all__ = [
    "Application",
    "ConfigurationError",
    "DEFAULT_SIGNED_VALUE_MIN_VERSION",
    "DEFAULT_SIGNED_VALUE_VERSION",
    "ErrorHandler",
    "FallbackHandler",
    "Finish",
    "GZipContentEncoding",
    "HTTPError",
    "MissingArgumentError",
    "OutputTransform",
    "RedirectHandler",
    "RequestHandler",
    "StaticFileHandler",
    "TemplateModule",
    "UIModule",
    "URLSpec",
    "addslash",
    "asynchronous",
    "authenticated",
    "create_signed_value",
    "decode_signed_value",
    "get_signature_key_version",
    "removeslash",
    "stream_request_body",
    "url",
]
