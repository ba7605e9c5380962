"""``python -m squall.httpclient URL ...`` (see `squall.httpclient.main`)."""

import sys

from ._cli import main

sys.exit(main())
