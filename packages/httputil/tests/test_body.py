import logging

import pytest

from squall.httputil import (
    HTTPFile,
    HTTPHeaders,
    HTTPInputError,
    parse_body_arguments,
    parse_multipart_form_data,
)


def multipart(*parts: bytes, boundary: bytes = b"1234") -> bytes:
    out = b""
    for p in parts:
        out += b"--" + boundary + b"\r\n" + p + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def parse(data: bytes, boundary: bytes = b"1234", **kw: int) -> tuple[dict[str, list[bytes]], dict[str, list[HTTPFile]]]:
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_multipart_form_data(boundary, data, args, files, **kw)
    return args, files


def test_urlencoded() -> None:
    args: dict[str, list[bytes]] = {"a": [b"0"]}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments(
        "application/x-www-form-urlencoded; charset=utf-8", b"a=1&b=%C3%A9&c=&a=+", args, files
    )
    assert args == {"a": [b"0", b"1", b" "], "b": ["é".encode()], "c": [b""]}
    assert files == {}


def test_other_content_type_ignored() -> None:
    args: dict[str, list[bytes]] = {}
    parse_body_arguments("application/json", b'{"a": 1}', args, {})
    assert args == {}


def test_content_encoding_not_parsed(caplog: pytest.LogCaptureFixture) -> None:
    args: dict[str, list[bytes]] = {}
    with caplog.at_level(logging.WARNING):
        parse_body_arguments(
            "application/x-www-form-urlencoded",
            b"\x1f\x8b...",
            args,
            {},
            HTTPHeaders({"Content-Encoding": "gzip"}),
        )
    assert args == {}
    assert len(caplog.records) == 1


def test_multipart_file_and_field() -> None:
    data = multipart(
        b'Content-Disposition: form-data; name="files"; filename="ab.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nFoo\r\nbar",
        b'Content-Disposition: form-data; name="field"\r\n\r\nvalue',
    )
    args, files = parse(data)
    assert args == {"field": [b"value"]}
    f = files["files"][0]
    assert f.filename == "ab.txt"
    assert f["content_type"] == "text/plain"
    assert f.body == b"Foo\r\nbar"


def test_multipart_via_parse_body_arguments_quoted_boundary() -> None:
    data = multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n1', boundary=b"b;x")
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments('multipart/form-data; boundary="b;x"', data, args, files)
    assert args == {"a": [b"1"]}
    parse_multipart_form_data(b'"b;x"', data, args, files)
    assert args == {"a": [b"1", b"1"]}


def test_multipart_filename_variants() -> None:
    data = multipart(
        'Content-Disposition: form-data; name="f"; filename="naïve 日本.txt"\r\n\r\nx'.encode(),
        b"Content-Disposition: form-data; name=\"g\"; filename=\"fallback.txt\"; "
        b"filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt\r\n\r\ny",
        b'Content-Disposition: form-data; name="h"; filename="a\\"b;c.txt"\r\n\r\nz',
        b'Content-Disposition: form-data; name="i"; filename="../../etc/passwd"\r\n\r\nw',
        b"Content-Disposition: form-data; name=\"j\"; filename=\"x\"; filename*=bogus\r\n\r\nv",
        b'Content-Disposition: form-data; name="k"; filename=""\r\n\r\n',
    )
    _, files = parse(data)
    assert files["f"][0].filename == "naïve 日本.txt"
    assert files["g"][0].filename == "日本.txt"
    assert files["h"][0].filename == 'a"b;c.txt'
    assert files["i"][0].filename == "../../etc/passwd"
    assert files["j"][0].filename == "x"
    assert files["k"][0].filename == "" and files["k"][0].body == b""
    assert files["f"][0].content_type == "application/unknown"


def test_multipart_latin1_header_fallback() -> None:
    data = multipart(b'Content-Disposition: form-data; name="f"; filename="caf\xe9"\r\n\r\nx')
    _, files = parse(data)
    assert files["f"][0].filename == "café"


@pytest.mark.parametrize(
    "data",
    [
        b"--1234\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno final boundary\r\n",
        multipart(b'Content-Disposition: form-data; name="a"'),
        multipart(b"Content-Disposition: form-data\r\n\r\nx"),
        multipart(b'Content-Disposition: attachment; name="a"\r\n\r\nx'),
        multipart(b'X: 1\r\n\r\nx'),
        multipart(b"\r\nheaderless"),
        multipart(b'Content-Disposition: form-data; name="a"\rX: y\r\n\r\nx'),
        multipart(b'Content-Disposition: form-data; name="a"\nX: y\r\n\r\nx'),
        multipart(b'Content-Disposition: form-data; name="a"\r\n continued\r\n\r\nx'),
        b'--1234\r\nContent-Disposition: form-data; name="a"\r\n\r\nx--1234--',
    ],
)
def test_multipart_malformed(data: bytes) -> None:
    with pytest.raises(HTTPInputError) as e:
        parse(data)
    assert e.value.status_code == 400


def test_multipart_no_boundary() -> None:
    with pytest.raises(HTTPInputError):
        parse_body_arguments("multipart/form-data", b"", {}, {})
    with pytest.raises(HTTPInputError):
        parse(b"----\r\n", boundary=b"")


def test_multipart_max_parts_413() -> None:
    part = b'Content-Disposition: form-data; name="a"\r\n\r\nx'
    args, _ = parse(multipart(*[part] * 5), max_parts=5)
    assert len(args["a"]) == 5
    with pytest.raises(HTTPInputError) as e:
        parse(multipart(*[part] * 6), max_parts=5)
    assert e.value.status_code == 413
    with pytest.raises(HTTPInputError) as e:
        parse(multipart(*[part] * 1001))
    assert e.value.status_code == 413


def test_multipart_malformed_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    bad = b"garbage without headers end"
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(HTTPInputError):
            parse(multipart(*[bad] * 900))
    assert caplog.records == []


@pytest.mark.timeout(20)
def test_disposition_param_linear() -> None:
    hostile = b'Content-Disposition: form-data; name="a"; x="' + b";" * 100_000 + b'"\r\n\r\nv'
    args, _ = parse(multipart(hostile))
    assert args == {"a": [b"v"]}
    unterminated = b'Content-Disposition: form-data; name="a"; x="' + b"\\;" * 50_000 + b"\r\n\r\nv"
    args, _ = parse(multipart(unterminated))
    assert args == {"a": [b"v"]}
