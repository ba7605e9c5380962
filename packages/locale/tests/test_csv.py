"""load_translations: CSV files, encodings, plural markers and every error path."""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

import pytest

import squall.locale
from squall.locale import CSVLocale, TranslationError, TranslationWarning, _csv

SPANISH = (
    '"Sign in","Iniciar sesión"\n'
    '"%(name)s liked this","A %(name)s le gustó esto","singular"\n'
    '"%(name)s liked this","A %(name)s les gustó esto","plural"\n'
)


def write(directory: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


def test_loads_files_and_infers_supported_locales(tmp_path: Path) -> None:
    write(tmp_path, "es_GT.csv", SPANISH)
    write(tmp_path, "fr_CA.csv", '"Sign in","Connexion"\n')
    squall.locale.load_translations(str(tmp_path))
    assert squall.locale.get_supported_locales() == {"es_GT", "fr_CA", "en_US"}
    spanish = squall.locale.get("es_GT")
    assert isinstance(spanish, CSVLocale)
    assert spanish.translate("Sign in") == "Iniciar sesión"
    assert squall.locale.get("fr_CA").translate("Sign in") == "Connexion"
    # untranslated messages come back as given
    assert spanish.translate("Sign out") == "Sign out"
    assert squall.locale.get("en_US").translate("Sign in") == "Sign in"


def test_accepts_a_path_object_and_normalises_file_names(tmp_path: Path) -> None:
    write(tmp_path, "pt-br.csv", '"Yes","Sim"\n')
    write(tmp_path, "ZH_hant.CSV", '"Yes","是"\n')
    squall.locale.load_translations(tmp_path)
    assert squall.locale.get_supported_locales() == {"pt_BR", "zh_Hant", "en_US"}
    assert squall.locale.get("pt_BR").translate("Yes") == "Sim"
    assert squall.locale.get("zh-Hant").translate("Yes") == "是"


def test_plural_rows(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", SPANISH)
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    one, many = "%(name)s liked this", "%(name)s liked this"
    assert es.translate(one, many, 1) == "A %(name)s le gustó esto"
    assert es.translate(one, many, 2) == "A %(name)s les gustó esto"
    assert es.translate(one, many, 0) == "A %(name)s les gustó esto"
    # a plain lookup falls back to the singular row
    assert es.translate(one) == "A %(name)s le gustó esto"
    # untranslated plural messages follow the English rule
    assert es.translate("an apple", "%(n)d apples", 1) == "an apple"
    assert es.translate("an apple", "%(n)d apples", 3) == "%(n)d apples"
    with pytest.raises(TypeError, match="count"):
        es.translate(one, many)


def test_plural_and_singular_rows_keyed_by_their_own_english(tmp_path: Path) -> None:
    write(
        tmp_path,
        "es.csv",
        '"One person liked this","A una persona le gustó esto","singular"\n'
        '"%(num)d people liked this","A %(num)d personas les gustó esto","plural"\n',
    )
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    msgs = ("One person liked this", "%(num)d people liked this")
    assert es.translate(*msgs, 1) == "A una persona le gustó esto"
    assert es.translate(*msgs, 4) % {"num": 4} == "A 4 personas les gustó esto"


def test_marker_case_whitespace_and_empty_third_column(tmp_path: Path) -> None:
    write(
        tmp_path,
        "es.csv",
        '"a cat","un gato"," Singular "\n'
        '"%(n)d cats","%(n)d gatos","PLURAL"\n'
        '"Hello","Hola",\n',
    )
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    assert es.translate("a cat", "%(n)d cats", 1) == "un gato"
    assert es.translate("a cat", "%(n)d cats", 5) == "%(n)d gatos"
    assert es.translate("Hello") == "Hola"


def test_csv_syntax(tmp_path: Path) -> None:
    write(
        tmp_path,
        "es.csv",
        # unquoted fields, a space after the comma, an escaped quote, a
        # newline inside quotes, blank lines, CRLF line ends
        'Hello, Hola\r\n'
        '\r\n'
        '"Say ""hi""","Di ""hola"""\r\n'
        '"Two\nlines","Dos\nlíneas"\r\n'
        '\n'
        '"Leading space"," espacio"\r\n',
    )
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    assert es.translate("Hello") == "Hola"
    assert es.translate('Say "hi"') == 'Di "hola"'
    assert es.translate("Two\nlines") == "Dos\nlíneas"
    assert es.translate("Leading space") == " espacio"


def test_empty_translation_means_not_translated(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Sign in",""\n"Yes","Sí"\n')
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    assert es.translate("Sign in") == "Sign in"
    assert es.translate("Yes") == "Sí"


def test_identical_duplicate_rows_are_harmless(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Yes","Sí"\n"Yes","Sí"\n')
    squall.locale.load_translations(tmp_path)
    assert squall.locale.get("es").translate("Yes") == "Sí"


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),  # no BOM: detected from the NUL bytes
        ("utf-16-be", b""),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = '"Sign in","Iniciar sesión"\n"Thanks","Gracias ☺ 𝄞"\n'
    (tmp_path / "es.csv").write_bytes(prefix + text.encode(encoding))
    squall.locale.load_translations(tmp_path)
    es = squall.locale.get("es")
    # The first message is found: a BOM never sticks to it.
    assert es.translate("Sign in") == "Iniciar sesión"
    assert es.translate("Thanks") == "Gracias ☺ 𝄞"


def test_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Sign in","Iniciar sesión"\n', encoding="latin-1")
    with pytest.raises(TranslationError, match=r"es\.csv, line 1: not valid utf-8"):
        squall.locale.load_translations(tmp_path, encoding="utf-8")


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Sign in","Iniciar sesión"\n', encoding="latin-1")
    squall.locale.load_translations(tmp_path, encoding="latin-1")
    assert squall.locale.get("es").translate("Sign in") == "Iniciar sesión"


def test_explicit_utf8_drops_a_bom(tmp_path: Path) -> None:
    write(tmp_path, "de.csv", '"Sign in","Anmelden"\n', encoding="utf-8-sig")
    squall.locale.load_translations(tmp_path, encoding="utf-8")
    assert squall.locale.get("de").translate("Sign in") == "Anmelden"


def test_empty_file_and_empty_directory(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", "")
    squall.locale.load_translations(tmp_path)
    assert squall.locale.get_supported_locales() == {"es", "en_US"}
    assert squall.locale.get("es").translate("Yes") == "Yes"
    empty = tmp_path / "empty"
    empty.mkdir()
    squall.locale.load_translations(empty)
    assert squall.locale.get_supported_locales() == {"en_US"}


def test_reloading_replaces_translations(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first, "es.csv", '"Yes","Sí"\n')
    write(second, "fr.csv", '"Yes","Oui"\n')
    squall.locale.load_translations(first)
    es = squall.locale.get("es")
    assert squall.locale.get("es") is es  # cached
    squall.locale.load_translations(second)
    assert squall.locale.get_supported_locales() == {"fr", "en_US"}
    assert squall.locale.get("es").code == "en_US"
    assert squall.locale.get("fr").translate("Yes") == "Oui"


# --- errors: each names the file and, for a row, the line -------------------


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('"Yes"\n', 1, "expected 2 or 3 columns"),
        ('"Yes","Sí"\n\n"No","No","plural","extra"\n', 3, "found 4"),
        ('"Yes","Sí","plurals"\n', 1, "unknown plural marker 'plurals'"),
        ('"Yes","Sí","many"\n', 1, "third column must be"),
        ('"","Sí"\n', 1, "English message (first column) is empty"),
        ('"Yes","Sí"\n"Yes","Vale"\n', 2, "translated twice, differently (first on line 1)"),
        ('"Yes","Sí"\n"Yes" x,"Sí"\n', 2, "','"),  # junk after a closing quote
        ('"Yes","Sí"\n"Yes","Sí\n', 2, "unexpected end of data"),
        ('"a","b"\n"multi\nline","x"\n"c","d","bad"\n', 4, "unknown plural marker"),
    ],
)
def test_malformed_rows_name_file_and_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    path = write(tmp_path, "es.csv", text)
    with pytest.raises(TranslationError) as info:
        squall.locale.load_translations(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert what in message
    assert isinstance(info.value, ValueError)


def test_a_failed_load_keeps_the_previous_translations(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    write(good, "es.csv", '"Yes","Sí"\n')
    write(bad, "fr.csv", '"Yes","Oui"\n')
    write(bad, "it.csv", '"Yes"\n')
    squall.locale.load_translations(good)
    with pytest.raises(TranslationError):
        squall.locale.load_translations(bad)
    assert squall.locale.get_supported_locales() == {"es", "en_US"}
    assert squall.locale.get("es").translate("Yes") == "Sí"


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "es.csv"
    path.write_bytes(b'"Yes","S\xc3\xad"\n"No","N\xff"\n')
    with pytest.raises(TranslationError, match=r"es\.csv, line 2: not valid utf-8"):
        squall.locale.load_translations(tmp_path)


def test_undecodable_utf16_file_names_the_byte(tmp_path: Path) -> None:
    # a BOM, then an unpaired high surrogate
    (tmp_path / "es.csv").write_bytes(codecs.BOM_UTF16_LE + '"a","b"'.encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(TranslationError, match=r"es\.csv, byte \d+: not valid utf-16"):
        squall.locale.load_translations(tmp_path)


def test_unknown_encoding(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Yes","Sí"\n')
    with pytest.raises(TranslationError, match="unknown encoding 'no-such-codec'"):
        squall.locale.load_translations(tmp_path, encoding="no-such-codec")


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(TranslationError, match=f"cannot list the translation directory {missing}"):
        squall.locale.load_translations(missing)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "es.csv", '"Yes","Sí"\n')

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # (chmod 0 would not stop root, who runs these tests in CI containers)
    monkeypatch.setattr(_csv, "open", refuse, raising=False)
    with pytest.raises(TranslationError, match=f"cannot read {path}: Permission denied"):
        squall.locale.load_translations(tmp_path)


def test_two_files_for_one_locale(tmp_path: Path) -> None:
    write(tmp_path, "es_GT.csv", '"Yes","Sí"\n')
    write(tmp_path, "es-gt.csv", '"Yes","Sí"\n')
    with pytest.raises(TranslationError, match="are both translations for locale es_GT"):
        squall.locale.load_translations(tmp_path)


def test_other_files_are_reported_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "es.csv", '"Yes","Sí"\n')
    write(tmp_path, "README.txt", "notes")
    write(tmp_path, "spanish.csv", '"Yes","Sí"\n')
    write(tmp_path, "es_GT_1.csv", '"Yes","Sí"\n')
    (tmp_path / "de.csv").mkdir()  # a directory is not a file
    write(tmp_path, ".hidden.csv", "junk")  # hidden entries are skipped quietly
    with pytest.warns(TranslationWarning) as record:
        squall.locale.load_translations(tmp_path)
    reported = sorted(Path(str(w.message).split(" is not")[0]).name for w in record)
    assert reported == ["README.txt", "de.csv", "es_GT_1.csv", "spanish.csv"]
    assert squall.locale.get_supported_locales() == {"es", "en_US"}


def test_warnings_can_be_made_errors(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "x")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TranslationWarning)
        with pytest.raises(TranslationWarning, match="notes.txt is not a translation file"):
            squall.locale.load_translations(tmp_path)
