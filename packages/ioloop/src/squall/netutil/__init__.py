"""squall.netutil."""
