"""squall.tcpclient."""
