"""The three loggers the squall packages write to."""

from __future__ import annotations

import logging

#: One line per finished HTTP request (squall.web's access log).
access_log = logging.getLogger("squall.access")
#: Errors from application code: uncaught exceptions in handlers and callbacks.
app_log = logging.getLogger("squall.application")
#: Everything else squall itself reports (connections, protocol errors, ...).
gen_log = logging.getLogger("squall.general")
