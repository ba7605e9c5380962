"""squall.iostream: buffered, non-blocking streams over sockets and pipes.

``IOStream`` (TCP and unix sockets), ``SSLIOStream`` (TLS) and
``PipeIOStream`` share the read API of ``BaseIOStream``: ``read_until``,
``read_until_regex``, ``read_bytes``, ``read_into``, ``read_until_close``,
and ``write``, each returning an awaitable future.
"""

from ._base import BaseIOStream as BaseIOStream
from ._errors import StreamBufferFullError as StreamBufferFullError
from ._errors import StreamClosedError as StreamClosedError
from ._errors import UnsatisfiableReadError as UnsatisfiableReadError
from ._pipe import PipeIOStream as PipeIOStream
from ._socket import IOStream as IOStream
from ._ssl import SSLIOStream as SSLIOStream

__all__ = [
    "BaseIOStream",
    "IOStream",
    "PipeIOStream",
    "SSLIOStream",
    "StreamBufferFullError",
    "StreamClosedError",
    "UnsatisfiableReadError",
]
