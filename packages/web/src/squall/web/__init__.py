"""squall.web: the squall web framework: applications, handlers, cookies, xsrf, static files."""
