"""UI modules: page components with their own template, CSS and JavaScript.

Templates call ``{% module Entry(entry) %}``. However many entries a page
shows, squall links ``entry.css`` in its ``<head>`` and ``entry.js`` before
``</body>`` once, through ``static_url`` (so the URLs carry a version hash).
"""

from __future__ import annotations

from typing import Any

import squall.web


class Entry(squall.web.UIModule):
    """One entry: text, image, likes and comments.

    Args (of ``render``):
        entry: an entry from `Store.entries` / `Store.entry`.
        show_comments: all comments (the entry's own page) rather than the
            last few (the feed).
    """

    def render(self, entry: dict[str, Any], show_comments: bool = False) -> bytes:
        comments = entry["comments"] if show_comments else entry["comments"][-3:]
        return self.render_string(
            "modules/entry.html",
            entry=entry,
            comments=comments,
            hidden_comments=len(entry["comments"]) - len(comments),
        )

    def css_files(self) -> list[str]:
        return ["entry.css"]

    def javascript_files(self) -> list[str]:
        return ["entry.js"]
