"""squall.log: the squall loggers and readable, coloured log lines.

squall writes to three loggers: `access_log` (``squall.access``, one line
per request), `app_log` (``squall.application``, errors in application code)
and `gen_log` (``squall.general``, everything else). Configure them like any
`logging` logger, or let `enable_pretty_logging` do it::

    import logging
    from squall.log import LogFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(LogFormatter(stream=handler.stream))
    logging.getLogger().addHandler(handler)

A final `squall.options.parse_command_line` calls `enable_pretty_logging`
for you (``--logging=debug``, ``--log-file-prefix=/var/log/app.log``).
"""

from ._formatter import LogFormatter as LogFormatter
from ._formatter import stream_supports_color as stream_supports_color
from ._loggers import access_log as access_log
from ._loggers import app_log as app_log
from ._loggers import gen_log as gen_log
from ._setup import define_logging_options as define_logging_options
from ._setup import enable_pretty_logging as enable_pretty_logging

__all__ = [
    "LogFormatter",
    "access_log",
    "app_log",
    "define_logging_options",
    "enable_pretty_logging",
    "gen_log",
    "stream_supports_color",
]
