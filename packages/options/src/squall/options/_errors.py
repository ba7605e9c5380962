"""The exceptions of squall.options."""

from __future__ import annotations


class Error(Exception):
    """An option cannot be defined, parsed or set as asked.

    Every message names the option and says what is wrong with it: a second
    definition (with both definition places), an unknown command-line option,
    text that does not parse as the option's type (with the expected type and
    the offending text), a missing value, a value of the wrong Python type.
    """


class UnknownOptionError(Error, AttributeError):
    """An option name that no `define` call created.

    It is also an `AttributeError`, so ``hasattr(options, "nope")`` and
    ``getattr(options, "nope", default)`` work as they do on any object.
    """
