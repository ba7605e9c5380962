"""Entry point of the ``squall`` command: ``squall --version`` and ``squall serve``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import metadata

from ._serve import DEFAULT_PORT, ServeConfig, ServeConfigError, serve
from ._target import AppLoadError

log = logging.getLogger("squall.cli")


def installed_distributions() -> list[tuple[str, str]]:
    """Return ``(name, version)`` of every installed squall distribution, sorted by name."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        normalized = name.lower().replace("_", "-")
        if normalized == "squall" or normalized.startswith("squall-"):
            found[normalized] = dist.version
    return sorted(found.items())


def _print_version() -> None:
    for name, version in installed_distributions():
        print(f"{name} {version}")


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, not {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="squall", description="The squall web framework and toolkit."
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="list every installed squall distribution and its version",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "serve",
        help="serve an application (e.g. squall serve myapp:application)",
        description=(
            "Serve a squall.web.Application until SIGTERM or SIGINT, then stop "
            "gracefully (in-flight requests finish, bounded by --shutdown-timeout)."
        ),
    )
    run.add_argument(
        "app",
        metavar="MODULE:APP",
        help="the application: module:app (an Application) or module:make_app() "
        "(a function of no arguments that returns one)",
    )
    run.add_argument(
        "--port", type=int, default=None,
        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    run.add_argument(
        "--address", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; '' for every interface)",
    )
    run.add_argument(
        "--unix-socket", metavar="PATH", default=None,
        help="listen on this unix-domain socket (only there, unless --port is given too)",
    )
    run.add_argument(
        "--processes", type=int, default=1, metavar="N",
        help="worker processes (default 1; 0 = one per CPU); crashed workers are restarted",
    )
    run.add_argument(
        "--reuse-port", action="store_true",
        help="give each worker its own SO_REUSEPORT socket instead of one shared socket",
    )
    run.add_argument(
        "--reload", action="store_true",
        help="restart when a source file changes (development; one process only)",
    )
    run.add_argument(
        "--xheaders", action="store_true",
        help="take the client's address and scheme from X-Real-IP/X-Scheme "
        "(behind a reverse proxy such as nginx only)",
    )
    run.add_argument("--ssl-cert", metavar="FILE", default=None, help="PEM certificate chain: serve HTTPS")
    run.add_argument("--ssl-key", metavar="FILE", default=None, help="PEM private key of --ssl-cert")
    run.add_argument(
        "--shutdown-timeout", type=_non_negative_float, default=10.0, metavar="SECONDS",
        help="how long in-flight requests may take to finish on shutdown (default 10)",
    )
    run.add_argument(
        "--max-restarts", type=int, default=None, metavar="N",
        help="crashed workers restarted in total before giving up (default 100)",
    )
    run.add_argument(
        "--app-dir", metavar="DIR", default=None,
        help="import the application from this folder (default: the current folder)",
    )
    run.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"],
        help="logging threshold (default info: one line per request)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``squall`` command with ``argv`` (defaults to ``sys.argv[1:]``).

    Args:
        argv: the command-line arguments, without the program name.

    Returns:
        The exit status: 0 on success, 1 if the application cannot be
        loaded or served, 2 for a usage error.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.version:
        _print_version()
        return 0
    if args.command != "serve":
        parser.print_help()
        return 0
    try:
        config = ServeConfig(
            app=args.app,
            port=args.port,
            address=args.address,
            unix_socket=args.unix_socket,
            processes=args.processes,
            reuse_port=args.reuse_port,
            reload=args.reload,
            xheaders=args.xheaders,
            ssl_cert=args.ssl_cert,
            ssl_key=args.ssl_key,
            shutdown_timeout=args.shutdown_timeout,
            max_restarts=args.max_restarts,
            app_dir=args.app_dir,
        )
    except ServeConfigError as error:
        print(f"squall serve: error: {error}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=args.log_level.upper(),
            format="%(asctime)s %(process)d %(levelname).1s %(name)s: %(message)s",
        )
    try:
        return serve(config)
    except (AppLoadError, ServeConfigError) as error:
        print(f"squall serve: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"squall serve: error: cannot listen: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
