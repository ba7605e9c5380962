"""Static files through real HTTP: the spec's examples, validators, ranges, safety.

The spec's "Static files and aggressive file caching" section runs with
``tornado`` renamed to ``squall`` (`test_spec_*`); the rest covers the
conditional-request, range and path-traversal rules of StaticFileHandler.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import hashlib
import logging
import os
import socket
import threading
import time

import pytest

import squall.template
import squall.web
from squall.web import Application, RequestHandler, StaticFileHandler

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LOGO = b"\x89PNG\r\n\x1a\nlogo-bytes" * 10
TEXT = b"0123456789abcdefghij"  # 20 bytes
SECRET = b"TOP-SECRET-CONTENT"


@pytest.fixture(autouse=True)
def fresh_hashes():
    StaticFileHandler.reset()
    yield
    StaticFileHandler.reset()


@pytest.fixture
def site(tmp_path):
    """tmp/static/... (the root) and tmp/secret.txt (outside it)."""
    static = tmp_path / "static"
    (static / "images").mkdir(parents=True)
    (static / "sub").mkdir()
    (static / "foo.png").write_bytes(PNG)
    (static / "images" / "logo.png").write_bytes(LOGO)
    (static / "robots.txt").write_bytes(b"User-agent: *\nDisallow:\n")
    (static / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
    (static / "apple-touch-icon.png").write_bytes(b"\x89PNGapple")
    (static / "text.txt").write_bytes(TEXT)
    (static / "style.css").write_bytes(b"body { color: black }")
    (static / "archive.tar.gz").write_bytes(b"\x1f\x8b fake gzip")
    (static / "data.unknownext").write_bytes(b"??")
    (static / "empty.txt").write_bytes(b"")
    (static / "sub" / "index.html").write_bytes(b"<p>sub index</p>")
    (static / "sub" / "page.txt").write_bytes(b"page")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret2.txt").write_bytes(SECRET)
    (static / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    (static / "dir-out").symlink_to(tmp_path / "outside")
    (static / "link-in.txt").symlink_to(static / "text.txt")
    return tmp_path


# --- the spec's example -----------------------------------------------------------


class MainHandler(RequestHandler):
    def get(self):
        self.render("home.html")


class LoginHandler(RequestHandler):
    def get(self):
        self.write("login")


@pytest.fixture
def app(site):
    settings = {
        "static_path": os.path.join(str(site), "static"),
        "cookie_secret": "61oETzKXQAGaYdkL5gEmGeJJFuYh7EQnp2XdTP1o/Vo=",
        "login_url": "/login",
        "xsrf_cookies": True,
        "template_loader": squall.template.DictLoader(
            {
                "home.html": (
                    '<title>FriendFeed - {{ _("Home") }}</title>\n'
                    '<div><img src="{{ static_url("images/logo.png") }}"/></div>'
                )
            }
        ),
    }
    application = squall.web.Application([
        (r"/", MainHandler),
        (r"/login", LoginHandler),
        (r"/(apple-touch-icon\.png)", squall.web.StaticFileHandler,
         dict(path=settings['static_path'])),
    ], **settings)
    return application


def test_spec_static_path_serves_static_prefix(fetch):
    response = fetch("/static/foo.png")
    assert response.code == 200
    assert response.body == PNG
    assert response.headers["Content-Type"] == "image/png"
    # Static files carry no XSRF cookie (it would defeat shared caches).
    assert response.headers.get("Set-Cookie") is None


def test_spec_robots_and_favicon_from_static_path(fetch):
    assert fetch("/robots.txt").body == b"User-agent: *\nDisallow:\n"
    assert fetch("/favicon.ico").body == b"\x00\x00\x01\x00icon"


def test_spec_apple_touch_icon_with_capture_group(fetch):
    response = fetch("/apple-touch-icon.png")
    assert response.code == 200
    assert response.body == b"\x89PNGapple"


def test_spec_static_url_in_template_versions_the_url(fetch):
    body = fetch("/").body.decode()
    assert "<title>FriendFeed - Home</title>" in body
    expected = "/static/images/logo.png?v=" + hashlib.md5(LOGO).hexdigest()
    assert f'<div><img src="{expected}"/></div>' in body
    # The versioned URL is cached for a long time by the browser.
    response = fetch(expected)
    assert response.body == LOGO
    assert response.headers["Cache-Control"] == f"max-age={86400 * 365 * 10}"
    expires = email.utils.parsedate_to_datetime(response.headers["Expires"])
    assert expires > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3600)
    # Without v: no long cache.
    plain = fetch("/static/images/logo.png")
    assert "Cache-Control" not in plain.headers
    assert "Expires" not in plain.headers


def test_unknown_static_file_is_404(fetch):
    assert fetch("/static/nope.png").code == 404
    assert fetch("/static/images/nope.png").code == 404


# --- content types, HEAD, validators --------------------------------------------------


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("style.css", "text/css"),
        ("text.txt", "text/plain"),
        ("foo.png", "image/png"),
        ("archive.tar.gz", "application/gzip"),
        ("data.unknownext", "application/octet-stream"),
        ("sub/index.html", "text/html"),
    ],
)
def test_content_type(fetch, name, content_type):
    assert fetch("/static/" + name).headers["Content-Type"] == content_type


def test_head_has_headers_and_no_body(fetch):
    response = fetch("/static/foo.png", method="HEAD")
    assert response.code == 200
    assert response.body == b""
    assert response.headers["Content-Length"] == str(len(PNG))
    assert response.headers["Etag"] == '"' + hashlib.md5(PNG).hexdigest() + '"'
    assert response.headers["Accept-Ranges"] == "bytes"


def test_empty_file(fetch):
    response = fetch("/static/empty.txt")
    assert response.code == 200
    assert response.body == b""
    assert response.headers["Content-Length"] == "0"


def test_last_modified_and_if_modified_since(fetch, site):
    path = site / "static" / "text.txt"
    mtime = 1_600_000_000
    os.utime(path, (mtime, mtime))
    response = fetch("/static/text.txt")
    assert email.utils.parsedate_to_datetime(response.headers["Last-Modified"]).timestamp() == mtime
    same = email.utils.formatdate(mtime, usegmt=True)
    later = email.utils.formatdate(mtime + 60, usegmt=True)
    earlier = email.utils.formatdate(mtime - 60, usegmt=True)
    not_modified = fetch("/static/text.txt", headers={"If-Modified-Since": same})
    assert not_modified.code == 304
    assert not_modified.body == b""
    assert fetch("/static/text.txt", headers={"If-Modified-Since": later}).code == 304
    assert fetch("/static/text.txt", headers={"If-Modified-Since": earlier}).code == 200
    garbage = fetch("/static/text.txt", headers={"If-Modified-Since": "not a date at all"})
    assert garbage.code == 200 and garbage.body == TEXT


def test_etag_and_if_none_match(fetch):
    etag = fetch("/static/text.txt").headers["Etag"]
    assert etag == '"' + hashlib.md5(TEXT).hexdigest() + '"'
    for value in (etag, "W/" + etag, f'"other", {etag}', "*"):
        response = fetch("/static/text.txt", headers={"If-None-Match": value})
        assert response.code == 304, value
        assert response.body == b""
        assert response.headers["Etag"] == etag
    assert fetch("/static/text.txt", headers={"If-None-Match": '"other"'}).code == 200


def test_if_none_match_beats_if_modified_since(fetch):
    future = email.utils.formatdate(time.time() + 3600, usegmt=True)
    response = fetch(
        "/static/text.txt", headers={"If-None-Match": '"stale"', "If-Modified-Since": future}
    )
    assert response.code == 200
    assert response.body == TEXT


# --- ranges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=0-9", 0, 10),
        ("bytes=5-", 5, 20),
        ("bytes=-5", 15, 20),
        ("bytes=3-1000", 3, 20),
        ("bytes=19-19", 19, 20),
    ],
)
def test_single_range_is_206(fetch, header, start, end):
    response = fetch("/static/text.txt", headers={"Range": header})
    assert response.code == 206
    assert response.body == TEXT[start:end]
    assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/20"
    assert response.headers["Content-Length"] == str(end - start)


@pytest.mark.parametrize("header", ["bytes=-99999999999", "bytes=0-", "bytes=0-19", "bytes=0-99"])
def test_range_covering_the_file_is_200(fetch, header):
    response = fetch("/static/text.txt", headers={"Range": header})
    assert response.code == 200
    assert response.body == TEXT


@pytest.mark.parametrize("header", ["bytes=20-", "bytes=100-200", "bytes=5-1", "bytes=-0"])
def test_unsatisfiable_range_is_416(fetch, header):
    response = fetch("/static/text.txt", headers={"Range": header})
    assert response.code == 416
    assert response.headers["Content-Range"] == "bytes */20"
    assert TEXT not in response.body


@pytest.mark.parametrize(
    "header",
    [
        "bytes=\u0661-\u0662",  # Arabic-Indic digits are not HTTP digits
        "bytes=0-1,3-4",  # several ranges: not supported, whole file
        "items=0-5",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
    ],
)
async def test_unusable_range_is_ignored(raw_request, header):
    request = f"GET /static/text.txt HTTP/1.1\r\nHost: x\r\nRange: {header}\r\n\r\n"
    reply = await raw_request(request.encode("utf-8"))
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.endswith(TEXT)


def test_range_with_head(fetch):
    response = fetch("/static/text.txt", method="HEAD", headers={"Range": "bytes=2-5"})
    assert response.code == 206
    assert response.body == b""
    assert response.headers["Content-Length"] == "4"


def test_if_range(fetch):
    etag = fetch("/static/text.txt").headers["Etag"]
    current = fetch("/static/text.txt", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert current.code == 206 and current.body == TEXT[:2]
    stale = fetch("/static/text.txt", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.code == 200 and stale.body == TEXT


# --- paths that must never reach a file outside the root ---------------------------------

TRAVERSALS = [
    "/static/../secret.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/%2E%2E%2Fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/sub%2f..%2f..%2fsecret.txt",
    "/static/images/%2e%2e/%2e%2e/secret.txt",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/%2f%2fetc/passwd",
    "/static/" + "%2e%2e%2f" * 12 + "etc/passwd",
    "/static/..%5csecret.txt",
    "/static/sub%5c..%5c..%5csecret.txt",
    "/static/text.txt%00.png",
    "/static/%00",
    "/static/link-out.txt",
    "/static/dir-out/secret2.txt",
    "/static/dir-out/",
    "/static/" + "%2e%2e/" * 3 + "secret.txt",
    "/favicon.ico/../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
async def test_path_traversal_is_refused(raw_request, target):
    reply = await raw_request(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1"))
    status = int(reply.split(b" ", 2)[1])
    assert status in (400, 403, 404), reply[:200]
    assert SECRET not in reply
    assert b"root:" not in reply


async def test_raw_backslash_in_target_is_refused(raw_request):
    reply = await raw_request(b"GET /static/..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    assert int(reply.split(b" ", 2)[1]) in (400, 403, 404)
    assert SECRET not in reply


def test_symlink_inside_root_is_served(fetch):
    assert fetch("/static/link-in.txt").body == TEXT


def test_directory_without_default_filename_is_403(fetch):
    assert fetch("/static/sub").code == 403
    assert fetch("/static/sub/").code == 403
    assert fetch("/static/").code == 403


def test_symlinks_outside_root_can_be_allowed(site, serve):
    class Trusting(StaticFileHandler):
        allow_symlinks_outside_root = True

    fetch = serve(Application([(r"/f/(.*)", Trusting, {"path": str(site / "static")})]))
    assert fetch("/f/link-out.txt").body == SECRET
    # A plain ../ escape is still refused.
    assert fetch("/f/%2e%2e/secret.txt").code == 403


# --- default_filename and the directory redirect -----------------------------------------


class LenientPaths(StaticFileHandler):
    """A custom mapping that drops leading slashes from the URL path."""

    def parse_url_path(self, url_path):
        return url_path.lstrip("/")


def test_default_filename_and_directory_redirect(site, serve):
    fetch = serve(
        Application(
            [
                (r"/docs/(.*)", StaticFileHandler,
                 {"path": str(site / "static"), "default_filename": "index.html"}),
                (r"/(.*)", LenientPaths,
                 {"path": str(site / "static"), "default_filename": "index.html"}),
            ]
        )
    )
    redirect = fetch("/docs/sub")
    assert redirect.code == 301
    assert redirect.headers["Location"] == "/docs/sub/"
    assert fetch("/docs/sub/").body == b"<p>sub index</p>"
    assert fetch("/docs/sub/page.txt").body == b"page"
    # A path starting with // would redirect to a protocol-relative URL
    # (another host): refused (CVE-2023-28370).
    evil = fetch("//sub")
    assert evil.code == 403
    assert "Location" not in evil.headers
    assert fetch("/sub").headers["Location"] == "/sub/"


def test_static_handler_class_and_args_settings(site, serve):
    class Custom(StaticFileHandler):
        def set_extra_headers(self, path):
            self.set_header("X-Static", path)

    fetch = serve(
        Application(
            static_path=str(site / "static"),
            static_url_prefix="/assets/",
            static_handler_class=Custom,
            static_handler_args={"default_filename": "index.html"},
        )
    )
    response = fetch("/assets/sub/")
    assert response.body == b"<p>sub index</p>"
    assert response.headers["X-Static"] == "sub/"
    assert fetch("/robots.txt").headers["X-Static"] == "robots.txt"
    assert fetch("/static/foo.png").code == 404


# --- static_url -----------------------------------------------------------------------------


class UrlHandler(RequestHandler):
    def get(self):
        path = self.get_argument("path")
        host = self.get_argument("host", None)
        self.write(self.static_url(path, include_host=bool(host) if host else None))


def test_static_url_versions_and_cache(site, serve, caplog):
    fetch = serve(Application([(r"/url", UrlHandler)], static_path=str(site / "static")))
    css = site / "static" / "style.css"
    first = fetch("/url?path=style.css").body.decode()
    assert first == "/static/style.css?v=" + hashlib.md5(css.read_bytes()).hexdigest()
    css.write_bytes(b"body { color: white }")
    # Hashes are cached per process ...
    assert fetch("/url?path=style.css").body.decode() == first
    # ... until reset() (what a restart does).
    StaticFileHandler.reset()
    second = fetch("/url?path=style.css").body.decode()
    assert second != first
    assert second == "/static/style.css?v=" + hashlib.md5(css.read_bytes()).hexdigest()
    assert fetch("/url?path=a%20b.css").body.decode() == "/static/a%20b.css"
    port = fetch.port
    assert fetch("/url?path=style.css&host=1").body.decode() == f"http://127.0.0.1:{port}{second}"


def test_static_url_for_missing_file_logs_and_has_no_version(site, serve, caplog):
    fetch = serve(Application([(r"/url", UrlHandler)], static_path=str(site / "static")))
    with caplog.at_level(logging.ERROR, logger="squall.general"):
        assert fetch("/url?path=missing.js").body.decode() == "/static/missing.js"
    assert any("missing.js" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("settings", [{"static_hash_cache": False}, {"debug": True, "autoreload": False}])
def test_static_hash_cache_off(site, serve, settings):
    fetch = serve(Application([(r"/url", UrlHandler)], static_path=str(site / "static"), **settings))
    css = site / "static" / "style.css"
    first = fetch("/url?path=style.css").body.decode()
    css.write_bytes(b"changed")
    assert fetch("/url?path=style.css").body.decode() == "/static/style.css?v=" + hashlib.md5(b"changed").hexdigest()
    assert first != "/static/style.css?v=" + hashlib.md5(b"changed").hexdigest()


def test_make_static_url_and_get_version_overridable(site, serve):
    class Versioned(StaticFileHandler):
        @classmethod
        def get_version(cls, settings, path):
            return "release-7"

    class CdnUrls(StaticFileHandler):
        @classmethod
        def make_static_url(cls, settings, path, include_version=True):
            return "https://cdn.example/" + path + ("?rev=1" if include_version else "")

    templates = squall.template.DictLoader({"t.html": "{{ static_url('style.css') }}"})

    class Render(RequestHandler):
        def get(self):
            self.render("t.html")

    for handler_class, expected in ((Versioned, "/static/style.css?v=release-7"),
                                    (CdnUrls, "https://cdn.example/style.css?rev=1")):
        fetch = serve(
            Application(
                [(r"/t", Render)],
                static_path=str(site / "static"),
                static_handler_class=handler_class,
                template_loader=templates,
            )
        )
        assert fetch("/t").body.decode() == expected

    class NoVersion(RequestHandler):
        def get(self):
            self.write(self.static_url("style.css", include_version=False))

    fetch = serve(Application([(r"/", NoVersion)], static_path=str(site / "static")))
    assert fetch("/").body.decode() == "/static/style.css"


# --- overriding the content source and headers ---------------------------------------------

MEMORY_FILES = {"hello.txt": b"hello from memory", "data.json": b'{"a": 1}'}


class MemoryHandler(StaticFileHandler):
    """Files from a dict: every documented content hook overridden."""

    @classmethod
    def get_absolute_path(cls, root, path):
        return "mem:" + path

    def validate_absolute_path(self, root, absolute_path):
        if absolute_path[4:] not in MEMORY_FILES:
            raise squall.web.HTTPError(404)
        return absolute_path

    @classmethod
    def get_content(cls, abspath, start=None, end=None):
        return MEMORY_FILES[abspath[4:]][start:end]

    @classmethod
    def get_content_version(cls, abspath):
        return "v-" + str(len(MEMORY_FILES[abspath[4:]]))

    def get_content_size(self):
        return len(MEMORY_FILES[self.absolute_path[4:]])

    def get_modified_time(self):
        return datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)

    def get_content_type(self):
        return "application/json" if self.absolute_path.endswith(".json") else "text/plain"

    def get_cache_time(self, path, modified, mime_type):
        return 60

    def parse_url_path(self, url_path):
        return url_path.replace("-", ".")


class NoEtag(StaticFileHandler):
    def compute_etag(self):
        return None


def test_content_hooks_overridden(site, serve):
    fetch = serve(
        Application(
            [
                (r"/mem/(.*)", MemoryHandler, {"path": "unused"}),
                (r"/noetag/(.*)", NoEtag, {"path": str(site / "static")}),
            ]
        )
    )
    response = fetch("/mem/hello-txt")
    assert response.body == b"hello from memory"
    assert response.headers["Etag"] == '"v-17"'
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["Cache-Control"] == "max-age=60"
    assert response.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert fetch("/mem/data-json").headers["Content-Type"] == "application/json"
    assert fetch("/mem/hello-txt", headers={"Range": "bytes=6-9"}).body == b"from"
    assert fetch("/mem/hello-txt", headers={"If-None-Match": '"v-17"'}).code == 304
    assert fetch("/mem/nope").code == 404
    plain = fetch("/noetag/text.txt")
    assert plain.body == TEXT and "Etag" not in plain.headers


# --- big files: streamed in pieces, memory stays bounded -----------------------------------

BIG = 200 * 2**20


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def big_file(site):
    path = site / "static" / "big.bin"
    with open(path, "wb") as f:
        f.truncate(BIG)  # sparse: no disk space, reads as zeros
    return path


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
@pytest.mark.squall_timeout(60)
# The client refuses bodies over 100 MiB by default; this one takes the whole file.
@pytest.mark.parametrize("http_client_options", [{"max_body_size": BIG}], ids=["client-takes-200MiB"])
async def test_200_mib_file_streams_with_bounded_memory(big_file, fetch):
    # Hash it first (the Etag) so the measurement is about serving.
    head = await fetch("/static/big.bin", method="HEAD")
    assert head.headers["Content-Length"] == str(BIG)
    baseline = _rss_bytes()
    peak = baseline
    received = 0

    def on_chunk(piece: bytes) -> None:
        nonlocal received, peak
        before = received
        received += len(piece)
        if received // (8 * 2**20) != before // (8 * 2**20):  # every 8 MiB
            peak = max(peak, _rss_bytes())

    response = await fetch("/static/big.bin", streaming_callback=on_chunk)
    assert response.code == 200
    assert received == BIG
    assert peak - baseline < 50 * 2**20, f"RSS grew by {(peak - baseline) / 2**20:.1f} MiB"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
async def test_slow_reader_gets_back_pressure(big_file, http_port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", http_port))
    except BaseException:
        sock.close()
        raise
    # asyncio's reader stops reading the socket once its buffer is full, so
    # an unread response stays in the kernel's buffers and then the server's.
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(b"HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            piece = await reader.read(4096)
            assert piece, "connection closed early"
            head += piece
        baseline = _rss_bytes()
        writer.write(b"GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = 0
        while got < 2**20:
            piece = await reader.read(65536)
            assert piece, "connection closed early"
            got += len(piece)
        # Stop reading (the server keeps running on this loop): a server
        # without back-pressure would now queue the rest of the file (about
        # 200 MiB) in memory.
        await asyncio.sleep(0.5)
        grown = _rss_bytes() - baseline
        assert grown < 50 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB while the client paused"
    finally:
        writer.close()
        await writer.wait_closed()


hash_gate = threading.Event()


class SlowHash(StaticFileHandler):
    """Hashing that takes until the test says so (a stand-in for a huge file)."""

    @classmethod
    def get_content_version(cls, abspath):
        assert hash_gate.wait(10), "the test never released the hash"
        return super().get_content_version(abspath)


async def test_hashing_a_big_file_does_not_block_other_requests(site, serve):
    with open(site / "static" / "eight.bin", "wb") as f:
        f.truncate(8 * 2**20)
    hash_gate.clear()
    fetch = serve(
        Application(
            [(r"/slow/(.*)", SlowHash, {"path": str(site / "static")})],
            static_path=str(site / "static"),
        )
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", fetch.port)
    try:
        writer.write(b"GET /slow/eight.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)  # let the server start hashing
        # If hashing ran on the event loop, this would wait for the gate
        # (and time out): it is served while the hash is still pending.
        response = await fetch("/static/text.txt", request_timeout=5)
        assert response.body == TEXT
        hash_gate.set()
        head = await reader.read(65536)
        assert head.startswith(b"HTTP/1.1 200 ")
    finally:
        hash_gate.set()  # never leave the hashing thread waiting
        writer.close()
        await writer.wait_closed()
