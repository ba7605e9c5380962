"""Locale objects: translation, plural forms, dates, lists and numbers."""

from __future__ import annotations

import builtins
import datetime
import gettext
from collections.abc import Iterable

from . import _state
from ._codes import candidates, normalize_code, parse_code_lenient
from ._errors import UnsupportedLocaleError
from ._names import LOCALE_NAMES, RTL_LANGUAGES
from ._numbers import group_digits
from ._state import CSVTranslations

CONTEXT_SEPARATOR = "\x04"
"""Separates a message's context from the message in a gettext catalogue
(the convention of GNU gettext, used by `Locale.pgettext`)."""

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)  # fmt: skip

# Locales shown a 12-hour clock ("3:07 pm"); every other one gets "15:07".
_TWELVE_HOUR = frozenset({"en", "en_US", "en_AU", "en_CA", "en_IN", "en_NZ", "en_PH"})
# zh_CN writes the half of the day before the time: 上午 (am), 下午 (pm).
_CHINESE_HALVES = ("\u4e0a\u5348", "\u4e0b\u5348")

# The separator between the items of a list, by language, for those that do
# not use ", ". The final "and" is a translated message.
_LIST_SEPARATORS = {
    "am": "\u1363 ",  # Ethiopic comma
    "ar": "\u060c ",  # Arabic comma
    "fa": "\u060c ",
    "ja": "\u3001",  # ideographic comma
    "my": "\u104a ",  # Myanmar little section
    "ur": "\u060c ",
    "zh": "\u3001",
}

# A date "within a minute in the future" is clock skew between machines and
# shown as now; further in the future, the full date is shown.
_SKEW = datetime.timedelta(seconds=60)

DateLike = datetime.datetime | float

# Resolved codes remembered per snapshot (Locale.get_closest).
_MAX_CHOICES = 1024


def _utcnow() -> datetime.datetime:
    # One place to read the clock (tests replace it).
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _as_utc(date: object) -> datetime.datetime:
    """``date`` as a naive datetime in UTC."""
    if isinstance(date, datetime.datetime):
        if date.utcoffset() is None:
            return date
        return date.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(date, (int, float)) and not isinstance(date, bool):
        try:
            aware = datetime.datetime.fromtimestamp(date, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"timestamp {date!r} is out of range: {exc}") from exc
        return aware.replace(tzinfo=None)
    raise TypeError(
        "expected a datetime.datetime or a POSIX timestamp (int or float), "
        f"got {type(date).__name__}"
    )


def _language(code: str) -> str:
    tag = parse_code_lenient(code)
    return code.lower() if tag is None else tag.language


