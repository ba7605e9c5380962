"""get / Locale: choosing a locale, names, direction, and formatting."""

from __future__ import annotations

import calendar
import datetime
from pathlib import Path

import pytest

import squall.locale
from squall.locale import (
    LOCALE_NAMES,
    CSVLocale,
    Locale,
    LocaleError,
    UnsupportedLocaleError,
)

UTC = datetime.timezone.utc


def support(tmp_path: Path, *codes: str) -> None:
    for code in codes:
        (tmp_path / f"{code}.csv").write_text("")
    squall.locale.load_translations(tmp_path)


# --- choosing a locale ------------------------------------------------------


def test_default_is_en_us_when_nothing_is_loaded() -> None:
    assert squall.locale.get_supported_locales() == {"en_US"}
    assert squall.locale.get().code == "en_US"
    assert squall.locale.get("es_GT", "fr").code == "en_US"
    assert squall.locale.get(None, "", "not a code!", "x").code == "en_US"
    assert squall.locale.get("en").code == "en_US"  # same language


@pytest.mark.parametrize(
    ("supported", "asked", "chosen"),
    [
        # the spec's rule: es_GT falls back to es
        (["es"], ["es_GT"], "es"),
        (["es", "es_GT"], ["es_GT"], "es_GT"),
        # codes are normalised
        (["es_GT"], ["es-gt"], "es_GT"),
        (["es_GT"], ["ES_gt"], "es_GT"),
        (["pt_BR"], ["pt-BR"], "pt_BR"),
        # codes are tried in order
        (["es", "fr"], ["de", "fr", "es"], "fr"),
        (["es", "fr"], ["de", "it"], "en_US"),
        # script and region: the region first, then the script, then the language
        (["zh_Hant_TW", "zh_TW", "zh"], ["zh-Hant-TW"], "zh_Hant_TW"),
        (["zh_TW", "zh_Hant", "zh"], ["zh-Hant-TW"], "zh_TW"),
        (["zh_Hant", "zh"], ["zh-Hant-TW"], "zh_Hant"),
        (["zh"], ["zh-Hant-TW"], "zh"),
        (["zh"], ["zh-Hant"], "zh"),
        # another region of the same language beats the next code
        (["es_ES", "fr"], ["es_GT", "fr"], "es_ES"),
        (["pt_PT"], ["pt_BR"], "pt_PT"),
        (["fr_CA"], ["fr"], "fr_CA"),
        # ... preferring <lang>_<LANG>, then alphabetical order
        (["es_MX", "es_ES", "es_AR"], ["es_GT"], "es_ES"),
        (["es_MX", "es_AR"], ["es_GT"], "es_AR"),
        (["de_CH", "de_AT"], ["de"], "de_AT"),
        # the default locale counts as a sibling: en_GB gets en_US
        (["fr"], ["en_GB", "fr"], "en_US"),
        # variants, extensions and POSIX decorations are dropped
        (["de_CH"], ["de-CH-1996"], "de_CH"),
        (["pt_BR"], ["pt_BR.UTF-8"], "pt_BR"),
        (["sr"], ["sr_RS@latin"], "sr"),
        (["es_419"], ["es-419"], "es_419"),
        # malformed entries are skipped
        (["fr"], ["", "1234", "fr"], "fr"),
    ],
)
def test_closest_match(
    tmp_path: Path, supported: list[str], asked: list[str], chosen: str
) -> None:
    support(tmp_path, *supported)
    assert squall.locale.get(*asked).code == chosen
    assert Locale.get_closest(*asked).code == chosen
    assert CSVLocale.get_closest(*asked).code == chosen


def test_default_locale_preferred_among_siblings(tmp_path: Path) -> None:
    support(tmp_path, "es_AR", "es_MX")
    squall.locale.set_default_locale("es_MX")
    assert squall.locale.get("es_GT").code == "es_MX"
    assert squall.locale.get("fr").code == "es_MX"


def test_set_default_locale(tmp_path: Path) -> None:
    support(tmp_path, "es", "fr")
    squall.locale.set_default_locale("pt-br")
    assert squall.locale.get_supported_locales() == {"es", "fr", "pt_BR"}
    assert squall.locale.get("de").code == "pt_BR"
    assert Locale.get("pt_BR").translate("Yes") == "Yes"  # no catalogue: English
    # loading keeps the default
    support(tmp_path, "it")
    assert "pt_BR" in squall.locale.get_supported_locales()
    for bad in ("", "english", "en_US_POSIX", "e", "en-US-x-y"):
        with pytest.raises(UnsupportedLocaleError, match="is not a locale code"):
            squall.locale.set_default_locale(bad)
    assert squall.locale.get("de").code == "pt_BR"


