"""Translations: gettext ``.po`` files, compiled to ``.mo`` at start-up.

We use gettext rather than CSV because Russian needs three plural forms
(1 лайк, 3 лайка, 5 лайков) and a CSV file holds only two. The catalogues in
``translations/<locale>.po`` are the source; `load` compiles them into the data
folder with the small compiler below (so the demo needs no ``msgfmt``) and
hands that folder to `squall.locale.load_gettext_translations`.
"""

from __future__ import annotations

import ast
import os
import struct

import squall.locale

DOMAIN = "feed"
HERE = os.path.dirname(os.path.abspath(__file__))


def load(data_dir: str, source_dir: str = os.path.join(HERE, "translations")) -> None:
    """Compile every ``<locale>.po`` of ``source_dir`` and load them all."""
    compiled = os.path.join(data_dir, "locale")
    for name in sorted(os.listdir(source_dir)):
        code, ext = os.path.splitext(name)
        if ext != ".po":
            continue
        with open(os.path.join(source_dir, name), encoding="utf-8") as f:
            messages = parse_po(f.read(), name)
        target = os.path.join(compiled, code, "LC_MESSAGES")
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, DOMAIN + ".mo"), "wb") as f:
            f.write(compile_mo(messages))
    squall.locale.load_gettext_translations(compiled, DOMAIN)


def parse_po(text: str, filename: str = "<po>") -> dict[str, str]:
    """Read a ``.po`` file into ``{msgid: msgstr}`` in the ``.mo`` key format.

    A plural entry becomes ``{"one\\0many": "form0\\0form1\\0form2"}``; empty
    (untranslated) entries are left out. Only what our catalogues use is
    supported: ``msgid``, ``msgid_plural``, ``msgstr``, ``msgstr[n]``,
    continued strings and ``#`` comments.
    """
    messages: dict[str, str] = {}
    entry: dict[str, str] = {}
    key = ""

    def flush() -> None:
        if "msgid" in entry:
            msgid = entry["msgid"]
            if "msgid_plural" in entry:
                msgid += "\0" + entry["msgid_plural"]
            forms = [entry[k] for k in sorted(entry) if k.startswith("msgstr")]
            if any(forms):
                messages[msgid] = "\0".join(forms)
        entry.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if not key:
                raise ValueError(f"{filename}:{number}: a string continues no keyword")
            entry[key] += _unquote(line, filename, number)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            flush()
        if keyword not in ("msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
            raise ValueError(f"{filename}:{number}: unknown keyword {keyword!r}")
        key = keyword
        entry[key] = _unquote(rest.strip(), filename, number)
    flush()
    return messages


def _unquote(token: str, filename: str, number: int) -> str:
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise ValueError(f"{filename}:{number}: expected a quoted string, got {token!r}")
    # A .po string is a C-style literal; Python's parser reads the same escapes.
    value = ast.literal_eval(token)
    assert isinstance(value, str)
    return value


def compile_mo(messages: dict[str, str]) -> bytes:
    """The GNU ``.mo`` file for ``messages`` (little-endian, no hash table)."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    header_size = 7 * 4
    table_size = len(keys) * 8
    offset = header_size + 2 * table_size
    id_table: list[tuple[int, int]] = []
    str_table: list[tuple[int, int]] = []
    blob = b""
    for items, table in ((ids, id_table), (strs, str_table)):
        for item in items:
            table.append((len(item), offset + len(blob)))
            blob += item + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(keys), header_size,
                       header_size + table_size, 0, 0)
    tables = b"".join(struct.pack("<2I", *pair) for pair in id_table + str_table)
    return head + tables + blob
