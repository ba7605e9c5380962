"""``python -m squall.httpclient``: the command-line fetcher, run as a user runs it."""

import json
import socket
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "squall.httpclient", *args], capture_output=True, timeout=60, check=False
    )


def test_prints_the_body(servers):
    result = run(servers.url("/hello"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"Hello, world"


def test_print_headers_shows_status_line_and_fields(servers):
    result = run("-i", servers.url("/hello"))
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: text/plain" in lines[1:]
    assert body == b"Hello, world"


def test_method_header_and_body_are_sent(servers):
    result = run("-X", "post", "-H", "X-Test: yes", "-d", "héllo", servers.url("/echo"))
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert sent["method"] == "POST"
    assert ["X-Test", "yes"] in sent["headers"]
    assert sent["body"].encode("latin-1").decode("utf-8") == "héllo"


def test_error_status_is_printed_and_fails(servers):
    result = run(servers.url("/status?code=404"), servers.url("/hello"))
    assert result.returncode == 1
    assert result.stdout == b"status body" + b"Hello, world"


def test_redirect_reported_without_following(servers):
    target = servers.url("/hello")
    result = run("-i", "--no-follow-redirects", servers.url(f"/redirect?to={target}"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"HTTP/1.1 302 ")
    assert f"Location: {target}".encode() in result.stdout


def test_unreachable_server_is_reported_on_stderr():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = run("--timeout", "5", f"http://127.0.0.1:{port}/")
    assert result.returncode == 1
    assert result.stdout == b""
    assert f"127.0.0.1:{port}".encode() in result.stderr


def test_bad_header_syntax_is_a_usage_error(servers):
    result = run("-H", "no-colon", servers.url("/hello"))
    assert result.returncode == 2
    assert b"NAME:VALUE" in result.stderr
