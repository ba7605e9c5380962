"""squall.escape: html, url and json escaping and string helpers."""