def test_reset_restores_the_initial_state(tmp_path: Path) -> None:
    support(tmp_path, "es")
    squall.locale.set_default_locale("fr")
    squall.locale.reset()
    assert squall.locale.get_supported_locales() == {"en_US"}
    assert squall.locale.get("es").code == "en_US"


def test_locale_get_exact(tmp_path: Path) -> None:
    support(tmp_path, "es", "fr_CA")
    es = Locale.get("es")
    assert isinstance(es, CSVLocale)
    assert es.code == "es"
    assert Locale.get("fr-ca").code == "fr_CA"
    assert Locale.get("en_US").code == "en_US"
    # the same object each time, also through get()
    assert Locale.get("es") is es
    assert squall.locale.get("es_GT") is es
    for bad in ("es_GT", "fr", "de", "not a code"):
        with pytest.raises(UnsupportedLocaleError, match="is not supported") as info:
            Locale.get(bad)
        assert "en_US, es, fr_CA" in str(info.value)
        assert isinstance(info.value, LookupError)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, LocaleError)


# --- names and direction ------------------------------------------------------


def test_locale_names_table() -> None:
    languages = [code for code in LOCALE_NAMES if "_" not in code]
    assert len(languages) >= 100
    for code, names in LOCALE_NAMES.items():
        assert set(names) == {"name_en", "name"}, code
        assert names["name_en"] and names["name"], code
    # facts checked against CLDR (Babel), not against this code
    assert LOCALE_NAMES["de"] == {"name_en": "German", "name": "Deutsch"}
    assert LOCALE_NAMES["ja"] == {"name_en": "Japanese", "name": "日本語"}
    assert LOCALE_NAMES["ru"]["name"] == "Русский"
    assert LOCALE_NAMES["ar"]["name"] == "العربية"
    assert LOCALE_NAMES["hi"]["name"] == "हिन्दी"
    assert LOCALE_NAMES["en_US"]["name"] == "English (US)"
    assert LOCALE_NAMES["pt_BR"]["name"] == "Português (Brasil)"
    assert LOCALE_NAMES["zh_CN"]["name"] == "中文(简体)"
    assert LOCALE_NAMES["de_DE"]["name"] == "Deutsch"
    # the 100 most spoken languages include these
    for code in ("zh", "es", "en", "hi", "bn", "pt", "ru", "ja", "pa", "mr", "te", "tr",
                 "ko", "fr", "de", "vi", "ta", "ur", "jv", "it", "fa", "gu", "pl", "uk",
                 "ml", "kn", "or", "my", "th", "sw", "ha", "yo", "am", "ig", "uz", "ro",
                 "nl", "so", "si", "km", "el", "hu", "cs", "sv", "he", "zu", "az", "kk",
                 "ps", "ne", "ceb", "mai", "bho", "ckb", "ku", "tl", "ms", "id", "sr", "hr",
                 "bg", "be", "da", "fi", "sk", "no", "hy", "ka", "lt", "sq", "mn", "rw"):  # fmt: skip
        assert code in LOCALE_NAMES, code


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("es", "Español"),
        ("es_GT", "Español"),  # falls back to the language
        ("en_US", "English (US)"),
        ("en_NZ", "English"),
        ("zh_Hant_TW", "中文(繁體)"),  # via zh_TW
        ("zh_Hans", "中文(简体)"),
        ("fr_CA", "Français (Canada)"),
        ("xx", "Unknown"),
        ("not a code", "Unknown"),
    ],
)
def test_locale_name(code: str, name: str) -> None:
    assert CSVLocale(code, {}).name == name


@pytest.mark.parametrize(
    ("code", "rtl"),
    [("ar", True), ("ar_EG", True), ("he", True), ("fa_IR", True), ("ur", True),
     ("yi", True), ("ckb", True), ("en_US", False), ("zh_CN", False), ("ru", False)],
)  # fmt: skip
def test_rtl(code: str, rtl: bool) -> None:
    assert CSVLocale(code, {}).rtl is rtl


# --- the base class and CSV contexts -----------------------------------------


