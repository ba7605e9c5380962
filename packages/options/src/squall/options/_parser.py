"""`OptionParser`: a registry of defined options, filled from argv and config files."""

from __future__ import annotations

import builtins
import difflib
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from . import _types
from ._errors import Error, UnknownOptionError
from ._option import _Option

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# Column where the help text of each option starts in `print_help`.
_HELP_COLUMN = 34
_HELP_WIDTH = 79


def _normalize(name: str) -> str:
    # "log_file_prefix" and "log-file-prefix" are one option; the key uses "-".
    return name.replace("_", "-")


def _definition_site() -> tuple[str, int]:
    """File and line of the first caller outside squall.options (who called define)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


class OptionParser:
    """A collection of options, read from the command line and config files.

    Define each option once with `define`, then fill the values with
    `parse_command_line` and/or `parse_config_file`, and read them as
    attributes (``options.port``) or items (``options["port"]``). In a name,
    ``-`` and ``_`` are the same character: ``--log-file-prefix`` sets
    ``options.log_file_prefix``.

    Most programs use the module's global parser through `squall.options.define`
    and `squall.options.options`; a fresh ``OptionParser()`` is handy in tests
    and for libraries that keep their options apart. Every parser starts with
    one option, ``help``, which prints the help and exits when set.
    """

    # Attributes live in __dict__ under these names; every other attribute
    # name is an option (see __getattr__/__setattr__).
    _options: dict[str, _Option]
    _parse_callbacks: list[Callable[[], None]]

    def __init__(self) -> None:
        self.__dict__["_options"] = {}
        self.__dict__["_parse_callbacks"] = []
        self._add(
            _Option(
                "help",
                default=None,
                type=bool,
                help="show this help information and exit",
                metavar=None,
                multiple=False,
                file_name="",
                line=0,
                group_name="",
                callback=self._help_callback,
            )
        )

    # -- defining ---------------------------------------------------------------

    def define(
        self,
        name: str,
        default: Any = None,
        type: type | None = None,
        help: str | None = None,
        metavar: str | None = None,
        multiple: bool = False,
        group: str | None = None,
        callback: Callable[[Any], None] | None = None,
    ) -> None:
        """Define a new option.

        Args:
            name: the option's name; ``-`` and ``_`` are interchangeable.
            default: the value before anything sets it.
            type: ``str``, ``int``, ``float``, ``bool``, ``datetime.datetime``,
                ``datetime.timedelta`` or any class whose constructor takes one
                string. When left out, the type of ``default`` (of its first
                item for a multiple option; ``str`` when there is none).
            help: one line for `print_help`.
            metavar: the placeholder shown in the help (``--port=PORT``);
                by default the type's name in capitals.
            multiple: the option holds a list, written comma-separated on the
                command line (``--ids=1,5:7`` gives ``[1, 5, 6, 7]`` for ints).
            group: the heading the option is listed under by `print_help` and
                `group_dict`; by default the file that calls ``define``.
            callback: called with the new value each time the option is set
                (by parsing or assignment).

        Raises:
            Error: an option of that name is already defined (the message
                names both places), or ``type`` is not a class.
        """
        file_name, line = _definition_site()
        normalized = _normalize(name)
        if normalized in self._options:
            first = self._options[normalized]
            raise Error(
                f"Option {name!r} is already defined at {first.where}; it cannot be defined again at "
                f"{file_name}:{line} (rename one of them, or define it once and import it)"
            )
        if type is None:
            type = _inferred_type(default, multiple)
        if not isinstance(type, builtins.type):
            raise Error(f"Option {name!r}: type must be a class such as int or str, not {type!r}")
        option = _Option(
            name,
            default=default,
            type=type,
            help=help,
            metavar=metavar,
            multiple=multiple,
            file_name=file_name,
            line=line,
            group_name=file_name if group is None else group,
            callback=callback,
        )
        if default is not None:
            # A default of the wrong type is a bug at the definition, not at use.
            try:
                option.default = option.validated(default)
            except Error as exc:
                raise Error(f"Option {name!r}: the default does not fit the type: {exc}") from None
        self._add(option)

    def _add(self, option: _Option) -> None:
        self._options[_normalize(option.name)] = option

    # -- reading and writing values ---------------------------------------------

    def _lookup(self, name: str) -> _Option:
        option = self._options.get(_normalize(name))
        if option is None:
            close = difflib.get_close_matches(_normalize(name), list(self._options), n=1)
            hint = f"; did you mean {self._options[close[0]].name!r}?" if close else ""
            raise UnknownOptionError(f"Unrecognized option {name!r}: define it first with define({name!r}, ...){hint}")
        return option

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            # copy, pickle and friends probe for dunders; they are never options.
            raise AttributeError(name)
        return self._lookup(name).value()

    def __setattr__(self, name: str, value: Any) -> None:
        self._lookup(name).set(value)

    def __getitem__(self, name: str) -> Any:
        return self._lookup(name).value()

    def __setitem__(self, name: str, value: Any) -> None:
        self._lookup(name).set(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalize(name) in self._options

    def __iter__(self) -> Iterator[str]:
        return iter([option.name for option in self._options.values()])

    def items(self) -> list[tuple[str, Any]]:
        """``(name, value)`` for every option, in definition order."""
        return [(option.name, option.value()) for option in self._options.values()]

    def groups(self) -> set[str]:
        """The names of the groups the options belong to (see `define`)."""
        return {option.group_name for option in self._options.values()}

    def group_dict(self, group: str) -> dict[str, Any]:
        """``{name: value}`` for the options of one group.

        Handy to pass a group of settings on, e.g.
        ``Application(handlers, **options.group_dict("application"))``.
        An empty ``group`` selects every option.
        """
        return {
            option.name: option.value()
            for option in self._options.values()
            if not group or option.group_name == group
        }

    def as_dict(self) -> dict[str, Any]:
        """``{name: value}`` for every option."""
        return {option.name: option.value() for option in self._options.values()}

    # -- parsing ----------------------------------------------------------------

    def parse_command_line(self, args: Sequence[str] | None = None, final: bool = True) -> list[str]:
        """Set options from command-line arguments.

        Options are written ``--name=value``; a bool option may also be
        written ``--name`` alone, meaning true. Parsing stops at the first
        argument that does not start with ``-``, or after ``--``.

        Args:
            args: the whole argument list, program name first (``sys.argv``
                when ``None``); ``args[0]`` is skipped.
            final: run the parse callbacks (`add_parse_callback`) at the end.
                Pass false when a config file or a second parse follows.

        Returns:
            The arguments left after the options.

        Raises:
            Error: an unknown option, a missing value, or a value that does
                not convert to the option's type.
        """
        argv = list(sys.argv if args is None else args)
        remaining: list[str] = []
        for index in range(1, len(argv)):
            arg = argv[index]
            if not arg.startswith("-"):
                remaining = argv[index:]
                break
            if arg == "--":
                remaining = argv[index + 1 :]
                break
            name, equals, value = arg.lstrip("-").partition("=")
            if name not in self:
                close = difflib.get_close_matches(_normalize(name), list(self._options), n=1)
                hint = f"; did you mean --{_normalize(close[0])}?" if close else ""
                raise Error(
                    f"Unrecognized command line option {_types.shown(arg)}{hint} (see --help for the list)"
                )
            option = self._lookup(name)
            if not equals:
                if option.type is not bool or option.multiple:
                    raise Error(f"Option {option.name!r} needs a value: write --{_normalize(name)}=VALUE")
                value = "true"
            option.parse(value)
        if final:
            self.run_parse_callbacks()
        return remaining

    def parse_config_file(self, path: str | os.PathLike[str], final: bool = True) -> None:
        """Set options from a config file written in Python.

        The file runs in a fresh namespace (with ``__file__`` set); every
        top-level name that matches a defined option sets it. Text given to a
        non-string option is parsed as on the command line; other values must
        already have the option's type. Names that are not options are
        ignored, so a config file may keep helper variables and imports.

        Args:
            path: the file to run.
            final: run the parse callbacks (`add_parse_callback`) at the end.

        Raises:
            Error: a value has the wrong type or does not parse (the message
                names the file).
            OSError: the file cannot be read.
            SyntaxError: the file is not valid Python. Exceptions the file
                raises itself propagate unchanged.
        """
        filename = os.path.abspath(os.fspath(path))
        with open(filename, "rb") as handle:
            source = handle.read()
        namespace: dict[str, Any] = {"__file__": filename, "__name__": "__squall_config__"}
        exec(compile(source, filename, "exec"), namespace)
        for name, value in namespace.items():
            if name.startswith("__") or name not in self:
                continue
            try:
                self._lookup(name).set_from_config(value)
            except Error as exc:
                raise Error(f"{filename}: {exc}") from None
        if final:
            self.run_parse_callbacks()

    # -- callbacks ----------------------------------------------------------------

    def add_parse_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after each final parse (``final=True``)."""
        self._parse_callbacks.append(callback)

    def run_parse_callbacks(self) -> None:
        """Call the parse callbacks now, in the order they were added."""
        for callback in list(self._parse_callbacks):
            callback()

    # -- help -----------------------------------------------------------------------

    def print_help(self, file: IO[str] | None = None) -> None:
        """Write every option, its default and help, grouped, to ``file``.

        Args:
            file: where to write; standard output by default.

        Compatibility: Tornado writes the help to standard error by default;
        squall writes to standard output, like argparse, so ``--help | less``
        works.
        """
        out = sys.stdout if file is None else file
        program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "program"
        lines = [f"Usage: {program} [OPTIONS]", "", "Options:"]
        by_group: dict[str, list[_Option]] = {}
        for option in self._options.values():
            by_group.setdefault(option.group_name, []).append(option)
        for group in sorted(by_group):
            lines.append("")
            if group:
                heading = os.path.normpath(group) if os.sep in group else group
                lines.extend([f"{heading} options:", ""])
            for option in sorted(by_group[group], key=lambda o: o.name):
                lines.extend(_help_lines(option))
        out.write("\n".join(lines) + "\n")

    def _help_callback(self, value: bool) -> None:
        if value:
            self.print_help()
            sys.exit(0)

    def mockable(self) -> _Mockable:
        """An object through which `unittest.mock.patch.object` can patch options.

        ``mock.patch.object(options.mockable(), "port", 8000)`` sets
        ``options.port`` for the duration and restores it afterwards (a
        parser itself cannot be patched that way, since its option values
        are not plain attributes).
        """
        return _Mockable(self)



