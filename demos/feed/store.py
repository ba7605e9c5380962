"""The feed's data: entries, images, likes, comments and the event log, in SQLite.

Every change is written together with an *event* row in the same
transaction. Event ids come from an AUTOINCREMENT key, so they only grow and
are never reused: a client that remembers the last id it saw can ask for
everything after it and miss nothing, even across a server restart.

The schema migrates itself: ``PRAGMA user_version`` records how many of
`MIGRATIONS` have run, and `Store` runs the rest when it opens the file.

SQLite calls run directly on the event loop. Each one is a local,
indexed, sub-millisecond operation (WAL journal, ``synchronous=NORMAL``),
cheaper than the thread hop an executor would add; with a networked database
you would use its asyncio driver instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

#: Schema changes, in order. Never edit a released step; append a new one.
MIGRATIONS = [
    # 1: the first schema.
    """
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE likes (
        entry_id INTEGER NOT NULL REFERENCES entries(id),
        user TEXT NOT NULL,
        PRIMARY KEY (entry_id, user)
    );
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id INTEGER NOT NULL REFERENCES entries(id),
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX comments_by_entry ON comments(entry_id, id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        entry_id INTEGER NOT NULL,
        user TEXT NOT NULL,
        created REAL NOT NULL
    );
    """,
    # 2: entries may carry an uploaded image.
    """
    CREATE TABLE images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_type TEXT NOT NULL,
        data BLOB NOT NULL
    );
    ALTER TABLE entries ADD COLUMN image_id INTEGER REFERENCES images(id);
    """,
]

Event = dict[str, Any]
Entry = dict[str, Any]


class Store:
    """The feed database.

    Args:
        path: the SQLite file; created (with its folder) if missing.
    """

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # isolation_level=None: we open transactions ourselves (`_transaction`).
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"the database has schema version {version}, newer than this code "
                f"knows ({len(MIGRATIONS)}); run a newer version of the demo"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript runs the text as-is, so the step and the new
            # version number commit together or not at all.
            try:
                self.db.executescript(
                    f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
                )
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _log(self, kind: str, entry_id: int, user: str, now: float) -> Event:
        cursor = self.db.execute(
            "INSERT INTO events (kind, entry_id, user, created) VALUES (?, ?, ?, ?)",
            (kind, entry_id, user, now),
        )
        return {"id": cursor.lastrowid, "kind": kind, "entry_id": entry_id, "user": user,
                "created": now}

    # -- changes: each returns the event to publish ---------------------------

    def add_entry(self, author: str, text: str,
                  image: tuple[str, bytes] | None = None) -> tuple[int, Event]:
        """Add an entry (with an optional ``(content_type, data)`` image)."""
        now = time.time()
        with self._transaction() as db:
            image_id = None
            if image is not None:
                image_id = db.execute(
                    "INSERT INTO images (content_type, data) VALUES (?, ?)", image
                ).lastrowid
            entry_id = db.execute(
                "INSERT INTO entries (author, text, created, image_id) VALUES (?, ?, ?, ?)",
                (author, text, now, image_id),
            ).lastrowid
            assert entry_id is not None
            return entry_id, self._log("entry", entry_id, author, now)

    def toggle_like(self, entry_id: int, user: str) -> Event:
        """Like the entry, or take the like back if ``user`` already likes it."""
        now = time.time()
        with self._transaction() as db:
            removed = db.execute(
                "DELETE FROM likes WHERE entry_id = ? AND user = ?", (entry_id, user)
            ).rowcount
            if not removed:
                db.execute("INSERT INTO likes (entry_id, user) VALUES (?, ?)", (entry_id, user))
            return self._log("unlike" if removed else "like", entry_id, user, now)

    def add_comment(self, entry_id: int, author: str, text: str) -> Event:
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO comments (entry_id, author, text, created) VALUES (?, ?, ?, ?)",
                (entry_id, author, text, now),
            )
            return self._log("comment", entry_id, author, now)

    # -- queries ----------------------------------------------------------------

    def exists(self, entry_id: int) -> bool:
        row = self.db.execute("SELECT 1 FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return row is not None

    def entries(self, before: int | None = None, limit: int = 20) -> list[Entry]:
        """The newest entries, optionally only those older than id ``before``."""
        rows = self.db.execute(
            "SELECT * FROM entries WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        ).fetchall()
        return self._complete(rows)

    def entry(self, entry_id: int) -> Entry | None:
        rows = self.db.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchall()
        found = self._complete(rows)
        return found[0] if found else None

    def _complete(self, rows: list[sqlite3.Row]) -> list[Entry]:
        """Turn entry rows into dicts with their likes and comments."""
        entries = {row["id"]: dict(row, likes=[], comments=[]) for row in rows}
        if not entries:
            return []
        marks = ",".join("?" * len(entries))
        ids = list(entries)
        for row in self.db.execute(
            f"SELECT entry_id, user FROM likes WHERE entry_id IN ({marks}) ORDER BY user", ids
        ):
            entries[row["entry_id"]]["likes"].append(row["user"])
        for row in self.db.execute(
            f"SELECT * FROM comments WHERE entry_id IN ({marks}) ORDER BY id", ids
        ):
            entries[row["entry_id"]]["comments"].append(dict(row))
        return list(entries.values())

    def image(self, image_id: int) -> tuple[str, bytes] | None:
        row = self.db.execute(
            "SELECT content_type, data FROM images WHERE id = ?", (image_id,)
        ).fetchone()
        return (row["content_type"], bytes(row["data"])) if row else None

    def events_after(self, event_id: int, limit: int = 100) -> list[Event]:
        """Logged events with an id above ``event_id``, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (event_id, limit)
        ).fetchall()
        return [dict(row) for row in rows]

    def last_event_id(self) -> int:
        row = self.db.execute("SELECT MAX(id) FROM events").fetchone()
        return int(row[0] or 0)

