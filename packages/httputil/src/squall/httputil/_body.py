"""Request body parsing: url-encoded forms and multipart/form-data.

Both parsers run in linear time on hostile input and stop at the first
malformed part with one `HTTPInputError` (never one log line per part).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from ._errors import HTTPInputError, _snippet
from ._file import HTTPFile
from ._headers import HTTPHeaders
from ._util import _parse_qs_bytes

__all__ = ["parse_body_arguments", "parse_multipart_form_data", "DEFAULT_MAX_PARTS"]

gen_log = logging.getLogger("squall.general")

DEFAULT_MAX_PARTS = 1000
"""The default limit on the number of parts in one multipart body."""

# One step of the parameter scanner: a quoted string (escapes allowed,
# closing quote optional so that an unterminated string ends the line), a
# run of other characters, or a separator.
_PARAM_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"?|[^;"]+|;', re.DOTALL)
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)


def _split_params(line: str) -> list[str]:
    """Split ``line`` at the ``;`` that are outside double quotes (linear time)."""
    pieces: list[str] = []
    current: list[str] = []
    for m in _PARAM_TOKEN_RE.finditer(line):
        text = m.group()
        if text == ";":
            pieces.append("".join(current))
            current = []
        else:
            current.append(text)
    pieces.append("".join(current))
    return pieces


def _unquote_param(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
    return value


def _decode_ext_value(value: str) -> str | None:
    """Decode an RFC 8187 (RFC 5987) ext-value: ``charset'lang'pct-encoded``."""
    charset, sep1, rest = value.partition("'")
    _lang, sep2, encoded = rest.partition("'")
    if not sep1 or not sep2:
        return None
    charset = charset.strip().lower() or "utf-8"
    if charset not in ("utf-8", "iso-8859-1"):
        return None
    return unquote(encoded, encoding=charset, errors="replace")


def _parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Parse a header value with parameters, e.g. a Content-Disposition.

    Returns the main value (lower-cased) and the parameters with lower-cased
    names. ``name*`` parameters (RFC 8187) are decoded and win over ``name``.
    """
    pieces = _split_params(line)
    key = pieces[0].strip(" \t").lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for piece in pieces[1:]:
        name, sep, value = piece.partition("=")
        if not sep:
            continue
        name = name.strip(" \t").lower()
        value = value.strip(" \t")
        if name.endswith("*"):
            decoded = _decode_ext_value(value)
            if decoded is not None:
                extended[name[:-1]] = decoded
        else:
            params[name] = _unquote_param(value)
    params.update(extended)
    return key, params