def _inferred_type(default: Any, multiple: bool) -> type:
    # A list default gives its first item's type; Tornado would say str and
    # then reject nothing, leaving parsed strings beside default ints.
    if multiple:
        if isinstance(default, (list, tuple)) and default and default[0] is not None:
            return builtins.type(default[0])
        return str
    return str if default is None else builtins.type(default)


def _help_lines(option: _Option) -> list[str]:
    flag = f"--{_normalize(option.name)}"
    if option.type is not bool or option.multiple:
        metavar = option.metavar or option.type.__name__.upper()
        flag += f"={metavar}[,{metavar}...]" if option.multiple else f"={metavar}"
    description = option.help or ""
    default = option.default
    if default is not None and default != "" and default != []:
        shown = ",".join(str(v) for v in default) if option.multiple else str(default)
        description = f"{description} (default: {shown})".strip()
    wrapped = textwrap.wrap(description, _HELP_WIDTH - _HELP_COLUMN) or [""]
    if len(flag) + 2 >= _HELP_COLUMN:
        first = [f"  {flag}"]
        rest = wrapped
    else:
        first = [f"  {flag.ljust(_HELP_COLUMN - 2)}{wrapped[0]}".rstrip()]
        rest = wrapped[1:]
    return first + [" " * _HELP_COLUMN + line for line in rest]


class _Mockable:
    """Forwards attribute access to a parser; remembers originals for `delattr`.

    `unittest.mock.patch.object` sets the attribute, then deletes it on exit;
    deleting restores the value the option had before the patch.
    """

    def __init__(self, parser: OptionParser) -> None:
        self.__dict__["_parser"] = parser
        self.__dict__["_originals"] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._parser, name)

    def __setattr__(self, name: str, value: Any) -> None:
        originals: dict[str, Any] = self.__dict__["_originals"]
        if name in originals:
            raise Error(f"Option {name!r} is already patched through this object; make a new mockable() per patch")
        originals[name] = getattr(self._parser, name)
        setattr(self._parser, name, value)

    def __delattr__(self, name: str) -> None:
        originals: dict[str, Any] = self.__dict__["_originals"]
        if name not in originals:
            raise AttributeError(f"Option {name!r} was not patched through this object")
        setattr(self._parser, name, originals.pop(name))
