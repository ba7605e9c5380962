"""squall.tcpserver: a non-blocking TCP server to subclass (override ``handle_stream``)."""

from ._server import TCPServer as TCPServer

__all__ = ["TCPServer"]
