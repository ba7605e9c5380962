"""squall.simple_httpclient."""
