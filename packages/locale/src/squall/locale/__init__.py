"""squall.locale: translations, plural forms and locale-aware formatting.

Load a directory of translations once at start-up, then pick a locale per
request and translate with it::

    import squall.locale

    squall.locale.load_translations("translations")   # es_GT.csv, fr.csv...
    locale = squall.locale.get("es_GT", "en_US")      # closest supported
    locale.translate("Sign in")
"""

from ._accept import MAX_ACCEPT_LANGUAGE_ENTRIES as MAX_ACCEPT_LANGUAGE_ENTRIES
from ._accept import parse_accept_language as parse_accept_language
from ._errors import LocaleError as LocaleError
from ._errors import TranslationError as TranslationError
from ._errors import TranslationWarning as TranslationWarning
from ._errors import UnsupportedLocaleError as UnsupportedLocaleError
from ._loaders import load_gettext_translations as load_gettext_translations
from ._loaders import load_translations as load_translations
from ._locale import CONTEXT_SEPARATOR as CONTEXT_SEPARATOR
from ._locale import CSVLocale as CSVLocale
from ._locale import GettextLocale as GettextLocale
from ._locale import Locale as Locale
from ._locale import get as get
from ._names import LOCALE_NAMES as LOCALE_NAMES
from ._state import get_supported_locales as get_supported_locales
from ._state import reset as reset
from ._state import set_default_locale as set_default_locale

__all__ = [
    "CONTEXT_SEPARATOR",
    "CSVLocale",
    "GettextLocale",
    "LOCALE_NAMES",
    "Locale",
    "LocaleError",
    "MAX_ACCEPT_LANGUAGE_ENTRIES",
    "TranslationError",
    "TranslationWarning",
    "UnsupportedLocaleError",
    "get",
    "get_supported_locales",
    "load_gettext_translations",
    "load_translations",
    "parse_accept_language",
    "reset",
    "set_default_locale",
]
