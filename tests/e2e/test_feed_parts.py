"""The feed demo's parts in-process: the store's migrations, the hub, the .po compiler."""

from __future__ import annotations

import asyncio
import gettext
import io
import os
import sqlite3
import sys
from typing import Any

import pytest

DEMOS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "demos")
if DEMOS not in sys.path:
    sys.path.insert(0, DEMOS)

from feed import i18n  # noqa: E402
from feed.hub import Hub  # noqa: E402
from feed.store import MIGRATIONS, Store  # noqa: E402

# -- store ------------------------------------------------------------------------------


def test_a_version_1_database_is_migrated_keeping_its_rows(tmp_path: Any) -> None:
    path = str(tmp_path / "old.sqlite3")
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("INSERT INTO entries (author, text, created) VALUES ('ann', 'old', 1.0)")
        db.execute("PRAGMA user_version = 1")
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    [entry] = store.entries()
    assert (entry["author"], entry["text"], entry["image_id"]) == ("ann", "old", None)
    store.add_entry("bob", "new", ("image/png", b"\x89PNG..."))
    store.close()
    reopened = Store(path)  # nothing left to migrate
    assert [e["text"] for e in reopened.entries()] == ["new", "old"]
    reopened.close()


def test_a_database_from_newer_code_is_refused(tmp_path: Any) -> None:
    path = str(tmp_path / "future.sqlite3")
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this code"):
        Store(path)


