"""squall.httputil: HTTP/1.1 building blocks shared by the server and the client.

Headers (`HTTPHeaders`), start lines, the request object
(`HTTPServerRequest`), uploaded files (`HTTPFile`), the delegate interfaces
between connections and applications, form/multipart/cookie parsing and
small helpers, with the names of Tornado's ``tornado.httputil``.
"""

from ._body import parse_body_arguments as parse_body_arguments
from ._codec import HTTP1Codec as HTTP1Codec
from ._events import NEED_DATA as NEED_DATA
from ._events import PAUSED as PAUSED
from ._events import ConnectionClosed as ConnectionClosed
from ._events import Data as Data
from ._events import EndOfMessage as EndOfMessage
from ._events import RequestHead as RequestHead
from ._events import ResponseHead as ResponseHead
from ._body import parse_multipart_form_data as parse_multipart_form_data
from ._cookies import parse_cookie as parse_cookie
from ._errors import HTTPInputError as HTTPInputError
from ._errors import HTTPOutputError as HTTPOutputError
from ._file import HTTPFile as HTTPFile
from ._headerblock import HeaderBlock as HeaderBlock
from ._headers import HTTPHeaders as HTTPHeaders
from ._interfaces import HTTPConnection as HTTPConnection
from ._interfaces import HTTPConnectionContext as HTTPConnectionContext
from ._interfaces import HTTPMessageDelegate as HTTPMessageDelegate
from ._interfaces import HTTPServerConnectionDelegate as HTTPServerConnectionDelegate
from ._request import HTTPServerRequest as HTTPServerRequest
from ._startline import RequestStartLine as RequestStartLine
from ._startline import ResponseStartLine as ResponseStartLine
from ._startline import parse_request_start_line as parse_request_start_line
from ._startline import parse_response_start_line as parse_response_start_line
from ._util import encode_username_password as encode_username_password
from ._util import format_timestamp as format_timestamp
from ._util import qs_to_qsl as qs_to_qsl
from ._util import responses as responses
from ._util import split_host_and_port as split_host_and_port
from ._util import url_concat as url_concat

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "HTTP1Codec",
    "RequestHead",
    "ResponseHead",
    "HTTPConnection",
    "HTTPConnectionContext",
    "HTTPFile",
    "HTTPHeaders",
    "HeaderBlock",
    "HTTPInputError",
    "HTTPMessageDelegate",
    "HTTPOutputError",
    "HTTPServerConnectionDelegate",
    "HTTPServerRequest",
    "RequestStartLine",
    "ResponseStartLine",
    "encode_username_password",
    "format_timestamp",
    "parse_body_arguments",
    "parse_cookie",
    "parse_multipart_form_data",
    "parse_request_start_line",
    "parse_response_start_line",
    "qs_to_qsl",
    "responses",
    "split_host_and_port",
    "url_concat",
]
