"""The feed demo in a real browser: two users, live updates, XSRF, languages.

Each test opens pages in separate browser contexts (separate cookie jars, so
separate users) against one server started for this module. Screenshots of
a failed test's pages land in test-artifacts/.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api").expect


def sign_in(page: Any, base_url: str, nickname: str, path: str = "/") -> None:
    page.goto(base_url + path)
    assert "/login" in page.url
    page.fill("input[name=nickname]", nickname)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_selector("#composer")
    ready(page)
    # Stamp the document: if it is still there later, the page never reloaded.
    page.evaluate("window.__sameDocument = true")


def ready(page: Any) -> None:
    """Wait until the page's scripts have run (before that, forms post the plain way)."""
    page.wait_for_function("window.feed !== undefined")


def live(page: Any) -> str:
    """Wait until the page's live connection is up; its transport's name."""
    page.wait_for_selector("#live.on")
    return str(page.get_attribute("#live", "data-transport"))


def entry(page: Any, text: str) -> Any:
    return page.locator("article.entry", has_text=text)


def still_same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def png(width: int, height: int) -> bytes:
    rows = b"".join(b"\0" + bytes([200, 80, 40]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_two_users_see_each_others_posts_likes_and_comments_live(
        feed_server: Any, browser_pages: Any) -> None:
    a = browser_pages()
    b = browser_pages()
    sign_in(a, feed_server.url, "anna")
    # A gets a WebSocket; B is sent to the long-polling fallback.
    sign_in(b, feed_server.url, "boris", "/?transport=poll")
    assert live(b) == "long polling"
    assert live(a) == "WebSocket"

    a.fill("#composer textarea", "Hello from Anna, live!")
    a.click("#composer button[type=submit]")
    entry(b, "Hello from Anna, live!").wait_for()
    expect(entry(a, "Hello from Anna, live!")).to_have_count(1)  # the author sees it once

    entry(b, "Hello from Anna, live!").get_by_role("button", name="♡ Like").click()
    entry(a, "Hello from Anna, live!").locator(".likes", has_text="1 like").wait_for()
    assert entry(a, "Hello from Anna, live!").locator(".likes").get_attribute("title") == "boris"
    entry(b, "Hello from Anna, live!").get_by_role("button", name="♥ Unlike").wait_for()

    box = entry(b, "Hello from Anna, live!").locator(".comment-form input[name=text]")
    box.fill("Welcome, Anna")
    box.press("Enter")
    entry(a, "Hello from Anna, live!").locator(".comment", has_text="Welcome, Anna").wait_for()

    assert still_same_document(a) and still_same_document(b)


def test_a_picture_upload_appears_for_the_other_user(
        feed_server: Any, browser_pages: Any, tmp_path: Any) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(png(40, 30))
    a = browser_pages()
    b = browser_pages()
    sign_in(a, feed_server.url, "anna")
    sign_in(b, feed_server.url, "boris")
    live(b)
    a.fill("#composer textarea", "A red rectangle")
    a.set_input_files("#composer input[type=file]", str(picture))
    a.click("#composer button[type=submit]")
    image = entry(b, "A red rectangle").locator("img.picture")
    image.wait_for()
    b.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=image.element_handle())


def test_a_bad_upload_shows_the_error_in_the_form(
        feed_server: Any, browser_pages: Any, tmp_path: Any) -> None:
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("just text")
    a = browser_pages()
    sign_in(a, feed_server.url, "anna")
    a.fill("#composer textarea", "this should not be posted")
    a.set_input_files("#composer input[type=file]", str(not_a_picture))
    a.click("#composer button[type=submit]")
    a.locator("#composer .error", has_text="Only PNG, JPEG, GIF and WebP").wait_for()
    assert entry(a, "this should not be posted").count() == 0


def test_a_form_submitted_without_the_xsrf_token_is_refused(
        feed_server: Any, browser_pages: Any) -> None:
    a = browser_pages()
    sign_in(a, feed_server.url, "anna")
    a.fill("#composer textarea", "xsrf victim")
    a.click("#composer button[type=submit]")
    entry(a, "xsrf victim").wait_for()

    # A plain form submission (no script involved) without the _xsrf field,
    # as a forged cross-site form would arrive.
    # (One script call, so that a live refresh cannot swap the form in between.)
    like_form = entry(a, "xsrf victim").locator("form.like")
    with a.expect_navigation() as navigation:
        like_form.evaluate("""form => {
            form.querySelector("input[name=_xsrf]").remove();
            form.submit();
        }""")
    assert navigation.value.status == 403

    a.goto(feed_server.url + "/")
    ready(a)
    assert entry(a, "xsrf victim").locator(".likes").count() == 0

    # The same form with its token goes through.
    entry(a, "xsrf victim").get_by_role("button", name="♡ Like").click()
    entry(a, "xsrf victim").locator(".likes", has_text="1 like").wait_for()


def test_switching_language_changes_the_page_text(feed_server: Any, browser_pages: Any) -> None:
    a = browser_pages()
    sign_in(a, feed_server.url, "anna")
    assert a.inner_text("#composer button[type=submit]") == "Post"
    assert a.get_attribute("html", "lang") == "en"

    with a.expect_navigation():
        a.select_option("form.language select", "es")
    ready(a)
    assert a.inner_text("#composer button[type=submit]") == "Publicar"
    assert a.inner_text("form.logout button") == "Salir"
    assert a.get_attribute("html", "lang") == "es"
    assert a.get_attribute("#composer textarea", "placeholder") == "¿Qué hay de nuevo, anna?"

    with a.expect_navigation():
        a.select_option("form.language select", "ru")
    ready(a)
    assert a.inner_text("#composer button[type=submit]") == "Опубликовать"
    a.fill("#composer textarea", "Привет")
    a.click("#composer button[type=submit]")
    when = entry(a, "Привет").locator("header .when")
    when.wait_for()
    assert re.fullmatch(r"\d+ секунд[уы]? назад", when.inner_text())
    # The date ages while the page is open (feed.js rewrites it every 20 s;
    # here the entry is made three minutes older and the rewrite run at once).
    when.evaluate("el => { el.dataset.ts = String(Date.now() / 1000 - 185); window.feed.ageDates(); }")
    assert when.inner_text() == "3 минуты назад"

    # The choice is remembered (a cookie) on the next visit.
    a.goto(feed_server.url + "/")
    assert a.inner_text("form.logout button") == "Выйти"


def test_sign_out(feed_server: Any, browser_pages: Any) -> None:
    a = browser_pages()
    sign_in(a, feed_server.url, "anna")
    with a.expect_navigation():
        a.click("form.logout button")
    assert a.url.endswith("/login")
    a.goto(feed_server.url + "/")
    assert "/login" in a.url


@pytest.mark.parametrize("width", [380])
def test_the_page_fits_a_phone(feed_server: Any, browser_pages: Any, width: int) -> None:
    a = browser_pages()
    a.set_viewport_size({"width": width, "height": 800})
    sign_in(a, feed_server.url, "anna")
    overflow = a.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
