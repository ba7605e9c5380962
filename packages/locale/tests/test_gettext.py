"""load_gettext_translations: .mo catalogues, Plural-Forms, contexts, errors."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

import squall.locale
from squall.locale import (
    CSVLocale,
    GettextLocale,
    TranslationError,
    TranslationWarning,
    _loaders,
)

RUSSIAN_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
    "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
POLISH_PLURALS = (
    "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
ARABIC_PLURALS = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
)
FILES = ("%(num)d file", "%(num)d files")

WriteMo = Callable[..., Path]


def test_russian_three_plural_forms(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(
        tmp_path,
        "ru",
        "app",
        {
            "Sign in": "Войти",
            FILES: ["%(num)d файл", "%(num)d файла", "%(num)d файлов"],
        },
        plural_forms=RUSSIAN_PLURALS,
    )
    squall.locale.load_gettext_translations(str(tmp_path), "app")
    assert squall.locale.get_supported_locales() == {"ru", "en_US"}
    ru = squall.locale.get("ru_RU")
    assert isinstance(ru, GettextLocale)
    assert ru.code == "ru"
    assert ru.translate("Sign in") == "Войти"
    # Russian grammar: 1, 21, 101 take the first form; 2-4, 22-24 the second;
    # 0, 5-20, 25-30, 111-114 the third.
    for n, form in [
        (1, "файл"), (21, "файл"), (101, "файл"),
        (2, "файла"), (4, "файла"), (22, "файла"), (34, "файла"),
        (0, "файлов"), (5, "файлов"), (11, "файлов"), (12, "файлов"),
        (14, "файлов"), (20, "файлов"), (111, "файлов"), (112, "файлов"),
    ]:  # fmt: skip
        assert ru.translate(*FILES, n) % {"num": n} == f"{n} {form}"
    # an untranslated plural message falls back to the English forms
    assert ru.translate("a cat", "%(n)d cats", 1) == "a cat"
    assert ru.translate("a cat", "%(n)d cats", 5) == "%(n)d cats"
    assert ru.translate("Untranslated") == "Untranslated"
    with pytest.raises(TypeError, match="count"):
        ru.translate(*FILES)


def test_polish_and_arabic_plural_forms(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(
        tmp_path, "pl", "app", {FILES: ["plik", "pliki", "plików"]}, plural_forms=POLISH_PLURALS
    )
    arabic = ["0", "1", "2", "few", "many", "other"]
    write_mo(tmp_path, "ar", "app", {FILES: arabic}, plural_forms=ARABIC_PLURALS)
    squall.locale.load_gettext_translations(tmp_path, "app")
    pl = squall.locale.get("pl")
    # Polish differs from Russian at 21: "21 plików"
    assert [pl.translate(*FILES, n) for n in (1, 2, 5, 21, 22, 25)] == [
        "plik", "pliki", "plików", "plików", "pliki", "plików",
    ]  # fmt: skip
    ar = squall.locale.get("ar")
    assert [ar.translate(*FILES, n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103)] == [
        "0", "1", "2", "few", "few", "many", "many", "other", "other", "few",
    ]  # fmt: skip
    assert ar.rtl and not pl.rtl


def test_contexts(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(
        tmp_path,
        "de",
        "app",
        {
            "right": "rechts",
            "law\x04right": "Recht",
            "direction\x04right": "rechts",
            ("mail\x04%(n)d message", "mail\x04%(n)d messages"): [
                "%(n)d Nachricht",
                "%(n)d Nachrichten",
            ],
            ("%(n)d file", "%(n)d files"): ["%(n)d Datei", "%(n)d Dateien"],
        },
    )
    squall.locale.load_gettext_translations(tmp_path, "app")
    de = squall.locale.get("de")
    assert de.pgettext("law", "right") == "Recht"
    assert de.pgettext("direction", "right") == "rechts"
    assert de.pgettext("mail", "%(n)d message", "%(n)d messages", 1) == "%(n)d Nachricht"
    assert de.pgettext("mail", "%(n)d message", "%(n)d messages", 7) == "%(n)d Nachrichten"
    # no entry in this context: the context-free translation, else English
    assert de.pgettext("politics", "right") == "rechts"
    assert de.pgettext("disk", "%(n)d file", "%(n)d files", 2) == "%(n)d Dateien"
    assert de.pgettext("x", "left") == "left"
    assert de.pgettext("x", "a cat", "%(n)d cats", 2) == "%(n)d cats"
    with pytest.raises(TypeError, match="count"):
        de.pgettext("mail", "%(n)d message", "%(n)d messages")


def test_format_date_and_list_use_the_catalogue(tmp_path: Path, write_mo: WriteMo) -> None:
    import datetime

    write_mo(
        tmp_path,
        "de",
        "app",
        {
            "March": "März",
            "Wednesday": "Mittwoch",
            "%(weekday)s, %(month_name)s %(day)s": "%(weekday)s, %(day)s. %(month_name)s",
            "%(commas)s and %(last)s": "%(commas)s und %(last)s",
        },
    )
    squall.locale.load_gettext_translations(tmp_path, "app")
    de = squall.locale.get("de")
    assert de.format_day(datetime.date(2020, 3, 4)) == "Mittwoch, 4. März"
    assert de.list(["A", "B", "C"]) == "A, B und C"


def test_locales_without_a_catalogue_and_the_default(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(tmp_path, "fr", "app", {"Yes": "Oui"})
    write_mo(tmp_path, "it", "other", {"Yes": "Sì"})  # another domain
    (tmp_path / "es").mkdir()  # no catalogue at all
    (tmp_path / "messages.pot").write_text("template")
    (tmp_path / "not a code").mkdir()
    (tmp_path / ".git").mkdir()  # hidden: skipped quietly
    with pytest.warns(TranslationWarning) as record:
        squall.locale.load_gettext_translations(tmp_path, "app")
    messages = sorted(str(w.message) for w in record)
    assert messages == [
        f"{tmp_path / 'es'} has no catalogue LC_MESSAGES/app.mo and was ignored",
        f"{tmp_path / 'it'} has no catalogue LC_MESSAGES/app.mo and was ignored",
        f"{tmp_path / 'messages.pot'} is not a locale directory and was ignored",
        f"{tmp_path / 'not a code'} is not a locale directory and was ignored",
    ]
    assert squall.locale.get_supported_locales() == {"fr", "en_US"}
    default = squall.locale.get("en_US")
    assert isinstance(default, CSVLocale)
    assert default.translate("Yes") == "Yes"
    assert squall.locale.get("fr").translate("Yes") == "Oui"


def test_gettext_then_csv_replaces(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(tmp_path / "mo", "fr", "app", {"Yes": "Oui"})
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "es.csv").write_text('"Yes","Sí"\n')
    squall.locale.load_gettext_translations(tmp_path / "mo", "app")
    assert isinstance(squall.locale.get("fr"), GettextLocale)
    squall.locale.load_translations(tmp_path / "csv")
    assert squall.locale.get_supported_locales() == {"es", "en_US"}
    assert isinstance(squall.locale.get("es"), CSVLocale)
    squall.locale.load_gettext_translations(tmp_path / "mo", "app")
    assert squall.locale.get_supported_locales() == {"fr", "en_US"}


# --- errors -----------------------------------------------------------------


def _catalogue(tmp_path: Path, data: bytes) -> Path:
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    path = folder / "app.mo"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda good: b"not a catalogue at all, just text", "Bad magic number"),
        (lambda good: good[:12], "unpack"),  # a truncated header
        (lambda good: good[:-40], "File is corrupt"),  # strings cut off
    ],
)
def test_damaged_catalogues(
    tmp_path: Path,
    mo_bytes: Callable[..., bytes],
    damage: Callable[[bytes], bytes],
    why: str,
) -> None:
    path = _catalogue(tmp_path, damage(mo_bytes({"Yes": "Да", "No": "Нет"})))
    with pytest.raises(TranslationError) as info:
        squall.locale.load_gettext_translations(tmp_path, "app")
    message = str(info.value)
    assert message.startswith(f"the catalogue {path} is not a valid .mo file (")
    assert why in message


def test_bad_plural_forms_header(tmp_path: Path, mo_bytes: Callable[..., bytes]) -> None:
    path = _catalogue(tmp_path, mo_bytes({"Yes": "Да"}, plural_forms="nplurals=3; plural=(n %% import os);"))
    with pytest.raises(TranslationError, match=f"the catalogue {path} is not a valid .mo file"):
        squall.locale.load_gettext_translations(tmp_path, "app")


def test_text_not_in_the_declared_charset(tmp_path: Path, mo_bytes: Callable[..., bytes]) -> None:
    data = mo_bytes({"Yes": "Да"}).replace("Да".encode(), b"\xff\xfe")
    path = _catalogue(tmp_path, data)
    with pytest.raises(TranslationError, match=f"the catalogue {path} is not a valid .mo file"):
        squall.locale.load_gettext_translations(tmp_path, "app")


def test_unreadable_catalogue(
    tmp_path: Path, mo_bytes: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _catalogue(tmp_path, mo_bytes({"Yes": "Да"}))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_loaders, "open", refuse, raising=False)
    with pytest.raises(
        TranslationError, match=f"cannot read the catalogue {path}: Permission denied"
    ):
        squall.locale.load_gettext_translations(tmp_path, "app")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(TranslationError, match="cannot list the translation directory"):
        squall.locale.load_gettext_translations(tmp_path / "nope", "app")


def test_two_directories_for_one_locale(tmp_path: Path, write_mo: WriteMo) -> None:
    write_mo(tmp_path, "pt_BR", "app", {"Yes": "Sim"})
    write_mo(tmp_path, "pt-br", "app", {"Yes": "Sim"})
    with pytest.raises(TranslationError, match="are both translations for locale pt_BR"):
        squall.locale.load_gettext_translations(tmp_path, "app")


def test_a_failed_load_keeps_the_previous_translations(
    tmp_path: Path, write_mo: WriteMo
) -> None:
    write_mo(tmp_path / "good", "fr", "app", {"Yes": "Oui"})
    bad = tmp_path / "bad" / "de" / "LC_MESSAGES"
    bad.mkdir(parents=True)
    (bad / "app.mo").write_bytes(struct.pack("<I", 0x950412DE))
    squall.locale.load_gettext_translations(tmp_path / "good", "app")
    with pytest.raises(TranslationError):
        squall.locale.load_gettext_translations(tmp_path / "bad", "app")
    assert squall.locale.get("fr").translate("Yes") == "Oui"