def test_base_locale_translates_nothing() -> None:
    plain = Locale("fr")
    assert plain.translate("Yes") == "Yes"
    assert plain.translate("a cat", "%(n)d cats", 1) == "a cat"
    assert plain.translate("a cat", "%(n)d cats", 0) == "%(n)d cats"
    assert plain.pgettext("animal", "a cat", "%(n)d cats", 2) == "%(n)d cats"
    # count without a plural form is ignored
    assert plain.translate("Yes", count=3) == "Yes"
    with pytest.raises(TypeError, match="count"):
        plain.translate("a cat", "%(n)d cats")
    assert repr(plain) == "<Locale fr>"


def test_csv_pgettext_ignores_the_context() -> None:
    es = CSVLocale("es", {"unknown": {"right": "derecha"}})
    assert es.pgettext("direction", "right") == "derecha"
    assert repr(es) == "<CSVLocale es>"


# --- format_date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "kwargs", "expected"),
    [
        # the clock reads Wednesday 2024-06-12 15:30:00 UTC
        (datetime.timedelta(seconds=1), {}, "1 second ago"),
        (datetime.timedelta(seconds=5), {}, "5 seconds ago"),
        (datetime.timedelta(seconds=49), {}, "49 seconds ago"),
        (datetime.timedelta(seconds=50), {}, "1 minute ago"),
        (datetime.timedelta(minutes=2), {}, "2 minutes ago"),
        (datetime.timedelta(minutes=2, seconds=40), {}, "3 minutes ago"),
        (datetime.timedelta(minutes=49), {}, "49 minutes ago"),
        (datetime.timedelta(minutes=50), {}, "1 hour ago"),
        (datetime.timedelta(hours=5), {}, "5 hours ago"),
        (datetime.timedelta(hours=5), {"shorter": True}, "5 hours ago"),
        (datetime.timedelta(hours=5), {"relative": False}, "10:30 am"),
        (datetime.timedelta(seconds=5), {"full_format": True}, "June 12, 2024 at 3:29 pm"),
        (datetime.timedelta(seconds=5), {"full_format": True, "shorter": True}, "June 12, 2024"),
        # yesterday (by the calendar), then the weekday
        (datetime.timedelta(days=1, hours=1), {}, "yesterday at 2:30 pm"),
        (datetime.timedelta(days=1, hours=1), {"shorter": True}, "yesterday"),
        (datetime.timedelta(days=1, hours=1), {"relative": False}, "Tuesday at 2:30 pm"),
        (datetime.timedelta(days=1, hours=20), {}, "Monday at 7:30 pm"),
        (datetime.timedelta(days=3), {}, "Sunday at 3:30 pm"),
        (datetime.timedelta(days=3), {"shorter": True}, "Sunday"),
        (datetime.timedelta(days=4, hours=23), {}, "Friday at 4:30 pm"),
        # then month and day, within 334 days
        (datetime.timedelta(days=5), {}, "June 7 at 3:30 pm"),
        (datetime.timedelta(days=10, hours=15, minutes=30), {}, "June 2 at 12:00 am"),
        (datetime.timedelta(days=10), {"shorter": True}, "June 2"),
        (datetime.timedelta(days=333), {}, "July 15 at 3:30 pm"),
        # then the year
        (datetime.timedelta(days=334), {}, "July 14, 2023 at 3:30 pm"),
        (datetime.timedelta(days=334), {"shorter": True}, "July 14, 2023"),
        (datetime.timedelta(days=3000, hours=3, minutes=25), {}, "March 26, 2016 at 12:05 pm"),
        # the future: up to a minute is clock skew, beyond is shown in full
        (-datetime.timedelta(seconds=30), {}, "0 seconds ago"),
        (-datetime.timedelta(seconds=30), {"relative": False}, "June 12, 2024 at 3:30 pm"),
        (-datetime.timedelta(minutes=2), {}, "June 12, 2024 at 3:32 pm"),
        (-datetime.timedelta(days=2), {"shorter": True}, "June 14, 2024"),
    ],
)
def test_format_date_english(
    clock: object, ago: datetime.timedelta, kwargs: dict[str, bool], expected: str
) -> None:
    now = datetime.datetime(2024, 6, 12, 15, 30)
    assert squall.locale.get("en_US").format_date(now - ago, **kwargs) == expected


@pytest.mark.parametrize(
    ("when", "offset", "expected"),
    [
        # gmt_offset is minutes behind UTC, as JavaScript's getTimezoneOffset()
        (datetime.datetime(2024, 6, 12, 10, 30), 300, "5:30 am"),
        (datetime.datetime(2024, 6, 12, 10, 30), -120, "12:30 pm"),
        # "yesterday" follows the user's calendar
        (datetime.datetime(2024, 6, 11, 14, 0), 0, "yesterday at 2:00 pm"),
        (datetime.datetime(2024, 6, 11, 14, 0), -600, "yesterday at 12:00 am"),
        (datetime.datetime(2024, 6, 11, 14, 0), 900, "Monday at 11:00 pm"),
    ],
)
def test_format_date_offset(
    clock: object, when: datetime.datetime, offset: int, expected: str
) -> None:
    en = squall.locale.get("en_US")
    relative = "yesterday" in expected or "day at" in expected
    assert en.format_date(when, gmt_offset=offset, relative=relative) == expected


