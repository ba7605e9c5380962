"""Nothing posted is lost when the feed server restarts."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # enough for the signature check


def test_a_restart_keeps_every_entry_like_comment_image_and_sign_in(
        start_server: Any, client_class: Any) -> None:
    server = start_server()
    alice = client_class(server.url)
    alice.sign_in("alice")
    bob = client_class(server.url)
    bob.sign_in("bob")
    for n in range(5):
        alice.post_json("/api/entries", {"text": f"entry {n}"})
    with_image = alice.post("/entries", {"text": "with a picture"},
                            files={"image": ("p.png", "image/png", PNG)})
    assert with_image.status == 302
    first = alice.get("/api/entries?limit=100").json()["entries"]
    target = first[-1]["id"]
    bob.post(f"/entries/{target}/like")
    bob.post(f"/entries/{target}/comments", {"text": "still here?"})
    before = alice.get("/api/entries?limit=100").json()["entries"]
    events_before = alice.post("/updates", {"since": "0"}).json()["events"]
    assert len(before) == 6 and len(events_before) == 8

    server.stop()
    assert server.exit_code == 0  # a clean shutdown on SIGTERM
    assert server.output[-1].strip() == "stopped"
    server = start_server(server.data_dir)
    alice.base_url = bob.base_url = server.url

    # The same cookies still sign us in: the signing key is kept in the data folder.
    assert alice.get("/").status == 200
    after = alice.get("/api/entries?limit=100").json()["entries"]
    assert after == before
    picture = [e for e in after if e["text"] == "with a picture"][0]
    assert alice.get(picture["image_url"]).body == PNG

    # The event log goes on from where it was: a client that saw the last
    # event before the restart gets exactly the new ones.
    last_seen = events_before[-1]["id"]
    assert alice.post("/updates", {"since": "0"}).json()["events"] == events_before
    bob.post_json("/api/entries", {"text": "after the restart"})
    new_events = alice.post("/updates", {"since": str(last_seen)}).json()["events"]
    assert [(e["kind"], e["user"]) for e in new_events] == [("entry", "bob")]
    assert new_events[0]["id"] > last_seen


def test_the_data_folder_is_created_and_the_schema_is_current(start_server: Any,
                                                              tmp_path: Any) -> None:
    data_dir = tmp_path / "deep" / "folder"
    server = start_server(str(data_dir))
    server.stop()
    assert {"cookie_secret", "feed.sqlite3", "locale"} <= set(os.listdir(data_dir))
    assert os.stat(data_dir / "cookie_secret").st_mode & 0o077 == 0  # private
    with sqlite3.connect(data_dir / "feed.sqlite3") as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
    assert version >= 2 and "image_id" in columns


def test_stopping_answers_open_long_polls_and_exits_cleanly(
        start_server: Any, client_class: Any) -> None:
    server = start_server()
    client = client_class(server.url)
    client.sign_in("carl")
    client.post_json("/api/entries", {"text": "one"})
    since = client.post("/updates", {"since": "0"}).json()["events"][-1]["id"]
    answers: list[Any] = []
    poll = threading.Thread(target=lambda: answers.append(
        client.post("/updates", {"since": str(since)})))
    poll.start()
    poll.join(0.5)
    assert poll.is_alive()  # waiting for news
    server.stop()
    poll.join(10)
    assert answers[0].status == 200 and answers[0].json() == {"events": []}
    assert server.exit_code == 0
