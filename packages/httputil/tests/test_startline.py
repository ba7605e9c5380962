import pytest

from squall.httputil import (
    HTTPInputError,
    RequestStartLine,
    ResponseStartLine,
    parse_request_start_line,
    parse_response_start_line,
)


def test_request_line() -> None:
    sl = parse_request_start_line("GET /foo?x=1 HTTP/1.1")
    assert sl == RequestStartLine("GET", "/foo?x=1", "HTTP/1.1")
    assert sl.method == "GET" and sl.path == "/foo?x=1" and sl.version == "HTTP/1.1"
    assert parse_request_start_line("OPTIONS * HTTP/1.0").path == "*"


@pytest.mark.parametrize(
    "line",
    [
        "GET /",
        "GET  / HTTP/1.1",
        "GET\t/ HTTP/1.1",
        "GET / HTTP/1.1 ",
        'G=":<>(e),[T];?" /get HTTP/1.1',
        "GET /a\x00b HTTP/1.1",
        "GET /a\x1bb HTTP/1.1",
        "GET / http/1.1",
        "GET / HTTP/01.1",
        "GET / HTTP/1.32",
        "",
        "GET /\xe9 HTTP/1.1",
    ],
)
def test_request_line_malformed_400(line: str) -> None:
    with pytest.raises(HTTPInputError) as e:
        parse_request_start_line(line)
    assert e.value.status_code == 400


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2"])
def test_request_line_unsupported_version_505(version: str) -> None:
    with pytest.raises(HTTPInputError) as e:
        parse_request_start_line(f"GET / {version}")
    assert e.value.status_code == 505


def test_status_line() -> None:
    assert parse_response_start_line("HTTP/1.1 200 OK") == ResponseStartLine(
        "HTTP/1.1", 200, "OK"
    )
    assert parse_response_start_line("HTTP/1.0 404 Not Found").reason == "Not Found"
    assert parse_response_start_line("HTTP/1.1 204 ").reason == ""
    assert parse_response_start_line("HTTP/1.1 204").code == 204


@pytest.mark.parametrize(
    "line",
    ["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/2 200 OK", "HTTP/1.1 ٢٠٠ OK", "HTTP/1.1 200 a\rb", "x"],
)
def test_status_line_malformed(line: str) -> None:
    with pytest.raises(HTTPInputError):
        parse_response_start_line(line)
