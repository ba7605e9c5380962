"""The pages and the form actions (the JSON API is in api.py, live updates in live.py).

Every action is an ordinary HTML form (so the site works without
JavaScript) that feed.js and entry.js also submit with ``fetch``, asking for
JSON. Either way the ``_xsrf`` token travels with it, and `xsrf_cookies`
refuses any POST without it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn

import squall.locale
import squall.web

if TYPE_CHECKING:
    from .app import FeedApplication
    from .hub import Hub
    from .store import Store

NICKNAME = re.compile(r"[\w.-]{1,24}")
MAX_TEXT = 1000
MAX_COMMENT = 500
MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: Images are recognised by their first bytes, never by the name or the
#: Content-Type the browser sent.
IMAGE_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


class BaseHandler(squall.web.RequestHandler):
    """Who the user is, their language, and shared helpers."""

    @property
    def store(self) -> Store:
        return self._app.store

    @property
    def hub(self) -> Hub:
        return self._app.hub

    @property
    def _app(self) -> FeedApplication:
        return self.application  # type: ignore[return-value]

    def set_default_headers(self) -> None:
        # Scripts and styles come only from our own static files.
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")

    def get_current_user(self) -> str | None:
        nickname = self.get_signed_cookie("user")
        return nickname.decode("utf-8") if nickname else None

    def get_user_locale(self) -> squall.locale.Locale | None:
        # The language switcher's cookie wins; otherwise (None) squall.web
        # falls back to the browser's Accept-Language header.
        code = self.get_cookie("locale")
        if code in squall.locale.get_supported_locales():
            return squall.locale.get(code)
        return None

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["supported_locales"] = squall.locale.get_supported_locales()
        namespace["locale_name"] = lambda code: squall.locale.get(code).name
        return namespace

    @property
    def gmt_offset(self) -> int:
        """The reader's offset from UTC in minutes, as feed.js stores it."""
        value = self.get_cookie("tz") or ""
        if re.fullmatch(r"-?\d{1,4}", value) and abs(int(value)) <= 14 * 60:
            return int(value)
        return 0

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def local_url(self, url: str | None, default: str = "/") -> str:
        """``url`` if it is a path on this site, else ``default`` (no open redirects)."""
        if url and url.startswith("/") and not url.startswith(("//", "/\\")):
            return url
        return default

    def done(self, url: str, **data: Any) -> None:
        """Answer a successful form action: JSON for scripts, a redirect for browsers."""
        if self.wants_json():
            self.write({"ok": True, **data})
        else:
            self.redirect(url)

    def refuse(self, message: str) -> NoReturn:
        """Answer 400 with ``message`` (translated) and stop the request."""
        message = self.locale.translate(message)
        self.set_status(400)
        if self.wants_json():
            self.finish({"ok": False, "error": message})
        else:
            self.render("error.html", message=message)
        raise squall.web.Finish()

    def entry_id_or_404(self, entry_id: str) -> int:
        number = int(entry_id)
        if not self.store.exists(number):
            raise squall.web.HTTPError(404)
        return number


class LoginHandler(BaseHandler):
    def get(self) -> None:
        self.render("login.html", error=None, nickname="")

    def post(self) -> None:
        nickname = self.get_argument("nickname", "")
        if not NICKNAME.fullmatch(nickname):
            self.set_status(400)
            error = self.locale.translate(
                "A nickname is 1 to 24 letters, digits, dots, dashes or underscores."
            )
            self.render("login.html", error=error, nickname=nickname)
            return
        self.set_signed_cookie("user", nickname, httponly=True, samesite="Lax")
        self.redirect(self.local_url(self.get_argument("next", None)))


class LogoutHandler(BaseHandler):
    def post(self) -> None:
        self.clear_cookie("user")
        self.redirect("/login")