class Locale:
    """A locale: translates messages and formats dates, lists and numbers.

    Get one with `get` (or `Locale.get_closest`), which picks the best
    supported match for what the user asked for, or with `Locale.get` for an
    exact supported code; these cache one object per code. This base class
    translates nothing (English messages come back as given, with English
    plural rules); `CSVLocale` and `GettextLocale` translate with a loaded
    catalogue.

    Attributes:
        code: the locale code, e.g. ``"es_GT"``.
        name: the locale's name in its own language (``"Español"``), from
            `LOCALE_NAMES`, or ``"Unknown"``.
        rtl: whether the language is written right to left.

    Args:
        code: the locale code.
    """

    code: str
    name: str
    rtl: bool

    @classmethod
    def get_closest(cls, *locale_codes: str | None) -> Locale:
        """The supported locale that best matches the codes, in order of preference.

        Each code is tried in turn; for a code, these are tried in order:

        1. the code itself (``es_GT``; ``es-gt`` and ``ES_gt`` are the same);
        2. the code less its script or region, down to the bare language
           (``zh_Hant_TW``, ``zh_TW``, ``zh_Hant``, ``zh``; ``es_GT``, ``es``);
        3. another region of the same language (``es_GT`` takes ``es_ES``):
           the default locale if it is one, else ``<lang>_<LANG>`` (``es_ES``,
           ``fr_FR``), else the first in alphabetical order.

        If no code matches, the default locale (`set_default_locale`) is used.
        Empty, None and malformed codes are skipped; variants and extensions
        are dropped (``de-CH-1996`` is ``de_CH``).

        Compatibility: Tornado stops at step 2, so ``en_GB`` with only
        ``en_US`` supported gives the next code's locale or the default.

        Args:
            *locale_codes: the codes the user would accept, best first, as
                returned by `parse_accept_language`.

        Returns:
            The chosen locale.
        """
        snapshot = _state.current()
        choices = snapshot.choices
        for code in locale_codes:
            if not code:
                continue
            if code in choices:
                choice = choices[code]
            else:
                choice = _choose(code, snapshot.supported, snapshot.default)
                # Bounded: a stream of distinct junk codes must not grow it.
                if len(choices) < _MAX_CHOICES:
                    choices[code] = choice
            if choice is not None:
                return _locale_for(snapshot, choice)
        return _locale_for(snapshot, snapshot.default)

    @classmethod
    def get(cls, code: str) -> Locale:
        """The locale for a supported code.

        Compatibility: Tornado fails an assertion for an unsupported code.

        Args:
            code: a supported locale code (see `get_supported_locales`);
                ``es-gt`` is the same as ``es_GT``.

        Returns:
            The locale: a `GettextLocale` if gettext catalogues are loaded
            and this code has one, a `CSVLocale` otherwise.

        Raises:
            UnsupportedLocaleError: ``code`` is malformed or not supported;
                use `get` to fall back to the closest supported locale.
        """
        snapshot = _state.current()
        normal = normalize_code(code)
        if normal is None or normal not in snapshot.supported:
            raise UnsupportedLocaleError(
                f"locale {code!r} is not supported (supported: "
                f"{', '.join(sorted(snapshot.supported))}); load its translations "
                "first, or use squall.locale.get() to get the closest match"
            )
        return _locale_for(snapshot, normal)

    def __init__(self, code: str) -> None:
        self.code = code
        self.name = _native_name(code)
        self.rtl = _language(code) in RTL_LANGUAGES
        translate = self.translate
        self._months = [translate(month) for month in _MONTHS]
        self._weekdays = [translate(day) for day in _WEEKDAYS]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"

    def translate(
        self,
        message: str,
        plural_message: str | None = None,
        count: int | None = None,
    ) -> str:
        """Translate a message, choosing the plural form by ``count``.

        With ``plural_message`` and ``count``, the singular or the plural
        message is translated, as the locale's language requires for that
        count; otherwise ``message`` is translated. A message without a
        translation comes back as given (with English plural rules).

        Args:
            message: the English message (the singular form, if plural).
            plural_message: the English plural form.
            count: the number the plural form depends on; required with
                ``plural_message``.

        Returns:
            The translated message.

        Raises:
            TypeError: ``plural_message`` is given without ``count``.
        """
        if plural_message is None:
            return message
        return message if _require_count(count) == 1 else plural_message

    def pgettext(
        self,
        context: str,
        message: str,
        plural_message: str | None = None,
        count: int | None = None,
    ) -> str:
        """Translate a message in a context, for messages that are ambiguous alone.

        ``pgettext("law", "right")`` and ``pgettext("direction", "right")``
        can have different translations. Only gettext catalogues can hold
        contexts; for other locales the context is ignored and this is
        `translate`.

        Args:
            context: what the message is about.
            message: the English message (the singular form, if plural).
            plural_message: the English plural form.
            count: the number the plural form depends on; required with
                ``plural_message``.

        Returns:
            The translated message.

        Raises:
            TypeError: ``plural_message`` is given without ``count``.
        """
        return self.translate(message, plural_message, count)

    def format_date(
        self,
        date: DateLike,
        gmt_offset: int = 0,
        relative: bool = True,
        shorter: bool = False,
        full_format: bool = False,
    ) -> str:
        """Describe a moment in the past, as people do.

        Within a day, relative wording: "5 seconds ago", "2 minutes ago",
        "3 hours ago". Further back: "yesterday at 5:32 pm", "Wednesday at
        5:32 pm" (within 5 days), "June 3 at 5:32 pm" (within 334 days), and
        then "June 3, 2019 at 5:32 pm". Every phrase goes through the
        locale's translations. A date in the future is shown in full (up to a
        minute ahead counts as now: clocks differ between machines).

        Args:
            date: the moment: an aware datetime, a naive datetime in UTC, or
                a POSIX timestamp.
            gmt_offset: the user's offset in minutes *behind* UTC, as
                JavaScript's ``Date.getTimezoneOffset()`` gives it (UTC-5 is
                ``300``, UTC+1 is ``-60``).
            relative: use "N minutes ago" and "yesterday"; if false, a time
                of day or a day.
            shorter: leave out the time of day where there is a date.
            full_format: always give the full date ("June 3, 2019 at
                5:32 pm").

        Returns:
            The description.

        Raises:
            TypeError: ``date`` is neither a datetime nor a number.
            ValueError: the timestamp is out of range.
        """
        when = _as_utc(date)
        now = _utcnow()
        if when > now:
            if relative and when - now < _SKEW:
                when = now
            else:
                full_format = True
        offset = datetime.timedelta(minutes=gmt_offset)
        local_date = when - offset
        local_yesterday = now - offset - datetime.timedelta(days=1)
        difference = now - when
        seconds, days = difference.seconds, difference.days
        _ = self.translate
        pattern = None
        if not full_format:
            if relative and days == 0:
                if seconds < 50:
                    return _("1 second ago", "%(seconds)d seconds ago", seconds) % {
                        "seconds": seconds
                    }
                if seconds < 50 * 60:
                    minutes = round(seconds / 60)
                    return _("1 minute ago", "%(minutes)d minutes ago", minutes) % {
                        "minutes": minutes
                    }
                hours = round(seconds / 3600)
                return _("1 hour ago", "%(hours)d hours ago", hours) % {"hours": hours}
            if days == 0:
                pattern = _("%(time)s")
            elif days == 1 and relative and local_date.day == local_yesterday.day:
                pattern = _("yesterday") if shorter else _("yesterday at %(time)s")
            elif days < 5:
                pattern = _("%(weekday)s") if shorter else _("%(weekday)s at %(time)s")
            elif days < 334:
                pattern = (
                    _("%(month_name)s %(day)s")
                    if shorter
                    else _("%(month_name)s %(day)s at %(time)s")
                )
        if pattern is None:
            pattern = (
                _("%(month_name)s %(day)s, %(year)s")
                if shorter
                else _("%(month_name)s %(day)s, %(year)s at %(time)s")
            )
        return pattern % {
            "month_name": self._months[local_date.month - 1],
            "weekday": self._weekdays[local_date.weekday()],
            "day": str(local_date.day),
            "year": str(local_date.year),
            "time": self._format_time(local_date),
        }

    def _format_time(self, moment: datetime.datetime) -> str:
        hour, minute = moment.hour, moment.minute
        if self.code == "zh_CN":
            return f"{_CHINESE_HALVES[hour >= 12]}{hour % 12 or 12}:{minute:02d}"
        if self.code in _TWELVE_HOUR:
            return f"{hour % 12 or 12}:{minute:02d} {'pm' if hour >= 12 else 'am'}"
        return f"{hour}:{minute:02d}"

    def format_day(
        self,
        date: DateLike | datetime.date,
        gmt_offset: int = 0,
        dow: bool = True,
    ) -> str:
        """Name a day: "Monday, January 22", or "January 22" without ``dow``.

        Args:
            date: an aware datetime, a naive datetime in UTC, a POSIX
                timestamp, or a `datetime.date` (taken as it is).
            gmt_offset: the user's offset in minutes behind UTC (see
                `format_date`).
            dow: include the day of the week.

        Returns:
            The day, in the locale's words.

        Raises:
            TypeError: ``date`` is not a date, a datetime or a number.
            ValueError: the timestamp is out of range.
        """
        if isinstance(date, datetime.date) and not isinstance(date, datetime.datetime):
            local_day = date
        else:
            local_day = (_as_utc(date) - datetime.timedelta(minutes=gmt_offset)).date()
        _ = self.translate
        pattern = (
            _("%(weekday)s, %(month_name)s %(day)s") if dow else _("%(month_name)s %(day)s")
        )
        return pattern % {
            "month_name": self._months[local_day.month - 1],
            "weekday": self._weekdays[local_day.weekday()],
            "day": str(local_day.day),
        }

    def list(self, parts: Iterable[str]) -> str:
        """Join items as a sentence does: "A, B and C", "A and B", or "A".

        The "and" comes from the translation of ``"%(commas)s and %(last)s"``;
        the separator is ", " or the language's own comma (Arabic "، ",
        Chinese and Japanese "、").

        Compatibility: Tornado joins Persian items with " و " and other
        languages with ", ".

        Args:
            parts: the items, already translated and formatted.

        Returns:
            The sentence fragment; empty for no items.
        """
        items = builtins.list(parts)
        if not items:
            return ""
        if len(items) == 1:
            return items[0]
        separator = _LIST_SEPARATORS.get(_language(self.code), ", ")
        return self.translate("%(commas)s and %(last)s") % {
            "commas": separator.join(items[:-1]),
            "last": items[-1],
        }

    def friendly_number(self, value: int) -> str:
        """Write a whole number with its digits grouped: ``1,000,000`` in English.

        The grouping follows the locale's language and region: ``1.000.000``
        in German, ``1 000 000`` (with no-break spaces) in French or Russian,
        ``10,00,000`` in Hindi, ``1,000,000`` in Mexican Spanish.

        Compatibility: Tornado groups with commas in English locales only and
        gives other locales the bare digits.

        Args:
            value: the number.

        Returns:
            The number as text.

        Raises:
            TypeError: ``value`` is not an integer.
        """
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"friendly_number needs an int, got {type(value).__name__}")
        return group_digits(self.code, value)


