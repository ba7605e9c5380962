"""The JSON API: the same entries for scripts and other programs.

``GET /api/entries?cursor=<c>&limit=<n>`` lists entries newest first, ``n``
at a time (default 20, at most 100). The answer's ``next_cursor`` fetches the
next page; it is ``null`` on the last one. A cursor is the id of the last entry
of the previous page, so pages stay stable while new entries arrive.

``POST /api/entries`` with a JSON body ``{"text": "..."}`` adds an entry. The
API uses the same sign-in cookie as the pages, so a POST must carry the XSRF
token in an ``X-XSRFToken`` header, like the pages' own scripts do.
"""

from __future__ import annotations

import datetime
from typing import Any

import squall.escape
import squall.web

from .handlers import MAX_TEXT, BaseHandler
from .store import Entry


def iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "author": entry["author"],
        "text": entry["text"],
        "created": iso(entry["created"]),
        "image_url": f"/images/{entry['image_id']}" if entry["image_id"] else None,
        "likes": entry["likes"],
        "comments": [
            {"id": c["id"], "author": c["author"], "text": c["text"], "created": iso(c["created"])}
            for c in entry["comments"]
        ],
    }


class ApiError(squall.web.HTTPError):
    """An error the client caused; ``message`` is sent in the JSON body."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code)
        self.message = message


class EntriesApiHandler(BaseHandler):
    def prepare(self) -> None:
        if not self.current_user:
            raise ApiError(403, "sign in first (the 'user' cookie)")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, ApiError) else self._reason
        self.finish({"error": message})

    def get(self) -> None:
        cursor = self.get_query_argument("cursor", "")
        limit = self.get_query_argument("limit", "20")
        if cursor and not (cursor.isdigit() and len(cursor) < 18):
            raise ApiError(400, "cursor must be a next_cursor from a previous page")
        if not (limit.isdigit() and 1 <= int(limit) <= 100):
            raise ApiError(400, "limit must be a whole number from 1 to 100")
        # One extra row tells us whether there is a next page.
        entries = self.store.entries(int(cursor) if cursor else None, int(limit) + 1)
        page = entries[: int(limit)]
        more = len(entries) > len(page)
        self.write({
            "entries": [entry_json(e) for e in page],
            "next_cursor": str(page[-1]["id"]) if more else None,
        })

    def post(self) -> None:
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != "application/json":
            raise ApiError(415, "send the entry as application/json")
        try:
            body = squall.escape.json_decode(self.request.body)
        except ValueError:
            raise ApiError(400, "the body is not valid JSON") from None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_TEXT:
            raise ApiError(400, f"'text' must be a string of 1 to {MAX_TEXT} characters")
        entry_id, event = self.store.add_entry(self.current_user, text.strip())
        self.hub.publish(event)
        entry = self.store.entry(entry_id)
        assert entry is not None
        self.set_status(201)
        self.set_header("Location", f"/entries/{entry_id}")
        self.write(entry_json(entry))
