"""Reading one CSV translation file.

A file holds rows of ``"english","translation"`` with an optional third
column, ``singular`` or ``plural``, for the two forms of a plural message.
The encoding is UTF-8 (a byte-order mark is allowed) or UTF-16 (with a
byte-order mark, or detected from the NUL bytes of ASCII text) unless the
caller names one.
"""

from __future__ import annotations

import codecs
import csv
import io
import os

from ._errors import TranslationError
from ._state import CSVTranslations

_MARKERS = {"": "unknown", "singular": "singular", "plural": "plural"}


def detect_encoding(data: bytes) -> str:
    """The encoding of a CSV file that declares none."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Without a BOM, UTF-16 text starting with an ASCII character (a quote,
    # a letter) has a NUL byte beside it; UTF-8 text never starts with NUL.
    if len(data) >= 2 and (data[0] == 0) != (data[1] == 0):
        return "utf-16-be" if data[0] == 0 else "utf-16-le"
    return "utf-8"


def _decode(path: str, data: bytes, encoding: str | None) -> str:
    chosen = encoding or detect_encoding(data)
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1 if chosen.startswith("utf-8") else None
        where = f"line {line}" if line is not None else f"byte {exc.start}"
        raise TranslationError(
            f"{path}, {where}: not valid {chosen} ({exc.reason}); save the file "
            "as UTF-8 or UTF-16, or pass the right encoding="
        ) from exc
    except LookupError as exc:
        raise TranslationError(f"{path}: unknown encoding {chosen!r}") from exc
    # A BOM read with an explicit encoding="utf-8" would glue itself to the
    # first message; it is never part of the text.
    return text.removeprefix("\ufeff")


def read_csv_catalogue(path: str, encoding: str | None = None) -> CSVTranslations:
    """Parse one CSV translation file.

    Raises:
        TranslationError: the file cannot be read or decoded, or a row is
            malformed (the message names the file and line).
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        raise TranslationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = _decode(path, data, encoding)
    tables: CSVTranslations = {"unknown": {}, "singular": {}, "plural": {}}
    first_lines: dict[tuple[str, str], int] = {}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise TranslationError(f"{path}, line {reader.line_num}: {exc}") from exc
        _add_row(path, line, row, tables, first_lines)
        line = reader.line_num + 1
    return tables


def _add_row(
    path: str,
    line: int,
    row: list[str],
    tables: CSVTranslations,
    first_lines: dict[tuple[str, str], int],
) -> None:
    if not row:
        return  # a blank line
    where = f"{path}, line {line}"
    if len(row) not in (2, 3):
        raise TranslationError(
            f"{where}: expected 2 or 3 columns (\"english\",\"translation\""
            f"[,\"plural\"|\"singular\"]), found {len(row)}"
        )
    english, translation = row[0], row[1]
    marker = row[2].strip().lower() if len(row) == 3 else ""
    kind = _MARKERS.get(marker)
    if kind is None:
        raise TranslationError(
            f"{where}: unknown plural marker {row[2]!r}; the third column must be "
            "'singular', 'plural' or empty"
        )
    if not english:
        raise TranslationError(f"{where}: the English message (first column) is empty")
    if not translation:
        return  # not translated yet: the English message is shown
    table = tables[kind]
    previous = table.get(english)
    if previous is not None and previous != translation:
        raise TranslationError(
            f"{where}: {english!r} ({kind}) is translated twice, differently "
            f"(first on line {first_lines[kind, english]}); keep one row"
        )
    table[english] = translation
    first_lines.setdefault((kind, english), line)


def is_csv_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() == ".csv"