class CSVLocale(Locale):
    """A locale translated by a CSV catalogue (see `load_translations`).

    Args:
        code: the locale code.
        translations: ``{"unknown" | "singular" | "plural": {english:
            translation}}``: rows without a plural marker, and the two forms
            of plural messages.
    """

    def __init__(self, code: str, translations: CSVTranslations) -> None:
        self.translations = translations
        super().__init__(code)

    def translate(
        self,
        message: str,
        plural_message: str | None = None,
        count: int | None = None,
    ) -> str:
        """Translate a message with the CSV catalogue.

        A plain message is looked up among the rows without a plural marker,
        then among the "singular" rows. With ``plural_message``, a count of
        exactly 1 takes the "singular" row of ``message`` and any other count
        the "plural" row of ``plural_message`` (a CSV file holds two forms).
        An untranslated message comes back as given.

        Args:
            message: the English message (the singular form, if plural).
            plural_message: the English plural form.
            count: the number the plural form depends on; required with
                ``plural_message``.

        Returns:
            The translated message.

        Raises:
            TypeError: ``plural_message`` is given without ``count``.
        """
        tables = self.translations
        if plural_message is None:
            found = tables.get("unknown", {}).get(message)
            if found is None:
                found = tables.get("singular", {}).get(message, message)
            return found
        if _require_count(count) == 1:
            return tables.get("singular", {}).get(message, message)
        return tables.get("plural", {}).get(plural_message, plural_message)


