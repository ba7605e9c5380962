"""Property-based fuzzing of every parser that sees network or template input.

The property is the same everywhere: any input gives a result or the
module's own error class (``HTTPInputError``, ``ParseError``), never another
exception, a hang, or a result that breaks the parser's promises (a header
value with CR/LF, a cookie with a control character, both framings at once).

CI runs a bounded number of examples (seconds per test). For a long run set
``SQUALL_FUZZ_EXAMPLES`` (``tools/fuzz/run.sh --hypothesis`` does), e.g.
``SQUALL_FUZZ_EXAMPLES=200000 .venv/bin/pytest tests/robustness/test_fuzz.py``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.escape import url_escape, url_unescape, xhtml_escape, xhtml_unescape
from squall.httputil import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    RequestStartLine,
    parse_body_arguments,
    parse_cookie,
    parse_multipart_form_data,
    parse_request_start_line,
)
from squall.template import ParseError, Template
from squall.web import decode_signed_value

EXAMPLES = int(os.environ.get("SQUALL_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the HTTP codec ------------------------------------------------------------------------------------

SEEDS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=v\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"PUT /y HTTP/1.1\r\nHost: b:80\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"GET http://a/p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
]
TOKENS = [
    b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b";", b",", b"0", b"F", b"\x00", b"\x0b", b"\xa0", b"\x85",
    b"chunked", b"Transfer-Encoding: chunked\r\n", b"Content-Length: 3\r\n", b"Content-Length: 0\r\n",
    b"Host: b\r\n", b" chunked", b"\r\n ", b"0\r\n\r\n", b"HTTP/1.1", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
]


@st.composite
def mutated_requests(draw: Any) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 2))
        if op == 0:
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == 1:
            data[pos : pos + draw(st.integers(1, 4))] = b""
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


# The codec checks are the atheris harness's own (tools/fuzz/fuzz_codec.py),
# so the CI fuzzing and the long runs check exactly the same properties.
_harness_spec = importlib.util.spec_from_file_location(
    "fuzz_codec", Path(__file__).resolve().parents[2] / "tools" / "fuzz" / "fuzz_codec.py"
)
assert _harness_spec is not None and _harness_spec.loader is not None
fuzz_codec = importlib.util.module_from_spec(_harness_spec)
_harness_spec.loader.exec_module(fuzz_codec)
run_codec = fuzz_codec.run_codec


@FUZZ
@given(mutated_requests(), st.lists(st.integers(1, 64), max_size=8))
def test_codec_any_request_bytes(data: bytes, cuts: list[int]) -> None:
    whole = run_codec([data])
    # However the bytes are split into reads, the outcome is the same.
    pieces = []
    rest = data
    for cut in cuts:
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    assert run_codec(pieces) == whole


@FUZZ
@given(st.binary(max_size=600))
def test_codec_random_bytes(data: bytes) -> None:
    run_codec([data])


@FUZZ
@given(st.binary(max_size=300))
def test_client_codec_random_responses(data: bytes) -> None:
    codec = HTTP1Codec("client", max_header_size=2048, max_body_size=4096)
    codec.send_head(RequestStartLine("GET", "/", "HTTP/1.1"), HTTPHeaders({"Host": "a"}))
    codec.send_end()
    try:
        codec.receive_data(b"HTTP/1.1 " + data)
        codec.receive_eof()
        for _ in range(10_000):
            event = codec.next_event()
            if event is NEED_DATA or event is PAUSED or isinstance(event, ConnectionClosed):
                break
    except HTTPInputError as error:
        assert 400 <= error.status_code < 600


@FUZZ
@given(st.text(max_size=200))
def test_request_start_line(line: str) -> None:
    try:
        start = parse_request_start_line(line)
    except HTTPInputError:
        return
    assert start.version in ("HTTP/1.0", "HTTP/1.1")
    assert " " not in start.method and " " not in start.path


@FUZZ
@given(st.text(max_size=300))
def test_headers_parse(text: str) -> None:
    try:
        headers = HTTPHeaders.parse(text)
    except HTTPInputError:
        return
    for _, value in headers.get_all():
        assert "\r" not in value and "\n" not in value and "\x00" not in value


# -- multipart and form bodies ------------------------------------------------------------------------------

PART_PIECES = [
    b"--B\r\n", b"--B--\r\n", b"--B--", b"\r\n", b"\r\n\r\n", b'Content-Disposition: form-data; name="a"',
    b'; filename="../../etc/passwd"', b"; filename*=UTF-8''%e2%82%ac", b"Content-Type: text/plain",
    b"Content-Length: +5", b"\r", b'"', b";", b"v", b"\x00",
]


@FUZZ
@given(
    st.lists(st.one_of(st.sampled_from(PART_PIECES), st.binary(max_size=8)), max_size=30),
    st.sampled_from([b"B", b'"B"', b"", b"--", b"B" * 80]),
)
def test_multipart_any_body(pieces: list[bytes], boundary: bytes) -> None:
    body = b"".join(pieces)
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[Any]] = {}
    try:
        parse_multipart_form_data(boundary, body, args, files, max_parts=10)
    except HTTPInputError as error:
        assert error.status_code in (400, 413)
        return
    for name, uploads in files.items():
        for upload in uploads:
            assert isinstance(upload.filename, str)
    assert sum(len(v) for v in args.values()) + sum(len(v) for v in files.values()) <= 10


@FUZZ
@given(st.text(max_size=80), st.binary(max_size=200))
def test_body_arguments_any_content_type(content_type: str, body: bytes) -> None:
    args: dict[str, list[bytes]] = {}
    try:
        parse_body_arguments(content_type, body, args, {})
    except HTTPInputError:
        return
    assert all(isinstance(v, bytes) for values in args.values() for v in values)


# -- cookies and signed values ----------------------------------------------------------------------------------

COOKIE_PIECES = ["a", "=", ";", " ", '"', "\\", "_xsrf", "\x00", "\x7f", "\t", ",", "é", "b=c"]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(COOKIE_PIECES), st.text(max_size=4)), max_size=40))
def test_cookie_any_header(pieces: list[str]) -> None:
    cookies = parse_cookie("".join(pieces))
    for name, value in cookies.items():
        assert isinstance(name, str) and isinstance(value, str)
        assert ";" not in name
        controls = {chr(c) for c in range(0x20)} - {"\t"} | {"\x7f"}
        assert not set(name + value) & controls, (name, value)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_signed_value_any_input(value: str | bytes) -> None:
    result = decode_signed_value("secret", "name", value)
    assert result is None


# -- templates ---------------------------------------------------------------------------------------------

TEMPLATE_PIECES = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{{!", "{%!", " if x ", " end ", " else ", " for i in y ",
    " raw x ", " autoescape None ", " set a = 1 ", " extends 'x' ", " block b ", " apply f ",
    " try ", " except ", " while 0 ", " module M() ", " comment ", " whitespace all ", "x", "(",
    ")", "'", '"', "\n", "\\",
]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(TEMPLATE_PIECES), st.text(max_size=3)), max_size=25))
def test_template_any_source(pieces: list[str]) -> None:
    source = "".join(pieces)
    try:
        Template(source, name="fuzz.html")
    except ParseError:
        pass


# -- escaping round trips ------------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=200))
def test_escape_round_trips(text: str) -> None:
    escaped = xhtml_escape(text)
    assert not set(escaped) & set("<>\"'")
    assert xhtml_unescape(escaped) == text
    assert url_unescape(url_escape(text), encoding="utf-8") == text
    assert url_unescape(url_escape(text, plus=False), encoding="utf-8", plus=False) == text
