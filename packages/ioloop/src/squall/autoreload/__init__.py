"""squall.autoreload: restart the process when its source files change.

Call ``start()`` in a development server (``Application(debug=True)`` does),
``watch(path)`` for extra files, ``add_reload_hook(fn)`` for clean-up. Run a
program as ``python -m squall.autoreload script.py`` to survive syntax
errors: after any exit it waits for an edit and runs the program again.
"""

from ._main import main as main
from ._reload import add_reload_hook as add_reload_hook
from ._reload import start as start
from ._reload import wait as wait
from ._reload import watch as watch

__all__ = ["add_reload_hook", "main", "start", "wait", "watch"]
