"""squall.cli: the ``squall`` command.

``squall serve module:app`` runs an application in production: several
worker processes, graceful shutdown, HTTPS, unix sockets, proxy headers.
The same is available from Python as `serve` with a `ServeConfig`.
"""

from ._main import main as main
from ._serve import ServeConfig as ServeConfig
from ._serve import ServeConfigError as ServeConfigError
from ._serve import serve as serve
from ._target import AppLoadError as AppLoadError
from ._target import load_app as load_app

__all__ = ["AppLoadError", "ServeConfig", "ServeConfigError", "load_app", "main", "serve"]
