"""`StaticFileHandler`: files from a directory, with validators, ranges and versioning.

How a request is served (`StaticFileHandler.get`):

1. the URL path is checked for characters that never name a file here
   (NUL, backslash), turned into a file-system path (`parse_url_path`),
   joined to the root (`get_absolute_path`) and checked to stay inside it,
   symlinks resolved (`validate_absolute_path`);
2. the headers are set: ``Etag`` from the content hash, ``Last-Modified``,
   ``Content-Type``, cache lifetime (ten years for a versioned ``?v=`` URL);
3. a conditional request gets a 304: ``If-None-Match`` decides alone when
   present, else ``If-Modified-Since`` (RFC 9110 section 13.2.2);
4. one ``Range`` (``a-b``, ``a-``, ``-n``) gets a 206, or a 416 if it lies
   beyond the file; anything else (several ranges, non-ASCII digits) is
   ignored and the whole file sent;
5. the body is read in `CHUNK_SIZE` pieces, each flushed and awaited so a
   slow client holds at most about one piece in memory.

The class methods (`get_absolute_path`, `get_content`, `get_version`,
`make_static_url`...) are the extension points; ``static_url()`` in handlers
and templates calls `make_static_url` of the ``static_handler_class``.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import hashlib
import logging
import mimetypes
import os
import re
import stat
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from squall.iostream import StreamClosedError

from ._errors import HTTPError
from ._handler import RequestHandler

__all__ = ["StaticFileHandler"]

gen_log = logging.getLogger("squall.general")

# One byte range, ASCII digits only (int() would accept Arabic-Indic digits,
# which are not digits in HTTP). Bounded so a huge number is not parsed.
_BYTE_RANGE = re.compile(r"bytes=([0-9]{0,40})-([0-9]{0,40})\Z", re.ASCII)
_ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}
_UNSAFE_REDIRECT = ("//", "/\\")
# Content versions of files at least this big are computed off the loop.
_HASH_IN_THREAD = 4 * 2**20
# "Not computed yet" for a content version (None means "unreadable").
_UNKNOWN = "\x00unknown"


def _parse_byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """Interpret a ``Range`` header against a representation of ``size`` bytes.

    Returns:
        ``(start, end)`` (end exclusive) for a satisfiable single range;
        ``"unsatisfiable"`` for a range outside the file or reversed;
        ``None`` when the header is to be ignored (not one byte range).
    """
    match = _BYTE_RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        # RFC 9110 14.1.3: a suffix longer than the file means the whole file.
        return max(size - suffix, 0), size
    start = int(first)
    if last:
        end = int(last) + 1
        if end <= start:
            return "unsatisfiable"
    else:
        end = size
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size)


def _parse_http_date(value: str) -> datetime.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _as_utc(when: datetime.datetime) -> datetime.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=datetime.timezone.utc)
    return when


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


class StaticFileHandler(RequestHandler):
    """Serve the files of a directory.

    Mounted automatically for the ``static_path`` setting (at
    ``static_url_prefix``, ``/static/`` by default, plus ``/robots.txt`` and
    ``/favicon.ico``); mount it yourself with a capturing group that gives
    the file's path relative to ``path``::

        app = Application([
            (r"/(apple-touch-icon\\.png)", StaticFileHandler, dict(path=static_dir)),
            (r"/docs/(.*)", StaticFileHandler,
             dict(path=docs_dir, default_filename="index.html")),
        ])

    Args (to ``initialize``):
        path: the root directory.
        default_filename: a file to serve for a directory URL (e.g.
            ``"index.html"``); a directory URL without its trailing slash
            is redirected to the URL with it.

    Override the class methods to change where files come from
    (`get_absolute_path`, `validate_absolute_path`, `get_content`), how they
    are versioned (`get_content_version`, `get_version`, `make_static_url`,
    `parse_url_path`) or which headers they get (`get_cache_time`,
    `get_modified_time`, `get_content_type`, `set_extra_headers`,
    `compute_etag`).

    Compatibility: a symlink inside the root that points outside it gets a
    403 unless the class attribute `allow_symlinks_outside_root` is true
    (Tornado follows such links). NUL and backslash in the URL path are
    always refused.
    """

    #: Cache lifetime of versioned (``?v=``) URLs: ten years, in seconds.
    CACHE_MAX_AGE: ClassVar[int] = 86400 * 365 * 10
    #: Bytes read and sent per piece.
    CHUNK_SIZE: ClassVar[int] = 64 * 1024
    #: Serve files reached through a symlink that leaves the root.
    allow_symlinks_outside_root: ClassVar[bool] = False

    _sets_xsrf_cookie = False  # a Set-Cookie would make files uncacheable

    _static_hashes: ClassVar[dict[str, str | None]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    root: str
    default_filename: str | None
    path: str
    absolute_path: str | None = None
    modified: datetime.datetime | None = None
    _stat_result: os.stat_result | None = None
    _content_version: str | None = _UNKNOWN

    def initialize(self, path: str, default_filename: str | None = None) -> None:  # type: ignore[override]
        """Store the root directory and the optional default file name."""
        self.root = path
        self.default_filename = default_filename

    @classmethod
    def reset(cls) -> None:
        """Forget every cached content hash (they are recomputed on demand)."""
        with cls._lock:
            cls._static_hashes.clear()

    def head(self, path: str) -> Any:
        """Like `get`, without the body."""
        return self.get(path, include_body=False)

    async def get(self, path: str, include_body: bool = True) -> None:
        """Serve the file at ``path`` (relative to the root)."""
        _check_url_path(path)
        self.path = self.parse_url_path(path)
        absolute_path = self.get_absolute_path(self.root, self.path)
        self.absolute_path = self.validate_absolute_path(self.root, absolute_path)
        if self.absolute_path is None:
            return  # validate_absolute_path answered (a redirect)
        self.modified = self.get_modified_time()
        if self.get_content_size() >= _HASH_IN_THREAD:
            # Hashing a big file takes long (about 0.5 s for 200 MiB); do it
            # in a worker thread so the event loop keeps serving others.
            self._content_version = await asyncio.to_thread(
                self._version_of, self.settings, self.absolute_path
            )
        self.set_headers()
        if self.should_return_304():
            self.set_status(304)
            return
        size = self.get_content_size()
        start, end = 0, size
        range_header = self.request.headers.get("Range")
        if range_header and self._range_applies():
            parsed = _parse_byte_range(range_header, size)
            if parsed == "unsatisfiable":
                self.set_status(416)
                self.set_header("Content-Type", "text/plain")
                self.set_header("Content-Range", f"bytes */{size}")
                return
            if isinstance(parsed, tuple) and parsed != (0, size):
                start, end = parsed
                self.set_status(206)
                self.set_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.set_header("Content-Length", end - start)
        if not include_body or start == end:
            return
        content = self.get_content(self.absolute_path, start, end)
        pieces: Iterable[bytes] = [content] if isinstance(content, bytes) else content
        try:
            for chunk in pieces:
                if chunk:
                    self.write(chunk)
                    await self.flush()
        except StreamClosedError:
            return  # the client left; nothing more to send
        finally:
            close = getattr(content, "close", None)
            if close is not None:
                close()

    def _range_applies(self) -> bool:
        """Whether ``If-Range`` (if any) still matches, so ``Range`` is honoured."""
        if_range = self.request.headers.get("If-Range")
        if not if_range:
            return True
        if_range = if_range.strip()
        if if_range.startswith(('"', "W/")):
            # RFC 9110 13.1.5: strong comparison; a weak tag never matches.
            etag = self._headers.get("Etag")
            return bool(etag) and not if_range.startswith("W/") and if_range == etag
        when = _parse_http_date(if_range)
        return (
            when is not None
            and self.modified is not None
            and _as_utc(self.modified).replace(microsecond=0) == when
        )

    # ------------------------------------------------------------------
    # Headers and validators

    def compute_etag(self) -> str | None:
        """The ``Etag``: the content version hash in quotes (``None`` if unknown)."""
        if self.absolute_path is None:
            return None
        version = self._content_version
        if version is _UNKNOWN:
            version = self._version_of(self.settings, self.absolute_path)
        return f'"{version}"' if version else None

    def set_headers(self) -> None:
        """Set the validators, type and caching headers of the response."""
        self.set_header("Accept-Ranges", "bytes")
        self.set_etag_header()
        if self.modified is not None:
            self.set_header("Last-Modified", self.modified)
        content_type = self.get_content_type()
        if content_type:
            self.set_header("Content-Type", content_type)
        cache_time = self.get_cache_time(self.path, self.modified, content_type)
        if cache_time > 0:
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                seconds=cache_time
            )
            self.set_header("Expires", expires)
            self.set_header("Cache-Control", f"max-age={cache_time}")
        self.set_extra_headers(self.path)

    def should_return_304(self) -> bool:
        """Whether the client's cached copy is current.

        ``If-None-Match`` decides when present; otherwise the file is not
        modified if its time (to the second) is at or before
        ``If-Modified-Since``. A malformed date is ignored.
        """
        headers = self.request.headers
        if "If-None-Match" in headers:
            return self.check_etag_header()
        since = headers.get("If-Modified-Since")
        if since and self.modified is not None:
            when = _parse_http_date(since)
            if when is not None:
                return _as_utc(self.modified).replace(microsecond=0) <= when
        return False

    # ------------------------------------------------------------------
    # Paths

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        """The absolute file-system path of ``path`` under ``root``.

        The result is not checked; `validate_absolute_path` does that.
        """
        return os.path.abspath(os.path.join(root, path))

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        """Check that ``absolute_path`` may be served; return the path to serve.

        A directory is answered with its ``default_filename`` if one is set
        (after redirecting ``/dir`` to ``/dir/``, in which case this returns
        ``None``).

        Raises:
            HTTPError: 403 if the path leaves ``root`` (including through a
                symlink) or is not a regular file; 404 if it does not exist.
        """
        root_abs = os.path.abspath(root)
        if not _inside(absolute_path, root_abs):
            raise HTTPError(403, "%r is outside the static root", self.path[:100])
        try:
            real = os.path.realpath(absolute_path)
            if not self.allow_symlinks_outside_root and not _inside(
                real, os.path.realpath(root_abs)
            ):
                raise HTTPError(403, "%r leads outside the static root", self.path[:100])
            is_dir = os.path.isdir(absolute_path)
        except ValueError:  # e.g. a NUL byte from an overridden path mapping
            raise HTTPError(404) from None
        if is_dir and self.default_filename is not None:
            request_path = self.request.path or ""
            if not request_path.endswith("/"):
                if request_path.startswith(_UNSAFE_REDIRECT):
                    # Never redirect to a protocol-relative URL (CVE-2023-28370).
                    raise HTTPError(403, "refusing to redirect %r", request_path[:100])
                self.redirect(request_path + "/", permanent=True)
                return None
            absolute_path = os.path.join(absolute_path, self.default_filename)
        try:
            st = os.stat(absolute_path)
        except (FileNotFoundError, NotADirectoryError):
            raise HTTPError(404) from None
        except (OSError, ValueError):
            raise HTTPError(404) from None
        if not stat.S_ISREG(st.st_mode):
            raise HTTPError(403, "%r is not a file", self.path[:100])
        self._stat_result = st
        return absolute_path

    def parse_url_path(self, url_path: str) -> str:
        """Turn the URL path (the captured group) into a relative file path."""
        if os.sep != "/":
            url_path = url_path.replace("/", os.sep)
        return url_path

    # ------------------------------------------------------------------
    # Content

    @classmethod
    def get_content(
        cls, abspath: str, start: int | None = None, end: int | None = None
    ) -> bytes | Iterable[bytes]:
        """The file's bytes from ``start`` to ``end`` (exclusive), in pieces.

        Override to serve content from somewhere else; returning one
        `bytes` object is also accepted.
        """
        return _read_pieces(abspath, start, end, cls.CHUNK_SIZE)

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        """A hash of the file's content (used for ``?v=`` and the ``Etag``)."""
        digest = hashlib.md5(usedforsecurity=False)
        content = cls.get_content(abspath)
        if isinstance(content, bytes):
            digest.update(content)
        else:
            for chunk in content:
                digest.update(chunk)
        return digest.hexdigest()

    def _stat(self) -> os.stat_result:
        if self._stat_result is None:
            assert self.absolute_path is not None  # noqa: S101 (set before use)
            self._stat_result = os.stat(self.absolute_path)
        return self._stat_result

    def get_content_size(self) -> int:
        """The size of the file in bytes."""
        return self._stat().st_size

    def get_modified_time(self) -> datetime.datetime | None:
        """The file's modification time (UTC, whole seconds) for ``Last-Modified``."""
        return datetime.datetime.fromtimestamp(int(self._stat().st_mtime), datetime.timezone.utc)

    def get_content_type(self) -> str:
        """The ``Content-Type``, guessed from the file name."""
        assert self.absolute_path is not None  # noqa: S101 (set before use)
        mime_type, encoding = mimetypes.guess_type(self.absolute_path)
        if encoding is not None:
            # foo.tar.gz is a gzip file to the browser, not a tar to unpack.
            return _ENCODING_TYPES.get(encoding, "application/octet-stream")
        return mime_type or "application/octet-stream"

    def set_extra_headers(self, path: str) -> None:
        """Hook to add headers to every file response."""

    def get_cache_time(
        self, path: str, modified: datetime.datetime | None, mime_type: str
    ) -> int:
        """Seconds the client may cache the file: `CACHE_MAX_AGE` for ``?v=`` URLs, else 0."""
        return self.CACHE_MAX_AGE if "v" in self.request.arguments else 0

    # ------------------------------------------------------------------
    # Versioned URLs

    @classmethod
    def make_static_url(cls, settings: dict[str, Any], path: str, include_version: bool = True) -> str:
        """The URL of static file ``path``: prefix, quoted path and ``?v=<hash>``.

        The version is left out if the file cannot be read (that is logged).

        Args:
            settings: the application settings (``static_path``,
                ``static_url_prefix``, ``static_hash_cache``).
            path: the file's path relative to ``static_path``.
            include_version: add the ``v`` argument.
        """
        prefix: str = settings.get("static_url_prefix", "/static/")
        url = prefix + urllib.parse.quote(path)
        if not include_version:
            return url
        version = cls.get_version(settings, path)
        return f"{url}?v={version}" if version else url

    @classmethod
    def get_version(cls, settings: dict[str, Any], path: str) -> str | None:
        """The content hash of static file ``path``, or ``None`` if unreadable.

        Hashes are cached per process unless ``static_hash_cache`` is false
        (the default in ``debug`` mode); `reset` clears the cache.
        """
        absolute_path = cls.get_absolute_path(settings["static_path"], path)
        return cls._version_of(settings, absolute_path)

    @classmethod
    def _version_of(cls, settings: dict[str, Any], absolute_path: str) -> str | None:
        if not settings.get("static_hash_cache", True):
            return cls._compute_version(absolute_path)
        return cls._get_cached_version(absolute_path)

    @classmethod
    def _get_cached_version(cls, abs_path: str) -> str | None:
        hashes = cls._static_hashes
        with cls._lock:
            if abs_path in hashes:
                return hashes[abs_path]
        # Hash without holding the lock: a worker thread hashing a big file
        # must not make the event loop wait for the lock on other files.
        version = cls._compute_version(abs_path)
        with cls._lock:
            return hashes.setdefault(abs_path, version)

    @classmethod
    def _compute_version(cls, abs_path: str) -> str | None:
        try:
            return cls.get_content_version(abs_path)
        except (OSError, ValueError):
            gen_log.error("could not open static file %r to hash it", abs_path[-200:])
            return None


def _check_url_path(path: str) -> None:
    """Refuse URL paths that can only be attacks on this server's files."""
    if "\x00" in path or "\\" in path:
        # NUL truncates paths in C code; a backslash is a separator on Windows.
        raise HTTPError(403, "refusing a static path with NUL or backslash: %r", path[:100])


def _read_pieces(abspath: str, start: int | None, end: int | None, size: int) -> Iterator[bytes]:
    with open(abspath, "rb") as file:
        if start:
            file.seek(start)
        remaining = None if end is None else end - (start or 0)
        while remaining is None or remaining > 0:
            piece = file.read(size if remaining is None else min(size, remaining))
            if not piece:
                return
            if remaining is not None:
                remaining -= len(piece)
            yield piece
