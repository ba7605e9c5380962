"""squall.httpserver: a fast, hardened non-blocking http/1.1 server."""