class GettextLocale(Locale):
    """A locale translated by a gettext catalogue (see `load_gettext_translations`).

    Plural forms follow the catalogue's ``Plural-Forms`` header, so a
    language with three or more forms (Russian, Polish, Arabic...) gets the
    right one for every count.

    Args:
        code: the locale code.
        translations: the catalogue, e.g. a `gettext.GNUTranslations`.
    """

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.translations = translations
        super().__init__(code)

    def translate(
        self,
        message: str,
        plural_message: str | None = None,
        count: int | None = None,
    ) -> str:
        """Translate a message with the gettext catalogue.

        Args:
            message: the English message (``msgid``).
            plural_message: the English plural form (``msgid_plural``).
            count: the number that selects the plural form; required with
                ``plural_message``.

        Returns:
            The translated message; an untranslated one comes back as given,
            with English plural rules.

        Raises:
            TypeError: ``plural_message`` is given without ``count``.
        """
        if plural_message is None:
            return self.translations.gettext(message)
        return self.translations.ngettext(message, plural_message, _require_count(count))

    def pgettext(
        self,
        context: str,
        message: str,
        plural_message: str | None = None,
        count: int | None = None,
    ) -> str:
        """Translate a message in a context (``msgctxt`` in the catalogue).

        When the catalogue has no entry for the message in this context, the
        message's translation without a context is used, if any.

        Args:
            context: the ``msgctxt``.
            message: the English message (``msgid``).
            plural_message: the English plural form (``msgid_plural``).
            count: the number that selects the plural form; required with
                ``plural_message``.

        Returns:
            The translated message.

        Raises:
            TypeError: ``plural_message`` is given without ``count``.
        """
        key = f"{context}{CONTEXT_SEPARATOR}{message}"
        if plural_message is None:
            found = self.translations.gettext(key)
        else:
            number = _require_count(count)
            plural_key = f"{context}{CONTEXT_SEPARATOR}{plural_message}"
            found = self.translations.ngettext(key, plural_key, number)
        # A catalogue returns the key itself when it has no such entry.
        if CONTEXT_SEPARATOR in found:
            return self.translate(message, plural_message, count)
        return found


