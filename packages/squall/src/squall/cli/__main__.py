"""``python -m squall.cli``: the same as the ``squall`` command."""

import sys

from ._main import main

sys.exit(main())
