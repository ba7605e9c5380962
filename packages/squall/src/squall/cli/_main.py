"""Entry point of the ``squall`` command."""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from collections.abc import Sequence


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``squall`` command with ``argv`` (defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog="squall", description="The squall web framework and toolkit."
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="list every installed squall distribution and its version",
    )
    args = parser.parse_args(argv)
    if args.version:
        _print_version()
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