def parse_body_arguments(
    content_type: str,
    body: bytes,
    arguments: dict[str, list[bytes]],
    files: dict[str, list[HTTPFile]],
    headers: HTTPHeaders | None = None,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> None:
    """Parse a form body into ``arguments`` and ``files`` (updated in place).

    Handles ``application/x-www-form-urlencoded`` and
    ``multipart/form-data``; other content types are left alone. A body with
    a ``Content-Encoding`` is not parsed (one warning is logged), since its
    bytes are not the form.

    Args:
        content_type: The request's ``Content-Type`` value.
        body: The request body.
        arguments: ``{name: [bytes values]}`` to extend.
        files: ``{name: [HTTPFile]}`` to extend.
        headers: The request headers, used to spot a ``Content-Encoding``.
        max_parts: The most multipart parts accepted.

    Raises:
        HTTPInputError: If a multipart body is malformed (400), has no
            boundary (400) or has more than ``max_parts`` parts (413).
    """
    if headers is not None and "Content-Encoding" in headers:
        gen_log.warning(
            "not parsing a request body with Content-Encoding %s",
            _snippet(headers["Content-Encoding"]),
        )
        return
    if content_type.startswith("application/x-www-form-urlencoded"):
        for name, values in _parse_qs_bytes(body).items():
            if values:
                arguments.setdefault(name, []).extend(values)
    elif content_type.startswith("multipart/form-data"):
        _ctype, params = _parse_header(content_type)
        boundary = params.get("boundary")
        if not boundary:
            raise HTTPInputError("multipart/form-data body without a boundary parameter")
        parse_multipart_form_data(
            boundary.encode("latin-1", "replace"), body, arguments, files, max_parts
        )


def parse_multipart_form_data(
    boundary: bytes,
    data: bytes,
    arguments: dict[str, list[bytes]],
    files: dict[str, list[HTTPFile]],
    max_parts: int = DEFAULT_MAX_PARTS,
) -> None:
    """Parse a ``multipart/form-data`` body into ``arguments`` and ``files``.

    Parts with a ``filename`` (or RFC 8187 ``filename*``) parameter become
    `HTTPFile` objects; other parts become arguments. File names are decoded
    as UTF-8 and kept only as data.

    Args:
        boundary: The ``boundary`` parameter of the ``Content-Type``.
        data: The body.
        arguments: ``{name: [bytes values]}`` to extend.
        files: ``{name: [HTTPFile]}`` to extend.
        max_parts: The most parts accepted.

    Raises:
        HTTPInputError: On the first malformed part (400: no final boundary,
            no blank line after a part's headers, a CR or LF inside a part
            header, no ``Content-Disposition: form-data`` with a ``name``),
            or if there are more than ``max_parts`` parts (413).
    """
    # A boundary may be quoted in the Content-Type (RFC 2046 section 5.1.1).
    if boundary.startswith(b'"') and boundary.endswith(b'"') and len(boundary) >= 2:
        boundary = boundary[1:-1]
    if not boundary:
        raise HTTPInputError("empty multipart boundary")
    final = data.rfind(b"--" + boundary + b"--")
    if final == -1:
        raise HTTPInputError("invalid multipart/form-data: no final boundary")
    delimiter = b"--" + boundary + b"\r\n"
    if data.count(delimiter, 0, final) > max_parts:
        raise HTTPInputError(
            f"multipart/form-data body has more than {max_parts} parts", 413
        )
    parts = data[:final].split(delimiter)
    # parts[0] is the preamble before the first delimiter; it is ignored.
    for part in parts[1:]:
        if part.startswith(b"\r\n"):
            eoh = -2  # a part with no header fields at all
        else:
            eoh = part.find(b"\r\n\r\n")
            if eoh == -1:
                raise HTTPInputError(
                    "invalid multipart/form-data: part has no end of headers"
                )
        if not part.endswith(b"\r\n") or len(part) < eoh + 6:
            raise HTTPInputError(
                "invalid multipart/form-data: part is not followed by CRLF"
            )
        headers = _parse_part_headers(part[:eoh] if eoh > 0 else b"")
        disposition = headers.get("Content-Disposition", "")
        disp, params = _parse_header(disposition)
        if disp != "form-data" or "name" not in params:
            raise HTTPInputError(
                "invalid multipart/form-data: part without "
                "'Content-Disposition: form-data; name=...'"
            )
        value = part[eoh + 4 : -2]
        name = params["name"]
        if "filename" in params:
            ctype = headers.get("Content-Type", "application/unknown")
            files.setdefault(name, []).append(
                HTTPFile(filename=params["filename"], content_type=ctype, body=value)
            )
        else:
            arguments.setdefault(name, []).append(value)


def _parse_part_headers(raw: bytes) -> HTTPHeaders:
    headers = HTTPHeaders()
    if not raw:
        return headers
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    for line in text.split("\r\n"):
        if "\r" in line or "\n" in line:
            raise HTTPInputError(
                "invalid multipart/form-data: CR or LF inside a part header"
            )
        try:
            headers.parse_line(line)
        except HTTPInputError as e:
            raise HTTPInputError(f"invalid multipart/form-data: {e}") from None
    return headers
