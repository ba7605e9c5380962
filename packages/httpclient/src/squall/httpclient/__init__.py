"""squall.httpclient: a standalone async http client with pure-python and pycurl back ends."""
