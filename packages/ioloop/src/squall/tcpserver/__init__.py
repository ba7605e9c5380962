"""squall.tcpserver."""
