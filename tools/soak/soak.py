"""Soak test: wrk at full speed against a squall server, then 10,000 idle connections.

Pass criteria (exit status 1 otherwise):

* wrk reports no socket errors (connect, read, write, timeout) and no
  non-2xx/3xx responses in any round;
* the server's RSS after the last round is at most ``--rss-growth`` MiB above
  its RSS after the warm-up round (a leak grows with every round);
* with 10,000 idle connections open, a new client is still served; a second
  wave of 10,000 leaves the server's RSS within the same bound of where the
  first wave left it.

Usage (``make soak`` runs the defaults; about three minutes)::

    .venv/bin/python tools/soak/soak.py [--target hello|hello-json|demo]
        [--rounds 4] [--duration 30] [--connections 64] [--idle 10000]

The server runs in its own process (``.venv/bin/python``), so its RSS is its
own. wrk is a system package: ``apt-get install -y wrk`` if it is missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


@dataclasses.dataclass
class Target:
    """How to start a server and which URL to load."""

    command: list[str]
    path: str
    cwd: Path = ROOT
    login: Callable[[int], str] | None = None  # returns a Cookie header for wrk


def demo_login(port: int) -> str:
    """Sign in to the demo (XSRF-protected form) and return the Cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    response.read()
    xsrf = _cookie(response.getheader("Set-Cookie") or "", "_xsrf")
    body = urllib.parse.urlencode({"nickname": "soak", "_xsrf": xsrf})
    conn.request("POST", "/login", body=body, headers={
        "Cookie": f"_xsrf={xsrf}", "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    conn.close()
    cookies = {name: _cookie(value, name) for name in ("user",)
               for key, value in response.getheaders() if key.lower() == "set-cookie"
               and value.startswith(name + "=")}
    if "user" not in cookies:
        raise RuntimeError(f"demo sign-in failed: {response.status}")
    return f"_xsrf={xsrf}; user={cookies['user']}"


def _cookie(set_cookie: str, name: str) -> str:
    first = set_cookie.split(";", 1)[0]
    key, _, value = first.partition("=")
    if key.strip() != name:
        raise RuntimeError(f"expected a {name} cookie, got {first!r}")
    return value.strip('"')


def targets(port: int, data_dir: str) -> dict[str, Target]:
    hello = [PYTHON, str(ROOT / "tools" / "soak" / "hello.py"), str(port)]
    return {
        "hello": Target(hello, "/"),
        "hello-json": Target(hello, "/json"),
        # ---- DEMO HOOK -------------------------------------------------------------
        # The demo's JSON API (demos/feed, `python -m feed` from demos/). If the demo's
        # command line or its public JSON URL changes, change these two lines.
        "demo": Target(
            [PYTHON, "-m", "feed", "--port", str(port), "--data-dir", data_dir],
            "/api/entries",
            cwd=ROOT / "demos",
            login=demo_login,
        ),
        # -----------------------------------------------------------------------------
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def wait_ready(port: int, path: str, timeout: float = 30, cookie: str = "") -> None:
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\n{extra}Connection: close\r\n\r\n".encode())
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer GET {path} with 200 within {timeout}s")


@dataclasses.dataclass
class WrkResult:
    requests: int
    rps: float
    errors: str | None
    non_2xx: int


def run_wrk(
    port: int, path: str, duration: int, connections: int, threads: int, cookie: str = ""
) -> WrkResult:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *headers,
         f"http://127.0.0.1:{port}{path}"],
        check=True, capture_output=True, text=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Socket errors:.*", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(requests, rps, errors.group(0) if errors else None,
                     int(non_2xx.group(1)) if non_2xx else 0)


def idle_phase(
    pid: int, port: int, path: str, count: int, cookie: str = ""
) -> tuple[list[str], float]:
    """Open ``count`` idle connections, check service, close them.

    Returns:
        The failures, and the server's RSS (MiB) once they are closed.
    """
    failures: list[str] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
    before = rss_mib(pid)
    socks = []
    try:
        for i in range(count):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            if i % 500 == 499:
                time.sleep(0.05)  # let the server accept: keep the listen queue short
        time.sleep(1)
        loaded = rss_mib(pid)
        start = time.monotonic()
        wait_ready(port, path, timeout=10, cookie=cookie)
        print(f"idle: {count} connections open, server RSS {before:.1f} -> {loaded:.1f} MiB, "
              f"a new client served in {1000 * (time.monotonic() - start):.1f} ms")
        dead = 0
        for s in socks[:: max(1, count // 100)]:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    dead += 1
            except BlockingIOError:
                pass
        if dead:
            failures.append(f"{dead} sampled idle connections were closed before the idle timeout")
    except OSError as error:
        failures.append(f"opening {count} idle connections failed after {len(socks)}: {error}")
    finally:
        for s in socks:
            s.close()
    time.sleep(2)
    after = rss_mib(pid)
    print(f"idle: closed; server RSS {after:.1f} MiB")
    return failures, after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="hello", choices=["hello", "hello-json", "demo"])
    parser.add_argument("--rounds", type=int, default=3, help="measured wrk rounds after the warm-up")
    parser.add_argument("--duration", type=int, default=30, help="seconds per wrk round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections (0 to skip)")
    parser.add_argument("--rss-growth", type=float, default=8.0,
                        help="MiB of RSS growth allowed from the warm-up to the last round")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("soak: wrk is not installed; run `apt-get install -y wrk`", file=sys.stderr)
        return 2
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="squall-soak-")
    target = targets(port, data_dir)[args.target]
    # The server's log goes to a file: a pipe nobody drains would block it.
    log_path = Path(data_dir) / "server.log"
    log = open(log_path, "w")
    server = subprocess.Popen(target.command, cwd=target.cwd, stdout=log, stderr=subprocess.STDOUT)
    failures: list[str] = []
    try:
        wait_ready(port, "/login" if target.login else target.path)
        cookie = target.login(port) if target.login else ""
        wait_ready(port, target.path, cookie=cookie)
        print(f"soak: {args.target} on port {port} (pid {server.pid}), GET {target.path}")
        warm = run_wrk(
            port, target.path, max(5, args.duration // 2), args.connections, args.threads, cookie
        )
        base = rss_mib(server.pid)
        print(f"warm-up: {warm.requests} requests, {warm.rps:.0f} req/s, RSS {base:.1f} MiB")
        rss = base
        for i in range(1, args.rounds + 1):
            result = run_wrk(
                port, target.path, args.duration, args.connections, args.threads, cookie
            )
            rss = rss_mib(server.pid)
            print(f"round {i}: {result.requests} requests, {result.rps:.0f} req/s, "
                  f"non-2xx {result.non_2xx}, errors {result.errors or 'none'}, RSS {rss:.1f} MiB")
            if result.errors:
                failures.append(f"round {i}: {result.errors}")
            if result.requests == 0:
                failures.append(f"round {i}: no request completed")
            if result.non_2xx:
                failures.append(f"round {i}: {result.non_2xx} non-2xx/3xx responses")
            if server.poll() is not None:
                failures.append(f"the server exited with status {server.returncode}")
                break
        if rss - base > args.rss_growth:
            failures.append(f"RSS grew {rss - base:.1f} MiB after warm-up (bound {args.rss_growth} MiB)")
        if args.idle and server.poll() is None:
            # Twice: the allocator keeps some memory after the first wave closes
            # (not a leak); a leak shows as growth from the first wave to the second.
            settled = []
            for _ in range(2):
                found, after = idle_phase(server.pid, port, target.path, args.idle, cookie)
                failures += found
                settled.append(after)
            if settled[1] - settled[0] > args.rss_growth:
                failures.append(
                    f"RSS after the second idle wave {settled[1]:.1f} MiB vs "
                    f"{settled[0]:.1f} MiB after the first (bound {args.rss_growth} MiB)"
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        err = log_path.read_text(errors="replace")
        shutil.rmtree(data_dir, ignore_errors=True)
    tracebacks = err.count("Traceback")
    if tracebacks:
        failures.append(f"the server logged {tracebacks} traceback(s)")
    for failure in failures:
        print("FAIL:", failure)
    print("soak:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
