"""main(): run a module's tests, like unittest.main."""

from __future__ import annotations

import logging
import unittest
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, **kwargs: Any) -> None:
    """Run tests from the command line, like `unittest.main`.

    Put ``squall.testing.main()`` under ``if __name__ == "__main__":`` in a
    test module, or run ``python -m squall.testing test_module ...`` (the
    arguments are those of ``python -m unittest``). Unless logging is
    already configured, log records of level INFO and up are printed, so
    that errors logged by the application appear next to the failures.

    Args:
        argv: the command line (``sys.argv`` by default).
        **kwargs: more arguments for `unittest.main` (``module``,
            ``verbosity``, ``exit``...).

    Raises:
        SystemExit: with the test run's status, unless ``exit=False``.
    """
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="[%(levelname)1.1s %(name)s] %(message)s")
    unittest.main(argv=list(argv) if argv is not None else None, **kwargs)