def test_a_failing_migration_step_changes_nothing(tmp_path: Any, monkeypatch: Any) -> None:
    path = str(tmp_path / "s.sqlite3")
    Store(path).close()
    monkeypatch.setattr("feed.store.MIGRATIONS", MIGRATIONS + [
        "CREATE TABLE tags (name TEXT); INSERT INTO nowhere VALUES (1);"])
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        Store(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'tags'").fetchall() == []


def test_changes_are_logged_as_events_with_growing_ids(tmp_path: Any) -> None:
    store = Store(str(tmp_path / "s.sqlite3"))
    entry_id, first = store.add_entry("ann", "hi")
    liked = store.toggle_like(entry_id, "bob")
    unliked = store.toggle_like(entry_id, "bob")
    commented = store.add_comment(entry_id, "bob", "yo")
    events = [first, liked, unliked, commented]
    assert [e["kind"] for e in events] == ["entry", "like", "unlike", "comment"]
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert store.events_after(0) == events
    assert store.events_after(liked["id"], limit=1) == [unliked]
    assert store.last_event_id() == commented["id"]
    entry = store.entry(entry_id)
    assert entry is not None and entry["likes"] == [] and len(entry["comments"]) == 1


def test_a_failed_change_leaves_no_trace(tmp_path: Any) -> None:
    store = Store(str(tmp_path / "s.sqlite3"))
    with pytest.raises(sqlite3.IntegrityError):
        store.add_comment(12345, "ann", "on nothing")  # no such entry (foreign key)
    assert store.events_after(0) == []


# -- hub --------------------------------------------------------------------------------


class FakeLog:
    """An event log in memory, standing in for Store.events_after."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.reads = 0

    def add(self) -> dict[str, Any]:
        event = {"id": len(self.events) + 1, "kind": "entry", "entry_id": 1}
        self.events.append(event)
        return event

    def after(self, since: int, limit: int) -> list[dict[str, Any]]:
        self.reads += 1
        return [e for e in self.events if e["id"] > since][:limit]


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 10))


def test_a_subscriber_gets_the_backlog_then_live_events() -> None:
    log = FakeLog()
    for _ in range(3):
        log.add()
    hub = Hub(log.after, log.events[-1]["id"])

    async def scenario() -> list[list[int]]:
        subscription = hub.subscribe(1)
        got = [[e["id"] for e in await subscription.next()]]
        later = asyncio.ensure_future(subscription.next())
        await asyncio.sleep(0)
        assert not later.done()  # nothing new: waiting
        hub.publish(log.add())
        hub.publish(log.add())
        got.append([e["id"] for e in await later])
        return got

    assert run(scenario()) == [[2, 3], [4, 5]]


def test_recent_events_come_from_memory_older_ones_from_the_log() -> None:
    log = FakeLog()
    hub = Hub(log.after, 0, keep=2)

    async def scenario() -> None:
        for _ in range(10):
            hub.publish(log.add())
        reads = log.reads
        assert [e["id"] for e in await hub.subscribe(8).next()] == [9, 10]
        assert log.reads == reads  # served from memory
        assert [e["id"] for e in await hub.subscribe(2).next()] == list(range(3, 11))
        assert log.reads == reads + 1  # older than the window: read from the log

    run(scenario())


def test_every_subscriber_is_woken_and_close_ends_iteration() -> None:
    log = FakeLog()
    hub = Hub(log.after, 0)

    async def scenario() -> None:
        subscriptions = [hub.subscribe(0) for _ in range(3)]
        waiting = [asyncio.ensure_future(s.next()) for s in subscriptions]
        await asyncio.sleep(0)
        hub.publish(log.add())
        assert [[e["id"] for e in await w] for w in waiting] == [[1]] * 3

        collected: list[int] = []

        async def consume() -> None:
            async for batch in subscriptions[0]:
                collected.extend(e["id"] for e in batch)

        consumer = asyncio.ensure_future(consume())
        await asyncio.sleep(0)
        hub.publish(log.add())
        await asyncio.sleep(0)
        hub.close()
        await consumer  # the async for ends
        assert collected == [2]
        assert await subscriptions[1].next() == []  # closed

    run(scenario())


def test_a_since_id_from_the_future_means_now_and_old_ids_are_refused() -> None:
    log = FakeLog()
    log.add()
    hub = Hub(log.after, 1)

    async def scenario() -> None:
        subscription = hub.subscribe(999)  # e.g. from before the data was wiped
        assert subscription.last_id == 1
        waiting = asyncio.ensure_future(subscription.next())
        await asyncio.sleep(0)
        hub.publish(log.add())
        assert [e["id"] for e in await waiting] == [2]

    run(scenario())
    with pytest.raises(ValueError, match="not newer"):
        hub.publish({"id": 2})


# -- translations ----------------------------------------------------------------------


RUSSIAN = r'''
# a comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
"n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"

msgid "Like"
msgstr "Нравится"

msgid "%(num)d like"
msgid_plural "%(num)d likes"
msgstr[0] "%(num)d лайк"
msgstr[1] "%(num)d лайка"
msgstr[2] "%(num)d лайков"

msgid "Say \"hi\""
msgstr "Скажи \"привет\""

msgid "Untranslated"
msgstr ""
'''


def test_the_po_compiler_makes_a_catalogue_gettext_reads() -> None:
    compiled = i18n.compile_mo(i18n.parse_po(RUSSIAN))
    catalogue = gettext.GNUTranslations(io.BytesIO(compiled))
    assert catalogue.gettext("Like") == "Нравится"
    assert catalogue.gettext('Say "hi"') == 'Скажи "привет"'
    assert catalogue.gettext("Untranslated") == "Untranslated"
    forms = {n: catalogue.ngettext("%(num)d like", "%(num)d likes", n) % {"num": n}
             for n in (1, 2, 5, 11, 21, 22, 25)}
    assert forms == {1: "1 лайк", 2: "2 лайка", 5: "5 лайков", 11: "11 лайков",
                     21: "21 лайк", 22: "22 лайка", 25: "25 лайков"}


@pytest.mark.parametrize("text, problem", [
    ('msgid "a"\nmsgstr b\n', "expected a quoted string"),
    ('"orphan"\n', "continues no keyword"),
    ('msgid "a"\nmsgfoo "b"\n', "unknown keyword"),
])
def test_the_po_parser_names_the_bad_line(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        i18n.parse_po(text, "bad.po")
    assert str(caught.value).startswith("bad.po:")


def test_the_shipped_catalogues_translate_every_message_of_the_templates() -> None:
    import re

    templates = os.path.join(DEMOS, "feed", "templates")
    used: set[str] = set()
    for folder, _, files in os.walk(templates):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                used.update(re.findall(r'_\("((?:[^"\\]|\\.)*)"', f.read()))
    assert len(used) > 15
    for code in ("es", "ru"):
        with open(os.path.join(DEMOS, "feed", "translations", f"{code}.po"),
                  encoding="utf-8") as f:
            messages = i18n.parse_po(f.read())
        singular = {key.split("\0")[0] for key in messages}
        assert used - singular == set(), code
