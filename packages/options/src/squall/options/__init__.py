"""squall.options: command-line and config-file options, defined where they are used.

Any module may define the options it needs; the program parses them once at
start-up::

    from squall.options import define, options, parse_command_line

    define("port", default=8888, help="run on the given port", type=int)
    define("debug", default=False, help="reload on code changes")

    parse_command_line()          # --port=9000 --debug --logging=debug
    print(options.port)

The global parser also carries the logging options of `squall.log`
(``--logging``, ``--log-file-prefix``, ...): the final parse sets up logging.
"""

from ._errors import Error as Error
from ._errors import UnknownOptionError as UnknownOptionError
from ._globals import add_parse_callback as add_parse_callback
from ._globals import define as define
from ._globals import options as options
from ._globals import parse_command_line as parse_command_line
from ._globals import parse_config_file as parse_config_file
from ._globals import print_help as print_help
from ._option import MAX_RANGE_VALUES as MAX_RANGE_VALUES
from ._parser import OptionParser as OptionParser
from ._types import DATETIME_FORMATS as DATETIME_FORMATS

__all__ = [
    "DATETIME_FORMATS",
    "Error",
    "MAX_RANGE_VALUES",
    "OptionParser",
    "UnknownOptionError",
    "add_parse_callback",
    "define",
    "options",
    "parse_command_line",
    "parse_config_file",
    "print_help",
]
