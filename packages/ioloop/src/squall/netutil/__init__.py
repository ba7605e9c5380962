"""squall.netutil: listening sockets, name resolution, TLS options.

``bind_sockets`` / ``bind_unix_socket`` create listening sockets,
``add_accept_handler`` accepts on them from the IOLoop, ``Resolver`` resolves
names without blocking, ``ssl_options_to_context`` turns an ``ssl_options``
dict into an ``ssl.SSLContext``.
"""

from ._bind import DEFAULT_BACKLOG as DEFAULT_BACKLOG
from ._bind import add_accept_handler as add_accept_handler
from ._bind import bind_sockets as bind_sockets
from ._bind import bind_unix_socket as bind_unix_socket
from ._ip import is_valid_ip as is_valid_ip
from ._resolver import DefaultExecutorResolver as DefaultExecutorResolver
from ._resolver import DefaultLoopResolver as DefaultLoopResolver
from ._resolver import OverrideResolver as OverrideResolver
from ._resolver import Resolver as Resolver
from ._ssl import ssl_options_to_context as ssl_options_to_context

__all__ = [
    "DEFAULT_BACKLOG",
    "DefaultExecutorResolver",
    "DefaultLoopResolver",
    "OverrideResolver",
    "Resolver",
    "add_accept_handler",
    "bind_sockets",
    "bind_unix_socket",
    "is_valid_ip",
    "ssl_options_to_context",
]
