"""squall.ioloop: a Tornado-style facade over the asyncio event loop.

``IOLoop`` wraps one asyncio loop; ``PeriodicCallback`` runs a function on a
fixed schedule; ``install_uvloop`` opts into uvloop. Exceptions escaping
callbacks are logged to the ``squall.application`` logger.
"""

from ._ioloop import IOLoop as IOLoop
from ._periodic import PeriodicCallback as PeriodicCallback
from ._uvloop import install_uvloop as install_uvloop

__all__ = ["IOLoop", "PeriodicCallback", "install_uvloop"]
