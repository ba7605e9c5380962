"""squall.httputil: a strict sans-io http/1.1 codec, headers, requests, body and cookie parsing."""
