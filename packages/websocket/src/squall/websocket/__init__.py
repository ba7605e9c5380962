"""squall.websocket: websocket server handler and client (rfc 6455, rfc 7692)."""
