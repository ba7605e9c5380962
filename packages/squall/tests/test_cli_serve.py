"""``squall serve``: loading the application, options, and the running server."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import squall.web
from squall.cli import AppLoadError, ServeConfig, ServeConfigError, load_app, main



def get_json(url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10, **kwargs) as answer:
        return json.loads(answer.read())


@pytest.fixture
def importable(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(app_dir))
    monkeypatch.delitem(sys.modules, "webapp", raising=False)
    yield
    sys.modules.pop("webapp", None)


# -- naming the application ------------------------------------------------------


def test_load_app_finds_an_application_object(importable: None) -> None:
    app = load_app("webapp:application")
    assert isinstance(app, squall.web.Application)
    assert app is sys.modules["webapp"].application


def test_load_app_calls_a_factory(importable: None) -> None:
    first = load_app("webapp:make_app()")
    second = load_app("webapp:make_app()")
    assert isinstance(first, squall.web.Application)
    assert first is not second


@pytest.mark.parametrize(
    "target, message",
    [
        ("webapp", "write module:app"),
        ("webapp:", "write module:app"),
        ("webapp:make app()", "write module:app"),
        ("web-app:application", "write module:app"),
        ("webapp:application(1)", "write module:app"),
        ("no_such_module_here:app", "no module named 'no_such_module_here'"),
        ("webapp:missing", "has no attribute 'missing'"),
        ("webapp:VERSION()", "cannot be called"),
        ("webapp:make_app", "write webapp:make_app()"),
        ("webapp:not_an_app()", "returned a int, not an application"),
        ("webapp:VERSION", "is a str, not an application"),
        ("webapp:broken_factory()", "RuntimeError: database unreachable"),
    ],
)
def test_load_app_explains_what_is_wrong(importable: None, target: str, message: str) -> None:
    with pytest.raises(AppLoadError) as caught:
        load_app(target)
    assert message in str(caught.value)


def test_an_error_inside_the_module_is_reported(app_dir: Path, importable: None) -> None:
    (app_dir / "brokenapp.py").write_text("import squall.web\nraise ValueError('bad setting')\n")
    with pytest.raises(AppLoadError, match="ValueError: bad setting"):
        load_app("brokenapp:app")
    sys.modules.pop("brokenapp", None)


# -- options -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"port": 70000}, "port must be in 0..65535"),
        ({"processes": -1}, "processes must be 0"),
        ({"reload": True, "processes": 4}, "reload works with one process only"),
        ({"reload": True, "processes": 0}, "reload works with one process only"),
        ({"ssl_cert": "cert.pem"}, "needs both --ssl-cert and --ssl-key"),
        ({"ssl_key": "key.pem"}, "needs both --ssl-cert and --ssl-key"),
        ({"shutdown_timeout": -1.0}, "shutdown_timeout must be 0 or more"),
        ({"shutdown_timeout": float("nan")}, "shutdown_timeout must be 0 or more"),
        ({"max_restarts": -2}, "max_restarts must be 0 or more"),
        ({"reuse_port": True, "processes": 2, "port": 0}, "needs a fixed port"),
        ({"reuse_port": True, "unix_socket": "/tmp/x.sock"}, "needs a TCP port"),
        ({"app": "nocolon"}, "write module:app"),
    ],
)
def test_contradictory_options_are_refused(kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("app", "webapp:application")
    with pytest.raises(ServeConfigError, match=message):
        ServeConfig(**kwargs)


def test_port_defaults_to_8000_unless_only_a_unix_socket_is_given() -> None:
    assert ServeConfig("m:app").listen_port == 8000
    assert ServeConfig("m:app", unix_socket="/tmp/s").listen_port is None
    assert ServeConfig("m:app", unix_socket="/tmp/s", port=9000).listen_port == 9000


def test_usage_errors_exit_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "webapp:application", "--reload", "--processes", "2"]) == 2
    assert "reload works with one process only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["serve", "webapp:application", "--shutdown-timeout", "soon"])
    assert caught.value.code == 2
    assert "expected a number of seconds" in capsys.readouterr().err


def test_a_bad_certificate_is_reported(
    app_dir: Path, importable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_dir / "cert.pem").write_text("not a certificate")
    code = main([
        "serve", "webapp:application", "--port", "0", "--app-dir", str(app_dir),
        "--ssl-cert", str(app_dir / "cert.pem"), "--ssl-key", str(app_dir / "cert.pem"),
    ])
    assert code == 1
    assert "cannot load the certificate" in capsys.readouterr().err


def test_a_port_in_use_is_reported(
    app_dir: Path, importable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "webapp:application", "--port", str(port), "--app-dir", str(app_dir)])
    assert code == 1
    assert "cannot listen" in capsys.readouterr().err


# -- the running server ----------------------------------------------------------


def test_serves_and_stops_gracefully_on_sigterm(squall_serve: Any) -> None:
    server = squall_serve("webapp:make_app()", "--port", "0")
    url = server.url()
    assert get_json(url + "/")["pid"] == server.process.pid
    results: list[bytes] = []

    def slow() -> None:
        with urllib.request.urlopen(url + "/slow?seconds=1", timeout=10) as answer:
            results.append(answer.read())

    thread = threading.Thread(target=slow)
    thread.start()
    server.wait_for_line("slow request 1 started")
    server.signal(signal.SIGTERM)
    thread.join(10)
    assert results == [b"slow done"]
    assert server.wait() == 0
    assert "finishing in-flight requests" in server.output
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/", timeout=5)


def test_open_websockets_are_told_going_away_on_sigterm(squall_serve: Any) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    server = squall_serve("webapp:make_app()", "--port", "0")
    with connect(server.url().replace("http://", "ws://", 1) + "/ws", open_timeout=10) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        server.signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1001
    assert server.wait() == 0
    assert "closed 1 open WebSocket connection" in server.output


def _wait_until(predicate: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_shutdown_is_bounded_by_the_timeout(squall_serve: Any) -> None:
    server = squall_serve("webapp:application", "--port", "0", "--shutdown-timeout", "0.2")
    url = server.url()
    errors: list[BaseException] = []

    def stuck() -> None:
        try:
            urllib.request.urlopen(url + "/slow?seconds=60", timeout=30).read()
        except (OSError, http.client.HTTPException) as error:
            errors.append(error)

    thread = threading.Thread(target=stuck)
    thread.start()
    server.wait_for_line("slow request 60 started")
    server.signal(signal.SIGTERM)
    assert server.wait(20) == 0
    thread.join(20)
    assert len(errors) == 1  # the connection was aborted, not answered
    assert "aborting 1 connection(s)" in server.output


def test_a_second_signal_aborts_at_once(squall_serve: Any) -> None:
    server = squall_serve("webapp:application", "--port", "0", "--shutdown-timeout", "60")
    url = server.url()
    thread = threading.Thread(
        target=lambda: _ignore_errors(lambda: urllib.request.urlopen(url + "/slow?seconds=60", timeout=30)),
    )
    thread.start()
    server.wait_for_line("slow request 60 started")
    server.signal(signal.SIGINT)
    server.wait_for_line("SIGINT: finishing in-flight requests")
    server.signal(signal.SIGINT)
    assert server.wait(20) == 0
    assert "SIGINT again: aborting open connections" in server.output
    thread.join(20)


def _ignore_errors(call: Any) -> None:
    try:
        call()
    except (OSError, http.client.HTTPException):
        pass


def test_xheaders_give_the_proxy_client_address_and_scheme(squall_serve: Any) -> None:
    plain = squall_serve("webapp:application", "--port", "0")
    proxied = squall_serve("webapp:application", "--port", "0", "--xheaders")
    headers = {"X-Real-IP": "203.0.113.7", "X-Scheme": "https"}
    seen_plain = get_json(plain.url() + "/", headers)
    seen_proxied = get_json(proxied.url() + "/", headers)
    assert (seen_plain["remote_ip"], seen_plain["protocol"]) == ("127.0.0.1", "http")
    assert (seen_proxied["remote_ip"], seen_proxied["protocol"]) == ("203.0.113.7", "https")


def test_serves_on_a_unix_socket(squall_serve: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "web.sock")
    server = squall_serve("webapp:application", "--unix-socket", path)
    assert server.url() == f"unix:{path}"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"version": "one"' in answer


def test_serves_https(squall_serve: Any, tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    server = squall_serve(
        "webapp:application", "--port", "0",
        "--ssl-cert", str(tmp_path / "server.pem"), "--ssl-key", str(tmp_path / "server.pem"),
    )
    url = server.url()
    assert url.startswith("https://127.0.0.1:")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert get_json(url + "/", context=context)["protocol"] == "https"


def test_several_processes_share_the_port_and_crashed_ones_restart(squall_serve: Any) -> None:
    server = squall_serve("webapp:application", "--port", "0", "--processes", "2")
    url = server.url()
    _wait_until(lambda: len(server.workers()) == 2, "two workers")
    workers = set(server.workers())
    assert get_json(url + "/")["pid"] in workers

    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        current = server.workers()  # once: the victim may die between two looks
        return len(current) == 2 and victim not in current

    _wait_until(replaced, "the killed worker to be replaced")
    server.wait_for_line("killed by signal 9, restarting")
    # Every connection is still answered, by one of the current workers.
    current = set(server.workers())
    for _ in range(10):
        assert get_json(url + "/")["pid"] in current

    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert server.workers() == []  # none orphaned
    assert server.output.count("SIGTERM: finishing in-flight requests") == 2


def test_workers_stop_when_the_supervisor_is_killed(squall_serve: Any) -> None:
    server = squall_serve("webapp:application", "--port", "0", "--processes", "2")
    server.url()
    _wait_until(lambda: len(server.workers()) == 2, "two workers")
    workers = server.workers()
    os.kill(server.process.pid, signal.SIGKILL)
    server.wait()
    _wait_until(lambda: not any(_alive(pid) for pid in workers), "orphaned workers to stop")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
    except OSError:
        return False
    return state != b"Z"


def test_reuse_port_gives_each_worker_its_own_socket(squall_serve: Any) -> None:
    port = _free_port()
    server = squall_serve(
        "webapp:application", "--port", str(port), "--processes", "2", "--reuse-port"
    )
    server.wait_for_line("SO_REUSEPORT")
    _wait_until(lambda: len(server.workers()) == 2, "two workers")
    seen: set[int] = set()
    for _ in range(200):  # the kernel spreads new connections over both
        try:
            seen.add(get_json(f"http://127.0.0.1:{port}/")["pid"])
        except urllib.error.URLError:
            time.sleep(0.05)  # a worker still binding
        if len(seen) == 2:
            break
    assert seen == set(server.workers())
    server.signal(signal.SIGTERM)
    assert server.wait() == 0


def test_an_unloadable_app_fails_once_even_with_several_processes(squall_serve: Any) -> None:
    server = squall_serve("webapp:missing", "--port", "0", "--processes", "2")
    assert server.wait() == 1
    assert "has no attribute 'missing'" in server.output
    assert "Starting 2 processes" not in server.output


def test_reload_restarts_on_a_source_change(squall_serve: Any, app_dir: Path) -> None:
    # A fixed port: the restarted process binds it again.
    port = _free_port()
    server = squall_serve("webapp:application", "--port", str(port), "--reload")
    url = server.url()
    assert get_json(url + "/")["version"] == "one"
    source = app_dir / "webapp.py"
    time.sleep(0.05)  # a distinct modification time
    source.write_text(source.read_text().replace('VERSION = "one"', 'VERSION = "two"'))
    os.utime(source, (time.time() + 2, time.time() + 2))

    def reloaded() -> bool:
        try:
            return bool(get_json(url + "/")["version"] == "two")
        except (urllib.error.URLError, ConnectionError):
            return False  # between the old process and the new one

    _wait_until(reloaded, "the reloaded code", timeout=20)
    assert "modified; restarting server" in server.output
