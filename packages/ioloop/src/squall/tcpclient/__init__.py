"""squall.tcpclient: open TCP (and TLS) connections as IOStreams, with happy eyeballs."""

from ._client import TCPClient as TCPClient

__all__ = ["TCPClient"]