def test_format_date_accepts_aware_datetimes_and_timestamps(clock: object) -> None:
    en = squall.locale.get("en_US")
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert en.format_date(datetime.datetime(2024, 6, 12, 17, 25, tzinfo=plus_two)) == (
        "5 minutes ago"
    )
    assert en.format_date(datetime.datetime(2024, 6, 12, 15, 25, tzinfo=UTC)) == "5 minutes ago"
    now = calendar.timegm((2024, 6, 12, 15, 30, 0))
    assert en.format_date(now - 120) == "2 minutes ago"
    assert en.format_date(float(now - 7200.5)) == "2 hours ago"
    assert en.format_date(0, full_format=True) == "January 1, 1970 at 12:00 am"


@pytest.mark.parametrize("bad", ["yesterday", True, None, datetime.date(2024, 6, 1)])
def test_format_date_rejects_other_types(bad: object) -> None:
    with pytest.raises(TypeError, match="expected a datetime.datetime or a POSIX timestamp"):
        squall.locale.get("en_US").format_date(bad)  # type: ignore[arg-type]


def test_format_date_rejects_out_of_range_timestamps() -> None:
    with pytest.raises(ValueError, match=r"timestamp 1e\+20 is out of range"):
        squall.locale.get("en_US").format_date(1e20)
    with pytest.raises(ValueError, match="out of range"):
        squall.locale.get("en_US").format_date(float("nan"))


def test_format_date_real_clock() -> None:
    # Without the fixed clock, a date just now is a few seconds ago.
    moment = datetime.datetime.now(UTC) - datetime.timedelta(seconds=3)
    assert squall.locale.get("en_US").format_date(moment).endswith("seconds ago")


def test_time_of_day_by_locale(clock: object) -> None:
    evening = datetime.datetime(2024, 6, 12, 15, 7)
    morning = datetime.datetime(2024, 6, 12, 0, 5)
    en = CSVLocale("en", {})
    assert en.format_date(evening, relative=False) == "3:07 pm"
    assert en.format_date(morning, relative=False) == "12:05 am"
    for code in ("de", "en_GB", "fr_CA"):
        assert CSVLocale(code, {}).format_date(evening, relative=False) == "15:07"
        assert CSVLocale(code, {}).format_date(morning, relative=False) == "0:05"
    zh = CSVLocale("zh_CN", {})
    assert zh.format_date(evening, relative=False) == "下午3:07"
    assert zh.format_date(morning, relative=False) == "上午12:05"


def test_format_date_translates_every_phrase(clock: object) -> None:
    es = CSVLocale(
        "es",
        {
            "unknown": {
                "June": "junio",
                "Sunday": "domingo",
                "%(weekday)s at %(time)s": "%(weekday)s a las %(time)s",
                "%(month_name)s %(day)s, %(year)s": "%(day)s de %(month_name)s de %(year)s",
                "yesterday": "ayer",
            },
            "singular": {"1 minute ago": "hace 1 minuto"},
            "plural": {"%(minutes)d minutes ago": "hace %(minutes)d minutos"},
        },
    )
    now = datetime.datetime(2024, 6, 12, 15, 30)
    assert es.format_date(now - datetime.timedelta(minutes=1)) == "hace 1 minuto"
    assert es.format_date(now - datetime.timedelta(minutes=7)) == "hace 7 minutos"
    assert es.format_date(now - datetime.timedelta(days=3)) == "domingo a las 15:30"
    assert es.format_date(now - datetime.timedelta(days=1), shorter=True) == "ayer"
    assert es.format_date(now, full_format=True, shorter=True) == "12 de junio de 2024"


# --- format_day, list, friendly_number -----------------------------------------


