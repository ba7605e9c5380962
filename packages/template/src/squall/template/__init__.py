"""squall.template: a fast, standalone template engine that compiles to python."""
