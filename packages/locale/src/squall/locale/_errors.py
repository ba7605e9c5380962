"""The exceptions and warnings of squall.locale."""

from __future__ import annotations


class LocaleError(ValueError):
    """Base class of the errors raised by squall.locale.

    It derives from ValueError because every one of them reports a value
    (a locale code, a catalogue file) that cannot be used as given.
    """


class TranslationError(LocaleError):
    """A translation file or directory cannot be loaded.

    The message names the file (and the line, for a CSV file) and says what
    is wrong with it. Loading is all or nothing: when this is raised, the
    translations loaded before the call stay in place.
    """


class UnsupportedLocaleError(LocaleError, LookupError):
    """A locale code is malformed, or names a locale that is not supported.

    Raised by `Locale.get` and `set_default_locale`; `get` and
    `Locale.get_closest` never raise it, they fall back to the default locale.
    """


class TranslationWarning(UserWarning):
    """A file in a translation directory was ignored.

    Issued (with `warnings.warn`) for each entry that is not a catalogue the
    loader understands, e.g. ``README.txt`` or ``spanish.csv`` in a CSV
    directory. Turn it into an error with
    ``warnings.simplefilter("error", TranslationWarning)``.
    """
