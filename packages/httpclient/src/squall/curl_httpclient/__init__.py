"""squall.curl_httpclient."""
