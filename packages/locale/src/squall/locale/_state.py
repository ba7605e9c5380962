"""The module's global state: loaded translations, supported locales, default.

This is the only global state squall.locale has, and the spec defines it:
`load_translations` / `load_gettext_translations` install a catalogue set,
`set_default_locale` picks the fallback locale, `reset` forgets both. Each
change swaps in a new immutable snapshot, so a reader in another thread sees
either the old state or the new one, never a mix; the cache of `Locale`
objects lives in the snapshot it was built from.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ._codes import normalize_code
from ._errors import UnsupportedLocaleError

if TYPE_CHECKING:
    from ._locale import Locale

#: The CSV catalogue of one locale: ``{"unknown" | "singular" | "plural":
#: {english: translation}}`` ("unknown" holds rows without a plural marker).
CSVTranslations = dict[str, dict[str, str]]

DEFAULT_LOCALE = "en_US"


@dataclass(frozen=True)
class Snapshot:
    default: str
    csv: Mapping[str, CSVTranslations]
    gettext: Mapping[str, gettext.NullTranslations]
    cache: dict[str, Locale] = field(default_factory=dict)
    # requested code -> the supported code it resolves to (None: no match);
    # see Locale.get_closest.
    choices: dict[str, str | None] = field(default_factory=dict)

    @cached_property
    def supported(self) -> frozenset[str]:
        return frozenset(self.csv) | frozenset(self.gettext) | {self.default}


_current = Snapshot(DEFAULT_LOCALE, {}, {})


def current() -> Snapshot:
    return _current


def install(
    csv: Mapping[str, CSVTranslations],
    gettext: Mapping[str, gettext.NullTranslations],
) -> None:
    """Replace the loaded translations (keeping the default locale)."""
    global _current
    _current = Snapshot(_current.default, csv, gettext)


def set_default_locale(code: str) -> None:
    """Set the locale used when no requested locale is supported.

    The default locale is always supported, whether or not it has a
    catalogue (without one, its messages are shown untranslated). It starts
    as ``en_US``.

    Args:
        code: a locale code such as ``"en_US"`` or ``"pt-br"``; it is
            normalised (``pt_BR``).

    Raises:
        UnsupportedLocaleError: ``code`` is not a locale code
            (``language[_Script][_REGION]``).
    """
    global _current
    normal = normalize_code(code)
    if normal is None:
        raise UnsupportedLocaleError(
            f"{code!r} is not a locale code; use a language, optionally "
            "followed by a region, such as 'en_US', 'es' or 'pt-BR'"
        )
    _current = Snapshot(normal, _current.csv, _current.gettext)


def get_supported_locales() -> frozenset[str]:
    """The codes of the supported locales.

    These are the locales with a loaded catalogue, plus the default locale.

    Returns:
        The normalised locale codes, e.g. ``frozenset({"en_US", "es", "fr_CA"})``.
    """
    return _current.supported


def reset() -> None:
    """Forget every loaded translation and restore the default locale ``en_US``.

    Meant for tests that load translations and must not leak them into the
    next test.
    """
    global _current
    _current = Snapshot(DEFAULT_LOCALE, {}, {})
