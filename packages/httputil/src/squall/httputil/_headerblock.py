"""HeaderBlock: response header fields checked and encoded once, sent many times."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from ._errors import HTTPOutputError, _snippet
from ._headers import HTTPHeaders, _normalize_name

__all__ = ["HeaderBlock"]

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# A field value: HTAB, SP, visible ASCII and obs-text (RFC 9110 section 5.5);
# no CR, LF, NUL, DEL or other control.
_VALUE_RE = re.compile(r"[\t\x20-\x7e\x80-\xff]*\Z")
# Fields that decide the message framing or the connection's fate: the
# connection must see them, so they may not hide in a block.
_FRAMING = frozenset(("Content-Length", "Transfer-Encoding", "Connection"))


class HeaderBlock:
    """Response header fields validated and encoded once, to be sent verbatim.

    A framework that sends the same fields with most responses (``Server``,
    a default ``Content-Type``) builds one `HeaderBlock` for them and passes
    it to ``HTTPConnection.write_headers_with_block``; the server appends
    the block's bytes to the head as they are, without checking the fields
    again. Every check happens here, once: names must be tokens, values
    Latin-1 text without CR, LF, NUL or other controls (HTAB is allowed).

    The fields that decide how the body is framed and whether the
    connection stays open (``Content-Length``, ``Transfer-Encoding``,
    ``Connection``) are refused: they go in the ordinary headers, where the
    connection reads them. A ``Date`` field in a block is sent as it is and
    stops the server from adding its own (so it goes stale; usually leave
    ``Date`` to the server).

    A block is immutable and may be shared by any number of responses and
    connections. Blocks compare by identity: build each one once (at
    start-up, or cached by the framework) and reuse it, which is also what
    makes it cheap.

    Example:
        >>> block = HeaderBlock([("Server", "demo"), ("Content-Type", "text/plain")])
        >>> bytes(block)
        b'Server: demo\\r\\nContent-Type: text/plain\\r\\n'
        >>> "content-type" in block, len(block)
        (True, 2)

    Args:
        fields: ``(name, value)`` pairs, a mapping of names to values, or
            an `HTTPHeaders` (every value of a repeated field is kept).
            Names are normalised to Http-Header-Case, as in `HTTPHeaders`.

    Raises:
        HTTPOutputError: On a name that is not a token, a value with a
            control character or that is not Latin-1 text, or a framing
            field (see above).
        TypeError: If a name or value is not a ``str``.
    """

    __slots__ = ("_data", "_pairs", "_names", "_has_date", "_line_count")

    def __init__(
        self, fields: Iterable[tuple[str, str]] | Mapping[str, str] | HTTPHeaders
    ) -> None:
        items: Iterable[tuple[str, str]]
        if isinstance(fields, HTTPHeaders):
            items = list(fields.get_all())
        elif isinstance(fields, Mapping):
            items = list(fields.items())
        else:
            items = list(fields)
        pairs: list[tuple[str, str]] = []
        for name, value in items:
            if type(name) is not str or type(value) is not str:
                raise TypeError(
                    "HeaderBlock fields are (str, str) pairs, got "
                    f"({type(name).__name__}, {type(value).__name__})"
                )
            if _TOKEN_RE.match(name) is None:
                raise HTTPOutputError(f"invalid header name: {_snippet(name)}")
            norm = _normalize_name(name)
            if norm in _FRAMING:
                raise HTTPOutputError(
                    f"{norm} decides the message framing; pass it in the "
                    "ordinary headers, not in a HeaderBlock"
                )
            if _VALUE_RE.match(value) is None:
                raise HTTPOutputError(
                    f"CR, LF, NUL or another control character (or a character "
                    f"outside Latin-1) in the value of {norm}: {_snippet(value)}"
                )
            pairs.append((norm, value))
        self._pairs = tuple(pairs)
        self._names = frozenset(name for name, _ in pairs)
        self._has_date = "Date" in self._names
        self._line_count = len(pairs)
        self._data = "".join(f"{name}: {value}\r\n" for name, value in pairs).encode("latin-1")

    def __bytes__(self) -> bytes:
        """The encoded field lines, each ending in CRLF."""
        return self._data

    def __contains__(self, name: object) -> bool:
        """Whether the block has a field ``name`` (case-insensitive)."""
        return isinstance(name, str) and _normalize_name(name) in self._names

    def __len__(self) -> int:
        """The number of field lines."""
        return self._line_count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield the ``(name, value)`` pairs in order."""
        return iter(self._pairs)

    @property
    def names(self) -> frozenset[str]:
        """The block's field names, in Http-Header-Case."""
        return self._names

    def __repr__(self) -> str:
        return f"HeaderBlock({list(self._pairs)!r})"
