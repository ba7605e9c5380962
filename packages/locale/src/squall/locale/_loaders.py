"""Loading a directory of translations: CSV files or gettext catalogues."""

from __future__ import annotations

import gettext
import io
import os
import struct
import warnings

from . import _state
from ._codes import normalize_code
from ._csv import is_csv_name, read_csv_catalogue
from ._errors import TranslationError, TranslationWarning
from ._state import CSVTranslations


def _list_directory(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError as exc:
        raise TranslationError(
            f"cannot list the translation directory {directory}: {exc.strerror or exc}"
        ) from exc


def _claim(found: dict[str, str], code: str, path: str) -> None:
    # es_GT.csv and es-gt.csv (on a case-sensitive file system) are the same
    # locale; loading both would silently drop one of them.
    if code in found:
        raise TranslationError(
            f"{found[code]} and {path} are both translations for locale {code}; "
            "keep one of them"
        )
    found[code] = path


def load_translations(directory: str | os.PathLike[str], encoding: str | None = None) -> None:
    """Load the CSV translation files of a directory, one file per locale.

    Each file is named after its locale (``es_GT.csv``, ``fr.csv``; the code
    may be written ``es-gt.csv``) and holds rows of the English message and
    its translation, with an optional third column for plural messages::

        "Sign in","Iniciar sesión"
        "%(name)s liked this","A %(name)s le gustó esto","singular"
        "%(name)s liked this","A %(name)s les gustó esto","plural"

    A plural message has a ``singular`` row (used when the count is 1) and a
    ``plural`` row (used otherwise), both keyed by the English singular and
    plural messages passed to `Locale.translate`. A row with an empty
    translation is not translated yet; blank lines are skipped.

    The supported locales become the codes of the files found plus the
    default locale. Calling this again replaces every loaded translation
    (CSV or gettext). When it raises, the previous translations stay.

    Hidden entries (names starting with ``.``) are skipped. Any other entry
    that is not a ``<locale code>.csv`` file, such as ``README.txt`` or
    ``spanish.csv``, is ignored with a `TranslationWarning`.

    Compatibility: Tornado skips malformed rows and stray files silently;
    squall raises `TranslationError` or warns.

    Args:
        directory: the directory holding the CSV files.
        encoding: the files' encoding. By default each file's is detected:
            UTF-16 (from a byte-order mark, or from the NUL bytes of its
            first character), else UTF-8 with or without a byte-order mark.

    Raises:
        TranslationError: the directory cannot be listed, a file cannot be
            read or decoded, a row is malformed (not 2 or 3 columns, an empty
            English message, a third column other than ``singular`` or
            ``plural``), a message is translated twice differently, or two
            files are for the same locale. The message names the file and
            line.
    """
    root = os.fspath(directory)
    paths: dict[str, str] = {}
    for name in _list_directory(root):
        if name.startswith("."):
            continue
        path = os.path.join(root, name)
        stem = os.path.splitext(name)[0]
        code = normalize_code(stem) if is_csv_name(name) else None
        if code is None or not os.path.isfile(path):
            warnings.warn(
                f"{path} is not a translation file and was ignored; name CSV "
                "translation files after their locale, such as es_GT.csv",
                TranslationWarning,
                stacklevel=2,
            )
            continue
        _claim(paths, code, path)
    catalogues: dict[str, CSVTranslations] = {
        code: read_csv_catalogue(path, encoding) for code, path in paths.items()
    }
    _state.install(csv=catalogues, gettext={})


def load_gettext_translations(directory: str | os.PathLike[str], domain: str) -> None:
    """Load gettext catalogues: ``<directory>/<locale>/LC_MESSAGES/<domain>.mo``.

    The catalogues are compiled ``.mo`` files, as made from ``.po`` files by
    ``msgfmt`` or Babel's ``pybabel compile``; they are read with the
    standard library's `gettext`. Plural forms follow each catalogue's
    ``Plural-Forms`` header, so languages with three or more forms
    (Russian, Polish, Czech, Arabic...) are right; ``msgctxt`` contexts
    work with `Locale.pgettext`.

    The supported locales become the locale directories with a catalogue
    plus the default locale. Calling this again replaces every loaded
    translation (CSV or gettext). When it raises, the previous translations
    stay.

    Hidden entries are skipped. Any other entry that is not a locale
    directory with a ``<domain>.mo`` catalogue (e.g. a ``messages.pot``
    template, or ``de/`` without ``LC_MESSAGES/<domain>.mo``) is ignored with
    a `TranslationWarning`.

    Args:
        directory: the directory holding one sub-directory per locale.
        domain: the catalogue name, the ``.mo`` file's name without suffix.

    Raises:
        TranslationError: the directory cannot be listed, or a catalogue
            cannot be read or is not a valid ``.mo`` file (the message names
            the file and says why), or two directories are for the same
            locale.
    """
    root = os.fspath(directory)
    paths: dict[str, str] = {}
    for name in _list_directory(root):
        if name.startswith("."):
            continue
        entry = os.path.join(root, name)
        path = os.path.join(entry, "LC_MESSAGES", f"{domain}.mo")
        code = normalize_code(name)
        if code is None or not os.path.isdir(entry):
            reason = "is not a locale directory"
        elif not os.path.exists(path):
            reason = f"has no catalogue LC_MESSAGES/{domain}.mo"
        else:
            _claim(paths, code, path)
            continue
        warnings.warn(
            f"{entry} {reason} and was ignored", TranslationWarning, stacklevel=2
        )
    catalogues = {code: _read_mo(path) for code, path in paths.items()}
    _state.install(csv={}, gettext=catalogues)


def _read_mo(path: str) -> gettext.GNUTranslations:
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise TranslationError(f"cannot read the catalogue {path}: {why}") from exc
    try:
        return gettext.GNUTranslations(io.BytesIO(data))
    # The stdlib parser reports a damaged file as any of these: a bad magic
    # number or offsets (OSError), a short header (struct.error), a bad
    # Plural-Forms or charset (ValueError, IndexError, LookupError), text not
    # in the declared charset (UnicodeDecodeError, a ValueError).
    except (OSError, struct.error, ValueError, LookupError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TranslationError(
            f"the catalogue {path} is not a valid .mo file ({why}); recompile it "
            "from its .po file with msgfmt"
        ) from exc