class LanguageHandler(BaseHandler):
    def post(self) -> None:
        code = self.get_argument("locale")
        if code not in squall.locale.get_supported_locales():
            raise squall.web.HTTPError(400, "unsupported locale %r", code)
        self.set_cookie("locale", code, expires_days=365, samesite="Lax")
        self.redirect(self.local_url(self.get_argument("next", None)))


class HomeHandler(BaseHandler):
    PAGE_SIZE = 20

    @squall.web.authenticated
    def get(self) -> None:
        before = self.get_query_argument("before", None)
        if before is not None and not before.isdigit():
            raise squall.web.HTTPError(400, "bad 'before' argument %r", before)
        entries = self.store.entries(int(before) if before else None, self.PAGE_SIZE + 1)
        older = entries[-1]["id"] + 1 if len(entries) > self.PAGE_SIZE else None
        self.render(
            "home.html",
            entries=entries[: self.PAGE_SIZE],
            older=older,
            last_event_id=self.hub.last_id,
        )


class EntryHandler(BaseHandler):
    """One entry with all its comments."""

    @squall.web.authenticated
    def get(self, entry_id: str) -> None:
        entry = self.store.entry(int(entry_id))
        if entry is None:
            raise squall.web.HTTPError(404)
        self.render("entry.html", entry=entry, last_event_id=self.hub.last_id)


class EntryFragmentHandler(BaseHandler):
    """The HTML of one entry, which the page fetches when an event names it."""

    @squall.web.authenticated
    def get(self, entry_id: str) -> None:
        entry = self.store.entry(int(entry_id))
        if entry is None:
            raise squall.web.HTTPError(404)
        full = self.get_query_argument("full", "") == "1"
        self.render("entry_fragment.html", entry=entry, full=full)


class NewEntryHandler(BaseHandler):
    @squall.web.authenticated
    def post(self) -> None:
        text = self.get_body_argument("text", "").strip()
        if not text:
            self.refuse("Write something first.")
        if len(text) > MAX_TEXT:
            self.refuse("An entry is at most 1000 characters.")
        image = None
        uploads = self.request.files.get("image", [])
        if uploads and uploads[0]["body"]:
            data = uploads[0]["body"]
            content_type = image_type(data)
            if len(data) > MAX_IMAGE_BYTES:
                self.refuse("Images are at most 2 MB.")
            if content_type is None:
                self.refuse("Only PNG, JPEG, GIF and WebP images can be uploaded.")
            image = (content_type, data)
        entry_id, event = self.store.add_entry(self.current_user, text, image)
        self.hub.publish(event)
        self.done(f"/#entry-{entry_id}", entry_id=entry_id)


def image_type(data: bytes) -> str | None:
    """The content type of a PNG, JPEG, GIF or WebP image, else None."""
    for signature, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class LikeHandler(BaseHandler):
    @squall.web.authenticated
    def post(self, entry_id: str) -> None:
        number = self.entry_id_or_404(entry_id)
        self.hub.publish(self.store.toggle_like(number, self.current_user))
        self.done(self.local_url(self.get_argument("next", None), f"/#entry-{number}"),
                  entry_id=number)


class CommentHandler(BaseHandler):
    @squall.web.authenticated
    def post(self, entry_id: str) -> None:
        number = self.entry_id_or_404(entry_id)
        text = self.get_argument("text", "").strip()
        if not text or len(text) > MAX_COMMENT:
            self.refuse("A comment is 1 to 500 characters.")
        self.hub.publish(self.store.add_comment(number, self.current_user, text))
        self.done(self.local_url(self.get_argument("next", None), f"/#entry-{number}"),
                  entry_id=number)


class ImageHandler(BaseHandler):
    @squall.web.authenticated
    def get(self, image_id: str) -> None:
        image = self.store.image(int(image_id))
        if image is None:
            raise squall.web.HTTPError(404)
        content_type, data = image
        self.set_header("Content-Type", content_type)
        # An image id never changes content, so browsers may keep it.
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")
        self.write(data)
