"""HTTPHeaders: a case-insensitive, multi-valued mapping of HTTP header fields."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from ._errors import HTTPInputError, _snippet

__all__ = ["HTTPHeaders"]

# RFC 9110 section 5.6.2: token = 1*tchar.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# A field value may hold visible ASCII, SP, HTAB and obs-text; never CR, LF, NUL
# or other controls (RFC 9110 section 5.5).
_BAD_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


# Names seen recently -> their normalised form. A plain dict lookup is the
# cheapest thing on the per-header hot path; the size bound keeps hostile
# input from growing it without limit.
_NORMALIZED: dict[str, str] = {}
_NORMALIZED_MAX = 2048


def _normalize_name(name: str) -> str:
    """Return ``name`` in Http-Header-Case (``content-type`` -> ``Content-Type``).

    Only ``-`` separates words: ``_`` is kept, so ``Transfer_Encoding`` stays
    a different field from ``Transfer-Encoding``.
    """
    norm = _NORMALIZED.get(name)
    if norm is None:
        norm = "-".join(word.capitalize() for word in name.split("-"))
        if len(_NORMALIZED) < _NORMALIZED_MAX:
            _NORMALIZED[name] = norm
    return norm


# HTTPHeaders.__new__ without __init__, to wrap a dict of normalised fields
# (see from_pairs, and _codec_recv).
_new_headers = object.__new__


class HTTPHeaders(MutableMapping[str, str]):
    """A dictionary of HTTP headers that keeps every value of a repeated field.

    Names are case-insensitive and are stored in Http-Header-Case. Indexing
    returns all values of a field joined by ``","``; `add` appends a value,
    `get_list` returns the values as a list and `get_all` yields every
    ``(name, value)`` pair. Storage is one list per name, so adding many
    values of the same field costs linear time.

    Example:
        >>> h = HTTPHeaders({"content-type": "text/html"})
        >>> h.add("Set-Cookie", "A=B")
        >>> h.add("Set-Cookie", "C=D")
        >>> h["set-cookie"]
        'A=B,C=D'
        >>> h.get_list("set-cookie")
        ['A=B', 'C=D']

    Args:
        *args: As for ``dict``: a mapping (an `HTTPHeaders` is copied with
            all its values) or an iterable of ``(name, value)`` pairs.
        **kwargs: More fields, as for ``dict``.
    """

    __slots__ = ("_dict",)

    def __init__(self, *args: Any, **kwargs: str) -> None:
        d: dict[str, list[str]] = {}
        self._dict = d
        if not args and not kwargs:
            return
        if len(args) == 1 and not kwargs:
            arg = args[0]
            # A plain dict first: isinstance() against this ABC-derived class
            # costs more than the whole copy of a small dict.
            if type(arg) is dict:
                cache = _NORMALIZED
                for name, value in arg.items():
                    d[cache.get(name) or _normalize_name(name)] = [value]
                return
            if isinstance(arg, HTTPHeaders):
                for name, values in arg._dict.items():
                    d[name] = list(values)
                return
        self.update(*args, **kwargs)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> HTTPHeaders:
        """Build headers from ``(name, value)`` pairs, fast.

        The quickest way to make a response's headers: one pass, no
        `MutableMapping` machinery. A name given more than once keeps every
        value, in order (as `add` would). Names are normalised to
        Http-Header-Case; like the constructor, nothing is validated here:
        sending a message checks names and values (no CR, LF, NUL or other
        controls).

        Example:
            >>> h = HTTPHeaders.from_pairs([("content-type", "text/plain"),
            ...                             ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
            >>> h["Content-Type"], h.get_list("Set-Cookie")
            ('text/plain', ['a=1', 'b=2'])

        Args:
            pairs: An iterable of ``(name, value)`` string pairs.

        Returns:
            A new `HTTPHeaders`.
        """
        headers = _new_headers(cls)
        d: dict[str, list[str]] = {}
        headers._dict = d
        cache = _NORMALIZED
        for name, value in pairs:
            norm = cache.get(name) or _normalize_name(name)
            values = d.get(norm)
            if values is None:
                d[norm] = [value]
            else:
                values.append(value)
        return headers

    # -- multi-valued interface -------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Add a value for ``name``, keeping any values it already has."""
        norm = _normalize_name(name)
        values = self._dict.get(norm)
        if values is None:
            self._dict[norm] = [value]
        else:
            values.append(value)

    def get_list(self, name: str) -> list[str]:
        """Return all values of ``name`` as a list (empty if absent)."""
        return list(self._dict.get(_normalize_name(name), ()))

    def get_all(self) -> Iterator[tuple[str, str]]:
        """Yield every ``(name, value)`` pair; a repeated name yields once per value."""
        for name, values in self._dict.items():
            for value in values:
                yield name, value

    def parse_line(self, line: str) -> None:
        """Parse one ``Name: value`` header line and add it.

        Args:
            line: A single field line, with or without its trailing CRLF.

        Raises:
            HTTPInputError: If the line has no colon, a name that is not a
                token (including whitespace before the colon), a value with
                control characters, or is an obs-fold continuation line.

        Compatibility: Tornado accepts obs-fold continuation lines here;
        squall rejects them (RFC 9112 section 5.2 allows a recipient to).
        """
        if line.endswith("\r\n"):
            line = line[:-2]
        elif line.endswith("\n"):
            line = line[:-1]
        if line[:1] in (" ", "\t"):
            raise HTTPInputError(
                f"obs-fold continuation line not allowed: {_snippet(line)}"
            )
        name, sep, value = line.partition(":")
        if not sep:
            raise HTTPInputError(f"header line has no colon: {_snippet(line)}")
        if _TOKEN_RE.match(name) is None:
            raise HTTPInputError(f"invalid header name: {_snippet(name)}")
        value = value.strip(" \t")
        if _BAD_VALUE_RE.search(value) is not None:
            raise HTTPInputError(
                f"control character in value of header {_snippet(name)}"
            )
        self.add(name, value)

    @classmethod
    def parse(cls, headers: str) -> HTTPHeaders:
        """Parse an HTTP header block (lines separated by CRLF) into `HTTPHeaders`.

        Example:
            >>> h = HTTPHeaders.parse("Content-Type: text/html\\r\\nContent-Length: 42\\r\\n")
            >>> sorted(h.items())
            [('Content-Length', '42'), ('Content-Type', 'text/html')]

        Args:
            headers: The text of the header section. Empty lines are skipped.

        Returns:
            A new `HTTPHeaders`.

        Raises:
            HTTPInputError: On a malformed line (see `parse_line`) or a bare CR.
        """
        h = cls()
        for line in headers.split("\n"):
            if line.endswith("\r"):
                line = line[:-1]
            if "\r" in line:
                raise HTTPInputError(f"bare CR in header line: {_snippet(line)}")
            if line:
                h.parse_line(line)
        return h

    # -- MutableMapping ------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        values = self._dict[_NORMALIZED.get(name) or _normalize_name(name)]
        return values[0] if len(values) == 1 else ",".join(values)

    def __setitem__(self, name: str, value: str) -> None:
        self._dict[_normalize_name(name)] = [value]

    def __delitem__(self, name: str) -> None:
        del self._dict[_normalize_name(name)]

    def __contains__(self, name: object) -> bool:
        if type(name) is not str:
            return isinstance(name, str) and _normalize_name(name) in self._dict
        return (_NORMALIZED.get(name) or _normalize_name(name)) in self._dict

    def __len__(self) -> int:
        return len(self._dict)

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def get(self, name: str, default: Any = None) -> Any:
        """Return the joined values of ``name``, or ``default`` if absent."""
        values = self._dict.get(_NORMALIZED.get(name) or _normalize_name(name))
        if values is None:
            return default
        return values[0] if len(values) == 1 else ",".join(values)

    def copy(self) -> HTTPHeaders:
        """Return an independent copy that keeps every value."""
        return HTTPHeaders(self)

    __copy__ = copy

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HTTPHeaders):
            return self._dict == other._dict
        if isinstance(other, Mapping):
            return dict(self.items()) == {
                _normalize_name(k): v for k, v in other.items()
            }
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "".join(f"{name}: {value}\r\n" for name, value in self.get_all())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"