def _require_count(count: int | None) -> int:
    if count is None:
        raise TypeError("translating a plural message needs count (the number of items)")
    return count


def _native_name(code: str) -> str:
    tag = parse_code_lenient(code)
    keys = [code] if tag is None else [code, *candidates(tag)]
    for key in keys:
        names = LOCALE_NAMES.get(key)
        if names is not None:
            return names["name"]
    return "Unknown"


def _choose(code: str, supported: frozenset[str], default: str) -> str | None:
    """The supported code ``code`` resolves to (see `Locale.get_closest`)."""
    tag = parse_code_lenient(code)
    if tag is None:
        return None
    for candidate in candidates(tag):
        if candidate in supported:
            return candidate
    return _same_language(tag.language, supported, default)


def _same_language(language: str, supported: frozenset[str], default: str) -> str | None:
    siblings = sorted(code for code in supported if _language(code) == language)
    if not siblings:
        return None
    for preferred in (default, f"{language}_{language.upper()}"):
        if preferred in siblings:
            return preferred
    return siblings[0]


def _locale_for(snapshot: _state.Snapshot, code: str) -> Locale:
    cached = snapshot.cache.get(code)
    if cached is not None:
        return cached
    made: Locale
    catalogue = snapshot.gettext.get(code)
    if catalogue is not None:
        made = GettextLocale(code, catalogue)
    else:
        made = CSVLocale(code, snapshot.csv.get(code, {}))
    # Two threads may both build it; either object is equally good.
    return snapshot.cache.setdefault(code, made)


def get(*locale_codes: str | None) -> Locale:
    """The supported locale that best matches the codes, best first.

    ``get("es_GT")`` gives ``es_GT`` if it is supported, else ``es``, else
    another Spanish locale, else the default locale (``en_US`` unless
    changed with `set_default_locale`). See `Locale.get_closest` for the
    whole rule.

    Args:
        *locale_codes: the codes the user would accept, best first, e.g.
            ``get(*parse_accept_language(header))``.

    Returns:
        The chosen locale.
    """
    return Locale.get_closest(*locale_codes)
