"""Response compression (compress_response / gzip) and custom output transforms."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from squall.web import (
    Application,
    GZipContentEncoding,
    OutputTransform,
    RequestHandler,
    StaticFileHandler,
)

BIG_TEXT = ("squall compresses text. " * 200).encode()  # ~4.8 KiB
SMALL_TEXT = b"short and sweet"


class Text(RequestHandler):
    def get(self):
        size = self.get_argument("size", "big")
        self.write(BIG_TEXT if size == "big" else SMALL_TEXT)

    head = get


class Typed(RequestHandler):
    def get(self, kind):
        types = {
            "png": "image/png",
            "zip": "application/zip",
            "json": "application/json; charset=UTF-8",
            "svg": "image/svg+xml",
            "js": "application/javascript",
        }
        self.set_header("Content-Type", types[kind])
        self.write(BIG_TEXT)


class AlreadyEncoded(RequestHandler):
    def get(self):
        self.set_header("Content-Encoding", "br")
        self.write(BIG_TEXT)


class NoContent(RequestHandler):
    def get(self):
        self.set_status(204)


class WithVary(RequestHandler):
    def get(self):
        self.set_header("Vary", "Cookie")
        self.write(BIG_TEXT)


flushed_parts: list[bytes] = [b"first part " * 50, b"second part " * 50, b"third"]


class Flushing(RequestHandler):
    async def get(self):
        for part in flushed_parts:
            self.write(part)
            await self.flush()


released: dict[str, asyncio.Future[None]] = {}


class WaitsAfterFirstFlush(RequestHandler):
    async def get(self):
        # Created before anything is sent, so the client always finds it.
        future = released["gate"] = asyncio.get_running_loop().create_future()
        self.write(b"early " * 10)
        await self.flush()
        await asyncio.wait_for(future, 10)
        self.write(b"late")


@pytest.fixture
def app(tmp_path):
    (tmp_path / "page.css").write_bytes(BIG_TEXT)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG" + BIG_TEXT)
    return Application(
        [
            (r"/text", Text),
            (r"/typed/(\w+)", Typed),
            (r"/encoded", AlreadyEncoded),
            (r"/nocontent", NoContent),
            (r"/vary", WithVary),
            (r"/flushing", Flushing),
            (r"/gate", WaitsAfterFirstFlush),
        ],
        compress_response=True,
        static_path=str(tmp_path),
    )


GZIP = {"Accept-Encoding": "gzip"}


def test_large_text_is_gzipped(fetch):
    response = fetch("/text", headers=GZIP)
    assert response.code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Length"] == str(len(response.body))
    assert len(response.body) < len(BIG_TEXT)
    assert gzip.decompress(response.body) == BIG_TEXT


def test_small_text_is_not_gzipped(fetch):
    response = fetch("/text?size=small", headers=GZIP)
    assert "Content-Encoding" not in response.headers
    assert response.body == SMALL_TEXT
    assert response.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "accept, compressed",
    [
        (None, False),
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=0, *", False),
        ("*", True),
        ("*;q=0.1", True),
        ("*;q=0", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzipper", False),
        ("identity;q=1, gzip;q=bogus", False),
    ],
)
def test_accept_encoding_is_parsed(fetch, accept, compressed):
    headers = {"Accept-Encoding": accept} if accept is not None else {"Accept-Encoding": ""}
    response = fetch("/text", headers=headers)
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed
    body = gzip.decompress(response.body) if compressed else response.body
    assert body == BIG_TEXT


@pytest.mark.parametrize("kind, compressed", [
    ("png", False), ("zip", False), ("json", True), ("svg", True), ("js", True),
])
def test_only_compressible_types(fetch, kind, compressed):
    response = fetch(f"/typed/{kind}", headers=GZIP)
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed
    assert ("Accept-Encoding" in (response.headers.get("Vary") or "")) is compressed


def test_existing_content_encoding_untouched(fetch):
    response = fetch("/encoded", headers=GZIP)
    assert response.headers["Content-Encoding"] == "br"
    assert response.body == BIG_TEXT


def test_no_content_and_not_modified(fetch):
    assert fetch("/nocontent", headers=GZIP).code == 204
    etag = fetch("/text", headers=GZIP).headers["Etag"]
    # The compressed representation's tag is weak; it still validates.
    assert etag.startswith('W/"')
    response = fetch("/text", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert response.code == 304
    assert response.body == b""
    assert "Content-Encoding" not in response.headers


def test_existing_vary_is_extended(fetch):
    assert fetch("/vary", headers=GZIP).headers["Vary"] == "Cookie, Accept-Encoding"


def test_static_file_gzip_and_ranges(fetch):
    whole = fetch("/static/page.css", headers=GZIP)
    assert whole.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(whole.body) == BIG_TEXT
    ranged = fetch("/static/page.css", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert ranged.code == 206
    assert "Content-Encoding" not in ranged.headers
    assert ranged.body == BIG_TEXT[:100]
    png = fetch("/static/logo.png", headers=GZIP)
    assert "Content-Encoding" not in png.headers


def test_head_is_not_given_a_body(fetch):
    response = fetch("/text", method="HEAD", headers=GZIP)
    assert response.code == 200
    assert response.body == b""
    assert response.headers["Content-Encoding"] == "gzip"


async def test_flushed_response_is_chunked_and_gzipped(raw_request):
    reply = await raw_request(b"GET /flushing HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b"Content-Encoding: gzip" in head
    assert b"Content-Length" not in head
    assert gzip.decompress(_dechunk(body)) == b"".join(flushed_parts)


async def test_flushed_part_reaches_the_client_before_the_end(http_port):
    """Each flush pushes decodable gzip data out (sync flush), not just at the end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    try:
        writer.write(b"GET /gate HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        data = b""
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        text = b""
        while b"early " * 10 not in text:
            chunk = await reader.read(65536)
            assert chunk, "connection closed early"
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                text = decompressor.decompress(_dechunk(body, partial=True))
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert b"Content-Encoding: gzip" in head
        # The handler is still waiting: release it and read the rest.
        released["gate"].set_result(None)
        while not data.endswith(b"0\r\n\r\n"):
            chunk = await reader.read(65536)
            assert chunk, "connection closed early"
            data += chunk
    finally:
        writer.close()
        await writer.wait_closed()
    body = data.partition(b"\r\n\r\n")[2]
    assert gzip.decompress(_dechunk(body)) == b"early " * 10 + b"late"


def _dechunk(body: bytes, partial: bool = False) -> bytes:
    out = b""
    while body:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        if len(rest) < size + 2:
            if partial:
                break
            raise AssertionError("truncated chunk")
        out += rest[:size]
        body = rest[size + 2:]
    return out


@pytest.mark.parametrize("settings", [{"gzip": True}, {"compress_response": True}])
def test_settings_turn_compression_on(serve, settings):
    fetch = serve(Application([(r"/text", Text)], **settings))
    assert fetch("/text", headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_off_by_default(serve):
    fetch = serve(Application([(r"/text", Text)]))
    response = fetch("/text", headers=GZIP)
    assert "Content-Encoding" not in response.headers
    assert "Vary" not in response.headers


async def test_http10_client_gets_identity(raw_request):
    reply = await raw_request(b"GET /text HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"Content-Encoding" not in head
    assert body == BIG_TEXT


# --- custom transforms ----------------------------------------------------------------

calls: list[tuple] = []


class Shout(OutputTransform):
    """Upper-cases the body and records how it was called."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        calls.append(("first", status_code, chunk, finishing))
        headers["X-Shouted"] = "yes"
        headers.pop("Content-Length", None)
        return status_code, headers, chunk.upper()

    def transform_chunk(self, chunk, finishing):
        calls.append(("chunk", chunk, finishing))
        return chunk.upper()


class Parts(RequestHandler):
    async def get(self):
        self.write("one ")
        await self.flush()
        self.write("two")


class Whole(RequestHandler):
    def get(self):
        self.write("all at once")


def test_custom_output_transform(serve):
    fetch = serve(Application([(r"/parts", Parts), (r"/whole", Whole)], transforms=[Shout]))
    calls.clear()
    response = fetch("/parts")
    assert response.body == b"ONE TWO"
    assert response.headers["X-Shouted"] == "yes"
    assert calls == [("first", 200, b"one ", False), ("chunk", b"two", True)]
    calls.clear()
    assert fetch("/whole").body == b"ALL AT ONCE"
    assert calls == [("first", 200, b"all at once", True)]


def test_transforms_and_compression_together(serve):
    fetch = serve(
        Application([(r"/text", Text)], transforms=[Shout], compress_response=True)
    )
    response = fetch("/text", headers=GZIP)
    assert gzip.decompress(response.body) == BIG_TEXT.upper()
    assert response.headers["X-Shouted"] == "yes"


def test_gzip_transform_class_is_public():
    assert issubclass(GZipContentEncoding, OutputTransform)
    assert GZipContentEncoding.MIN_LENGTH == 1024
    assert StaticFileHandler.CACHE_MAX_AGE == 86400 * 365 * 10
