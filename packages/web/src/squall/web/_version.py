"""The version of squall-web and the default ``Server`` header."""

__version__ = "0.1.0"

SERVER_HEADER = "SquallServer/" + __version__