def test_format_day() -> None:
    en = squall.locale.get("en_US")
    assert en.format_day(datetime.datetime(2024, 1, 22, 9, 0)) == "Monday, January 22"
    assert en.format_day(datetime.datetime(2024, 1, 22, 9, 0), dow=False) == "January 22"
    # the offset can move the day
    assert en.format_day(datetime.datetime(2024, 1, 22, 1, 0), gmt_offset=120) == (
        "Sunday, January 21"
    )
    assert en.format_day(datetime.datetime(2024, 1, 22, 23, 0), gmt_offset=-120) == (
        "Tuesday, January 23"
    )
    plus_nine = datetime.timezone(datetime.timedelta(hours=9))
    assert en.format_day(datetime.datetime(2024, 1, 22, 3, 0, tzinfo=plus_nine)) == (
        "Sunday, January 21"
    )
    assert en.format_day(calendar.timegm((2024, 12, 25, 12, 0, 0))) == "Wednesday, December 25"
    # a date is a day already: no offset applies
    assert en.format_day(datetime.date(2024, 2, 29), gmt_offset=600) == "Thursday, February 29"
    with pytest.raises(TypeError):
        en.format_day("2024-01-22")  # type: ignore[arg-type]


def test_list() -> None:
    en = squall.locale.get("en_US")
    assert en.list([]) == ""
    assert en.list(["A"]) == "A"
    assert en.list(["A", "B"]) == "A and B"
    assert en.list(["A", "B", "C"]) == "A, B and C"
    assert en.list(iter(["x", "y", "z", "w"])) == "x, y, z and w"
    es = CSVLocale("es", {"unknown": {"%(commas)s and %(last)s": "%(commas)s y %(last)s"}})
    assert es.list(["A", "B", "C"]) == "A, B y C"
    assert CSVLocale("ar_EG", {}).list(["A", "B", "C"]) == "A\u060c B and C"
    assert CSVLocale("ja", {}).list(["A", "B", "C"]) == "A\u3001B and C"


def test_friendly_number() -> None:
    en = squall.locale.get("en_US")
    assert en.friendly_number(1000000) == "1,000,000"
    assert en.friendly_number(999) == "999"
    assert en.friendly_number(1000) == "1,000"
    assert en.friendly_number(0) == "0"
    assert en.friendly_number(-1234567) == "-1,234,567"
    assert CSVLocale("en_GB", {}).friendly_number(12345) == "12,345"
    for bad in (1.5, "1000", True, None):
        with pytest.raises(TypeError, match="friendly_number needs an int"):
            en.friendly_number(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        # CLDR's grouping, as Babel writes it (checked from outside)
        ("de", 1234567, "1.234.567"),
        ("de_DE", -1000, "-1.000"),
        ("es", 1234567, "1.234.567"),
        ("es_MX", 1234567, "1,234,567"),
        ("es_419", 1000, "1,000"),
        ("es_CR", 1000, "1\u00a0000"),
        ("pt_BR", 1234567, "1.234.567"),
        ("pt_PT", 1234567, "1\u00a0234\u00a0567"),
        ("fr", 1234567, "1\u202f234\u202f567"),
        ("fr_CA", 1234567, "1\u00a0234\u00a0567"),
        ("fr_LU", 1234567, "1.234.567"),
        ("fr_RW", 1234567, "1,234,567"),
        ("ru", 1234567, "1\u00a0234\u00a0567"),
        ("pl", 12345, "12\u00a0345"),
        ("zh_CN", 1234567, "1,234,567"),
        ("ar", 1234567, "1,234,567"),
        ("ar_MA", 1234567, "1.234.567"),
        ("ja", 1234567, "1,234,567"),
        ("xx", 1234567, "1,234,567"),
        ("en_ZA", 1234567, "1\u00a0234\u00a0567"),
        # India groups by twos after the first three digits
        ("hi", 1234567, "12,34,567"),
        ("hi_IN", 1000000, "10,00,000"),
        ("bn", 123456789, "12,34,56,789"),
        ("en_IN", -1234567, "-12,34,567"),
        ("ta", 999, "999"),
        ("ta", 1000, "1,000"),
        ("te", 12345, "12,345"),
    ],
)
def test_friendly_number_by_locale(code: str, value: int, expected: str) -> None:
    assert CSVLocale(code, {}).friendly_number(value) == expected


def test_many_distinct_codes_still_resolve(tmp_path: Path) -> None:
    # Resolutions are remembered up to a bound; past it, they are computed
    # each time, with the same answers.
    support(tmp_path, "es", "fr_CA")
    junk = [f"q{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}_{i:03d}" for i in range(1500)]
    for code in junk:
        assert squall.locale.get(code).code == "en_US"
    for _ in range(2):
        assert squall.locale.get("es_GT").code == "es"
        assert squall.locale.get("fr").code == "fr_CA"
        assert squall.locale.get("es_GT", "fr").code == "es"
