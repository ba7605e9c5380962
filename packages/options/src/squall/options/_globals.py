"""The global parser and the module-level functions bound to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import IO, Any

from squall.log import define_logging_options

from ._parser import OptionParser

#: The global parser that `define`, `parse_command_line` and the other
#: module-level functions use. It comes with ``help`` and the logging options
#: of `squall.log.define_logging_options` (``--logging``, ``--log-file-prefix``,
#: ...), so a final parse also sets up logging. Defining them installs no
#: handler: that happens only when a final parse runs the callbacks.
options = OptionParser()
define_logging_options(options)


def define(
    name: str,
    default: Any = None,
    type: type | None = None,
    help: str | None = None,
    metavar: str | None = None,
    multiple: bool = False,
    group: str | None = None,
    callback: Callable[[Any], None] | None = None,
) -> None:
    """Define an option on the global `options`; see `OptionParser.define`.

    Raises:
        Error: the option is already defined, or the default does not fit the type.
    """
    options.define(
        name,
        default=default,
        type=type,
        help=help,
        metavar=metavar,
        multiple=multiple,
        group=group,
        callback=callback,
    )


def parse_command_line(args: Sequence[str] | None = None, final: bool = True) -> list[str]:
    """Set the global `options` from ``sys.argv``; see `OptionParser.parse_command_line`.

    Returns:
        The arguments left after the options.

    Raises:
        Error: an unknown option, a missing value or a value of the wrong type.
    """
    return options.parse_command_line(args, final=final)


def parse_config_file(path: str | os.PathLike[str], final: bool = True) -> None:
    """Set the global `options` from a Python config file; see `OptionParser.parse_config_file`.

    Raises:
        Error: a value has the wrong type or does not parse.
    """
    options.parse_config_file(path, final=final)


def print_help(file: IO[str] | None = None) -> None:
    """Write the help of the global `options` (standard output by default)."""
    options.print_help(file)


def add_parse_callback(callback: Callable[[], None]) -> None:
    """Call ``callback()`` after each final parse of the global `options`."""
    options.add_parse_callback(callback)
