"""squall.options: defining, parsing (argv and config files), help, callbacks, mocking."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import squall.options
from squall.options import Error, OptionParser, UnknownOptionError


def parse(parser: OptionParser, *args: str, final: bool = True) -> list[str]:
    return parser.parse_command_line(["prog", *args], final=final)


# -- define and types -----------------------------------------------------------------


def test_type_is_inferred_from_the_default() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("ratio", default=0.5)
    parser.define("debug", default=False)
    parser.define("name")
    parse(parser, "--port=81", "--ratio=2", "--debug=true", "--name=42")
    assert parser.port == 81
    assert parser.ratio == 2.0 and isinstance(parser.ratio, float)
    assert parser.debug is True
    assert parser.name == "42"


def test_defaults_before_parsing() -> None:
    parser = OptionParser()
    parser.define("port", default=8888, type=int)
    parser.define("hosts", type=str, multiple=True)
    parser.define("prefix", type=str)
    assert parser.port == 8888
    assert parser.hosts == []
    assert parser.prefix is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("True", True), ("yes", True), ("on", True), ("1", True), ("t", True),
        ("false", False), ("FALSE", False), ("no", False), ("off", False), ("0", False), ("f", False),
    ],
)
def test_bool_values(text: str, expected: bool) -> None:
    parser = OptionParser()
    parser.define("debug", default=not expected)
    parse(parser, f"--debug={text}")
    assert parser.debug is expected


def test_bare_bool_flag_means_true() -> None:
    parser = OptionParser()
    parser.define("debug", default=False)
    assert parse(parser, "--debug") == []
    assert parser.debug is True


def test_bad_bool_text_is_an_error() -> None:
    parser = OptionParser()
    parser.define("debug", default=False)
    with pytest.raises(Error, match=r"'debug'.*boolean.*'maybe'"):
        parse(parser, "--debug=maybe")


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        (int, "eighty", "integer"),
        (int, "8.5", "integer"),
        (float, "fast", "number"),
        (datetime.datetime, "yesterday", "date/time"),
        (datetime.timedelta, "3 fortnights", "duration"),
        (datetime.timedelta, "", "duration"),
    ],
)
def test_bad_text_names_option_type_and_text(kind: type, text: str, words: str) -> None:
    parser = OptionParser()
    parser.define("value", type=kind)
    with pytest.raises(Error) as info:
        parse(parser, f"--value={text}")
    message = str(info.value)
    assert "'value'" in message
    assert words in message
    assert repr(text) in message


def test_long_offending_text_is_cut_in_the_message() -> None:
    parser = OptionParser()
    parser.define("port", type=int)
    with pytest.raises(Error) as info:
        parse(parser, "--port=" + "x" * 5000)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-17 13:45:10", datetime.datetime(2024, 5, 17, 13, 45, 10)),
        ("2024-05-17 13:45", datetime.datetime(2024, 5, 17, 13, 45)),
        ("2024-05-17T13:45:10", datetime.datetime(2024, 5, 17, 13, 45, 10)),
        ("20240517 13:45", datetime.datetime(2024, 5, 17, 13, 45)),
        ("2024-05-17", datetime.datetime(2024, 5, 17)),
        ("20240517", datetime.datetime(2024, 5, 17)),
        ("13:45", datetime.datetime(1900, 1, 1, 13, 45)),
        ("Fri May 17 13:45:10 2024", datetime.datetime(2024, 5, 17, 13, 45, 10)),
        ("2024-05-17T13:45:10.250000", datetime.datetime(2024, 5, 17, 13, 45, 10, 250000)),
    ],
)
def test_datetime_formats(text: str, expected: datetime.datetime) -> None:
    parser = OptionParser()
    parser.define("when", type=datetime.datetime)
    parse(parser, f"--when={text}")
    assert parser.when == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", datetime.timedelta(seconds=45)),
        ("45s", datetime.timedelta(seconds=45)),
        ("1h 30m", datetime.timedelta(hours=1, minutes=30)),
        ("1h30m", datetime.timedelta(hours=1, minutes=30)),
        ("2.5 days", datetime.timedelta(days=2, hours=12)),
        ("1 day, 2 hours", datetime.timedelta(days=1, hours=2)),
        ("1w", datetime.timedelta(weeks=1)),
        ("500ms", datetime.timedelta(milliseconds=500)),
        ("10us", datetime.timedelta(microseconds=10)),
        ("3 MIN", datetime.timedelta(minutes=3)),
        ("1h 30", datetime.timedelta(hours=1, seconds=30)),
        ("-5m", datetime.timedelta(minutes=-5)),
    ],
)
def test_timedelta_text(text: str, expected: datetime.timedelta) -> None:
    parser = OptionParser()
    parser.define("timeout", type=datetime.timedelta)
    parse(parser, f"--timeout={text}")
    assert parser.timeout == expected


@pytest.mark.parametrize("text", ["1.5.3", "30 1h", "1e400 days", "h", "1 parsec"])
def test_bad_timedelta_text(text: str) -> None:
    parser = OptionParser()
    parser.define("timeout", type=datetime.timedelta)
    with pytest.raises(Error, match="'timeout'.*duration"):
        parse(parser, f"--timeout={text}")


def test_custom_type_is_called_with_the_text() -> None:
    parser = OptionParser()
    parser.define("path", type=Path)
    parse(parser, "--path=/tmp/x")
    assert parser.path == Path("/tmp/x")


# -- multiple ---------------------------------------------------------------------


def test_multiple_strings() -> None:
    parser = OptionParser()
    parser.define("hosts", type=str, multiple=True)
    parse(parser, "--hosts=a.example, b.example,c")
    assert parser.hosts == ["a.example", "b.example", "c"]


def test_multiple_ints_with_ranges() -> None:
    parser = OptionParser()
    parser.define("ids", type=int, multiple=True)
    parse(parser, "--ids=1,5:8,-2:-1,10")
    assert parser.ids == [1, 5, 6, 7, 8, -2, -1, 10]


def test_multiple_type_is_inferred_from_the_first_default_item() -> None:
    parser = OptionParser()
    parser.define("ids", default=[1, 2], multiple=True)
    parser.define("names", default=[], multiple=True)
    parse(parser, "--ids=3:4", "--names=5")
    assert parser.ids == [3, 4]
    assert parser.names == ["5"]


def test_multiple_empty_text_is_an_empty_list() -> None:
    parser = OptionParser()
    parser.define("ids", type=int, multiple=True, default=[1])
    parse(parser, "--ids=")
    assert parser.ids == []


@pytest.mark.parametrize(("text", "words"), [("8:5", "empty"), ("1:x", "integer"), ("0:99999999999", "more than")])
def test_bad_ranges(text: str, words: str) -> None:
    parser = OptionParser()
    parser.define("ids", type=int, multiple=True)
    with pytest.raises(Error, match=f"'ids'.*{words}"):
        parse(parser, f"--ids={text}")


def test_multiple_floats_do_not_take_ranges() -> None:
    parser = OptionParser()
    parser.define("weights", type=float, multiple=True)
    with pytest.raises(Error, match="'weights'.*number"):
        parse(parser, "--weights=1:2")


def test_multiple_bool_needs_a_value() -> None:
    parser = OptionParser()
    parser.define("flags", type=bool, multiple=True)
    with pytest.raises(Error, match="'flags' needs a value"):
        parse(parser, "--flags")


# -- the command line ------------------------------------------------------------------


def test_stops_at_first_non_option_and_returns_the_rest() -> None:
    parser = OptionParser()
    parser.define("port", default=1)
    rest = parse(parser, "--port=2", "serve", "--port=3")
    assert rest == ["serve", "--port=3"]
    assert parser.port == 2


def test_double_dash_ends_options() -> None:
    parser = OptionParser()
    parser.define("port", default=1)
    assert parse(parser, "--port=2", "--", "--port=3") == ["--port=3"]
    assert parser.port == 2


def test_dashes_and_underscores_are_one_name() -> None:
    parser = OptionParser()
    parser.define("log_file_prefix", type=str)
    parse(parser, "--log-file-prefix=/tmp/a")
    assert parser.log_file_prefix == "/tmp/a"
    assert parser["log-file-prefix"] == "/tmp/a"
    parse(parser, "--log_file_prefix=/tmp/b")
    assert parser.log_file_prefix == "/tmp/b"


def test_value_may_contain_equals_signs() -> None:
    parser = OptionParser()
    parser.define("query", type=str)
    parse(parser, "--query=a=b=c")
    assert parser.query == "a=b=c"


def test_unknown_option_is_an_error_with_a_hint() -> None:
    parser = OptionParser()
    parser.define("port", default=1)
    with pytest.raises(Error, match=r"Unrecognized command line option '--prot=2'.*--port"):
        parse(parser, "--prot=2")


def test_missing_value_for_non_bool() -> None:
    parser = OptionParser()
    parser.define("port", default=1)
    with pytest.raises(Error, match=r"'port' needs a value.*--port=VALUE"):
        parse(parser, "--port")


def test_uses_sys_argv_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = OptionParser()
    parser.define("port", default=1)
    monkeypatch.setattr(sys, "argv", ["prog", "--port=5", "extra"])
    assert parser.parse_command_line() == ["extra"]
    assert parser.port == 5


def test_option_callback_gets_each_new_value() -> None:
    seen: list[Any] = []
    parser = OptionParser()
    parser.define("port", default=1, callback=seen.append)
    parse(parser, "--port=2")
    parser.port = 3
    assert seen == [2, 3]


# -- parse callbacks -------------------------------------------------------------------


def test_parse_callbacks_run_only_on_final_parse() -> None:
    calls: list[int] = []
    parser = OptionParser()
    parser.define("port", default=1)
    parser.add_parse_callback(lambda: calls.append(parser.port))
    parse(parser, "--port=2", final=False)
    assert calls == []
    parse(parser, "--port=3")
    assert calls == [3]
    parser.run_parse_callbacks()
    assert calls == [3, 3]


# -- access ----------------------------------------------------------------------------


def test_mapping_style_access() -> None:
    parser = OptionParser()
    parser.define("port", default=80, group="server")
    parser.define("debug", default=False, group="app")
    parser.define("log_dir", default="/tmp", group="app")
    assert "port" in parser and "log-dir" in parser and "nope" not in parser
    assert list(parser) == ["help", "port", "debug", "log_dir"]
    parser["port"] = 81
    assert parser.port == 81
    assert dict(parser.items()) == {"help": None, "port": 81, "debug": False, "log_dir": "/tmp"}
    assert parser.as_dict() == dict(parser.items())
    assert parser.groups() == {"", "server", "app"}
    assert parser.group_dict("app") == {"debug": False, "log_dir": "/tmp"}
    assert parser.group_dict("") == parser.as_dict()


def test_default_group_is_the_defining_file() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    assert __file__ in parser.groups()
    assert parser.group_dict(__file__) == {"port": 80}


def test_setting_checks_the_type() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("ratio", default=0.5)
    parser.define("hosts", type=str, multiple=True)
    with pytest.raises(Error, match=r"'port' must be an integer \(int\), not str"):
        parser.port = "81"
    with pytest.raises(Error, match=r"'port' must be an integer"):
        parser.port = True
    parser.ratio = 2
    assert parser.ratio == 2.0 and isinstance(parser.ratio, float)
    with pytest.raises(Error, match="'hosts' holds several values"):
        parser.hosts = "a,b"
    with pytest.raises(Error, match="'hosts' must be a string"):
        parser.hosts = ["a", 1]
    parser.port = None
    assert parser.port is None


def test_unknown_names_raise_unknown_option_error() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    with pytest.raises(UnknownOptionError, match=r"'prot'.*define\('prot'.*did you mean 'port'"):
        parser.prot = 1
    with pytest.raises(Error, match="'nope'"):
        parser["nope"] = 1
    with pytest.raises(AttributeError):
        parser.nope  # noqa: B018
    assert getattr(parser, "nope", "fallback") == "fallback"
    assert not hasattr(parser, "nope")


def test_redefinition_names_both_places() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    first_line = sys._getframe().f_lineno - 1
    with pytest.raises(Error) as info:
        parser.define("port", default=81)
    second_line = sys._getframe().f_lineno - 1
    message = str(info.value)
    assert "'port'" in message and "already defined" in message
    assert f"{__file__}:{first_line}" in message
    assert f"{__file__}:{second_line}" in message


def test_redefinition_with_other_spelling_is_caught() -> None:
    parser = OptionParser()
    parser.define("log_dir")
    with pytest.raises(Error, match="already defined"):
        parser.define("log-dir")


def test_default_of_wrong_type_is_rejected_at_define() -> None:
    parser = OptionParser()
    with pytest.raises(Error, match="'port'.*default.*integer"):
        parser.define("port", default="80", type=int)
    with pytest.raises(Error, match="'port2'.*type must be a class"):
        parser.define("port2", type="int")  # type: ignore[arg-type]
    assert "port" not in parser


# -- help ------------------------------------------------------------------------------


def _help_of(parser: OptionParser) -> str:
    out = io.StringIO()
    parser.print_help(out)
    return out.getvalue()


def test_help_groups_defaults_and_text() -> None:
    parser = OptionParser()
    parser.define("port", default=8888, help="port to listen on", group="server")
    parser.define("hosts", default=["a", "b"], type=str, multiple=True, group="server", help="allowed hosts")
    parser.define("secret", type=str, metavar="TEXT", help="cookie secret", group="security")
    parser.define("verbose", default=False, help="say more " * 20)
    text = _help_of(parser)
    lines = text.splitlines()
    assert lines[0].startswith("Usage: ")
    assert "server options:" in lines and "security options:" in lines
    assert f"{os.path.normpath(__file__)} options:" in lines
    port_line = next(line for line in lines if "--port=INT" in line)
    assert "port to listen on" in port_line and "(default: 8888)" in port_line
    assert any("--hosts=STR[,STR...]" in line and "(default: a,b)" in line for line in lines)
    secret_line = next(line for line in lines if "--secret=TEXT" in line)
    assert "default" not in secret_line
    assert "--help" in text
    # Long help wraps under the help column instead of running past 79 columns.
    assert max(len(line) for line in lines) <= 79
    verbose_at = next(i for i, line in enumerate(lines) if "--verbose" in line)
    assert lines[verbose_at + 1].startswith(" " * 20) and "say more" in lines[verbose_at + 1]
    # Groups are listed under their own heading, in order of their names.
    assert lines.index("security options:") < lines.index("server options:")
    assert lines.index("server options:") < lines.index(port_line)


def test_help_flag_prints_help_to_stdout_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    parser = OptionParser()
    parser.define("port", default=8888, help="port to listen on")
    with pytest.raises(SystemExit) as info:
        parse(parser, "--help")
    assert info.value.code == 0
    captured = capsys.readouterr()
    assert "--port=INT" in captured.out and "port to listen on" in captured.out
    assert captured.err == ""


# -- config files ----------------------------------------------------------------------


def test_config_file_sets_options_and_ignores_other_names(tmp_path: Path) -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("debug", default=False)
    parser.define("log_dir", type=str)
    parser.define("timeout", type=datetime.timedelta)
    parser.define("hosts", type=str, multiple=True)
    parser.define("ids", type=int, multiple=True)
    config = tmp_path / "app.conf"
    config.write_text(
        textwrap.dedent(
            """
            import os
            base = "/srv"
            port = 8000 + 1
            debug = True
            log_dir = os.path.join(base, "logs")
            timeout = "1h 30m"
            hosts = ["a", "b"]
            ids = "1,3:4"
            unrelated_setting = 12
            here = __file__
            """
        )
    )
    parser.parse_config_file(config)
    assert parser.port == 8001
    assert parser.debug is True
    assert parser.log_dir == "/srv/logs"
    assert parser.timeout == datetime.timedelta(hours=1, minutes=30)
    assert parser.hosts == ["a", "b"]
    assert parser.ids == [1, 3, 4]


def test_config_file_converts_strings_for_typed_options(tmp_path: Path) -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("ids", type=int, multiple=True)
    config = tmp_path / "app.conf"
    config.write_text('port = "8080"\nids = ["1", 2]\n')
    parser.parse_config_file(str(config))
    assert parser.port == 8080
    assert parser.ids == [1, 2]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("port = 'eighty'\n", r"'port' expects an integer.*'eighty'"),
        ("port = 8.5\n", r"'port' must be an integer.*float"),
        ("hosts = 5\n", r"'hosts' holds several values"),
    ],
)
def test_config_file_bad_values_name_file_and_option(tmp_path: Path, source: str, words: str) -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("hosts", type=str, multiple=True)
    config = tmp_path / "bad.conf"
    config.write_text(source)
    with pytest.raises(Error, match=words) as info:
        parser.parse_config_file(config)
    assert str(config) in str(info.value)


def test_config_file_errors_propagate(tmp_path: Path) -> None:
    parser = OptionParser()
    broken = tmp_path / "broken.conf"
    broken.write_text("port = (\n")
    with pytest.raises(SyntaxError):
        parser.parse_config_file(broken)
    with pytest.raises(FileNotFoundError):
        parser.parse_config_file(tmp_path / "missing.conf")


def test_config_file_runs_parse_callbacks_when_final(tmp_path: Path) -> None:
    calls: list[int] = []
    parser = OptionParser()
    parser.define("port", default=80)
    parser.add_parse_callback(lambda: calls.append(parser.port))
    config = tmp_path / "app.conf"
    config.write_text("port = 1\n")
    parser.parse_config_file(config, final=False)
    assert calls == []
    parser.parse_config_file(config)
    assert calls == [1]


def test_config_then_command_line_override(tmp_path: Path) -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    parser.define("debug", default=False)
    config = tmp_path / "app.conf"
    config.write_text("port = 1\ndebug = True\n")
    parser.parse_config_file(config, final=False)
    parse(parser, "--port=2")
    assert (parser.port, parser.debug) == (2, True)


# -- mockable --------------------------------------------------------------------------


def test_mockable_with_patch_object() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    with mock.patch.object(parser.mockable(), "port", 8080):
        assert parser.port == 8080
    assert parser.port == 80


def test_mockable_checks_types_and_unknown_names() -> None:
    parser = OptionParser()
    parser.define("port", default=80)
    mockable = parser.mockable()
    with pytest.raises(Error, match="'port' must be an integer"):
        with mock.patch.object(mockable, "port", "x"):
            pass  # pragma: no cover - the patch itself fails
    assert parser.port == 80
    with pytest.raises(AttributeError):
        with mock.patch.object(parser.mockable(), "nope", 1):
            pass  # pragma: no cover


# -- the global parser ------------------------------------------------------------------


@pytest.fixture
def global_options() -> Iterator[OptionParser]:
    """The global parser, with the options and values it had restored afterwards."""
    parser = squall.options.options
    saved_options = dict(parser._options)
    saved_values = {name: option._value for name, option in parser._options.items()}
    saved_callbacks = list(parser._parse_callbacks)
    try:
        yield parser
    finally:
        parser._options.clear()
        parser._options.update(saved_options)
        for name, option in parser._options.items():
            option._value = saved_values[name]
        parser._parse_callbacks[:] = saved_callbacks


def test_global_parser_has_the_logging_options(global_options: OptionParser) -> None:
    for name in (
        "logging", "log_to_stderr", "log_file_prefix", "log_file_max_size",
        "log_file_num_backups", "log_rotate_when", "log_rotate_interval", "log_rotate_mode",
    ):
        assert name in global_options
    assert global_options.logging == "info"


def test_module_functions_use_the_global_parser(global_options: OptionParser) -> None:
    calls: list[str] = []
    squall.options.define("test_module_port", default=1, group="test-module")
    squall.options.add_parse_callback(lambda: calls.append("parsed"))
    rest = squall.options.parse_command_line(["prog", "--test-module-port=2", "--logging=none", "x"])
    assert rest == ["x"]
    assert global_options.test_module_port == 2
    assert calls == ["parsed"]
    out = io.StringIO()
    squall.options.print_help(out)
    assert "test-module options:" in out.getvalue()


def test_global_module_in_a_script(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            from squall.log import app_log
            from squall.options import define, options, parse_command_line

            define("port", default=8888, help="run on the given port", type=int)
            rest = parse_command_line()
            app_log.debug("would listen on %d", options.port)
            print("port", options.port, "rest", rest)
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    result = subprocess.run(
        [sys.executable, str(script), "--port=9999", "--logging=debug", "tail"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "port 9999 rest ['tail']"
    # A pipe gets plain lines: the debug record, level letter and module, no colour codes.
    log_lines = [line for line in result.stderr.splitlines() if "would listen on 9999" in line]
    assert len(log_lines) == 1
    assert log_lines[0].startswith("[D ") and " server:7]" in log_lines[0]
    assert "\033" not in result.stderr


def test_script_help_lists_options_and_exits_zero(tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_text(
        "from squall.options import define, parse_command_line\n"
        "define('port', default=8888, help='run on the given port', type=int)\n"
        "parse_command_line()\n"
        "print('not reached')\n"
    )
    result = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "Usage: tool.py [OPTIONS]" in result.stdout
    assert "--port=INT" in result.stdout and "--logging=" in result.stdout
    assert "not reached" not in result.stdout
