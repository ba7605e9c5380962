"""Fixtures for the squall.locale tests: a clean global state, a fixed clock,
and a writer of gettext .mo catalogues (the binary format, built with struct)."""

from __future__ import annotations

import datetime
import struct
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import squall.locale
from squall.locale import _locale

MO_MAGIC = 0x950412DE

# msgid -> msgstr; a plural entry is (msgid, msgid_plural) -> [forms], and a
# context goes in front of the msgid as "context\x04msgid".
MoEntries = Mapping["str | tuple[str, str]", "str | list[str]"]


def mo_bytes(entries: MoEntries, plural_forms: str = "nplurals=2; plural=(n != 1);") -> bytes:
    """Compile catalogue entries to the GNU .mo format (little-endian)."""
    header = (
        "Content-Type: text/plain; charset=UTF-8\n"
        f"Plural-Forms: {plural_forms}\n"
    )
    pairs: list[tuple[bytes, bytes]] = [(b"", header.encode())]
    for key, value in entries.items():
        msgid = key if isinstance(key, str) else "\0".join(key)
        msgstr = value if isinstance(value, str) else "\0".join(value)
        pairs.append((msgid.encode(), msgstr.encode()))
    pairs.sort()
    count = len(pairs)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    strings_at = translations_at + count * 8
    tables = [b"", b""]
    blob = b""
    for column in (0, 1):
        for pair in pairs:
            text = pair[column]
            tables[column] += struct.pack("<2I", len(text), strings_at + len(blob))
            blob += text + b"\0"
    head = struct.pack("<7I", MO_MAGIC, 0, count, originals_at, translations_at, 0, 0)
    return head + tables[0] + tables[1] + blob


@pytest.fixture
def write_mo() -> Callable[..., Path]:
    def write(directory: Path, code: str, domain: str, entries: MoEntries, **kw: str) -> Path:
        folder = directory / code / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{domain}.mo"
        path.write_bytes(mo_bytes(entries, **kw))
        return path

    return write


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    squall.locale.reset()
    yield
    squall.locale.reset()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2024, 6, 12, 15, 30, 0)  # a Wednesday, UTC

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(_locale, "_utcnow", fixed)
    return fixed


@pytest.fixture(name="mo_bytes")
def mo_bytes_fixture() -> Callable[..., bytes]:
    return mo_bytes
