"""Child processes of the harness: pinned servers, wrk, line-protocol clients.

Servers are pinned to SERVER_CPU and load generators to LOAD_CPU with
`taskset`; every child gets PYTHONPATH with squall's `packages/*/src` folders.
"""

from __future__ import annotations

import http.client
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import _common

BENCH = _common.BENCH_DIR
SERVER_CPU = "0"
LOAD_CPU = "1"
WRK_CONNECTIONS = 50


def is_squall(name: str) -> bool:
    return name.startswith("squall")


class Unavailable(Exception):
    """A contender's library cannot be imported (exit status 3)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = _common.squall_pythonpath()
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def python_cmd(cpu: str, script: str, *args: str) -> list[str]:
    return ["taskset", "-c", cpu, sys.executable, str(BENCH / script), *args]


def unavailable_reason(stderr: str, name: str) -> str:
    match = re.search(r"UNAVAILABLE: (.*)", stderr)
    detail = match.group(1) if match else stderr.strip()[-200:]
    if is_squall(name):
        return f"not yet available ({detail})"
    return f"not installed ({detail})"


class Server:
    """A server process pinned to one CPU, listening on a free port."""

    def __init__(self, name: str, script: str, args: list[str], cpu: str = SERVER_CPU) -> None:
        self.name = name
        self.port = free_port()
        self.stderr = tempfile.TemporaryFile()
        cmd = python_cmd(cpu, script, *[a.replace("{port}", str(self.port)) for a in args])
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.stderr, env=child_env(),
        )

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the port accepts connections; raise if the process ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                text = self.stderr_text()
                if code == _common.EXIT_UNAVAILABLE:
                    raise Unavailable(unavailable_reason(text, self.name))
                raise RuntimeError(f"exited with status {code} at start-up: {text.strip()[-600:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"did not listen on port {self.port} within {timeout:.0f} s")

    def explain(self, problem: object) -> str:
        """`problem`, followed by the last line the server wrote to stderr."""
        try:
            lines = [line for line in self.stderr_text().splitlines() if line.strip()]
        except ValueError:  # stderr already closed
            lines = []
        if not lines:
            return str(problem)
        last = lines[-1].strip()
        frames = [line.strip() for line in lines if line.strip().startswith('File "')]
        if frames:  # a traceback: say where it was raised, too
            last = f"{frames[-1]}: {last}"
        return f"{problem} (server's last words: {last})"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu(self) -> float:
        """User + system CPU seconds of the process so far (/proc/PID/stat)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state): utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> int:
        """Resident set size in bytes (/proc/PID/status VmRSS)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for pid {self.proc.pid}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


@dataclass
class WrkResult:
    requests: int
    rps: float
    non_2xx: int
    socket_errors: int


def run_wrk(port: int, path: str, duration: float) -> WrkResult:
    cmd = [
        "taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{WRK_CONNECTIONS}",
        f"-d{max(int(duration), 1)}s", "--timeout", "5s", f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 20, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout)


def parse_wrk(text: str) -> WrkResult:
    """Read the request count, req/s and error counts from wrk's report."""
    requests = re.search(r"(\d+) requests in", text)
    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    if not requests or not rps:
        raise RuntimeError(f"could not read wrk's output: {text.strip()}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return WrkResult(
        requests=int(requests.group(1)),
        rps=float(rps.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


class EndpointMissing(RuntimeError):
    """The server answered 404 for a benchmark endpoint."""


def warm_up(port: int, path: str, count: int) -> None:
    """Send `count` requests on one keep-alive connection; check each is a 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(count):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 404:
                raise EndpointMissing(f"GET {path} answered 404 Not Found")
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status} {response.reason}")
    finally:
        conn.close()


class LineChild:
    """A load script that talks the READY/go handshake over stdin/stdout."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=child_env(),
        )

    def expect(self, prefix: str, timeout: float) -> str:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise RuntimeError(f"no {prefix!r} line within {timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line.startswith(prefix):
            rest = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"expected {prefix!r}, got {line!r}: {rest.strip()[-600:]}")
        return line.strip()

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(30)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.kill()
            self.proc.wait()
