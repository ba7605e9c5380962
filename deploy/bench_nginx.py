"""Throughput of 1 vs 2 (or more) squall processes behind nginx, measured with wrk.

    python deploy/bench_nginx.py                    # 1 and 2 processes, 3 rounds of 5 s
    python deploy/bench_nginx.py --processes 1,2,4 --duration 10 --rounds 5

Each configuration is its own nginx (one worker, rendered from
deploy/nginx.conf) in front of its own ``squall serve --xheaders`` processes
answering a small JSON "hello"; all run at once on free loopback ports and
the rounds interleave the configurations, so a change in the machine's load
hits them alike. Prints requests/second per run, the medians, and each
median's ratio to the one-process median. Needs nginx, wrk and squall
installed; every run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from render_nginx import render_file  # noqa: E402

HELLO = '''
import squall.web


class Hello(squall.web.RequestHandler):
    def get(self):
        self.write({"hello": "world"})


application = squall.web.Application([(r"/", Hello)])
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on port {port}")


class Stack:
    """nginx in front of ``count`` squall processes."""

    def __init__(self, count: int, folder: Path, nginx: str) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        ports = [free_port() for _ in range(count)]
        for port in ports:
            process = subprocess.Popen(
                [sys.executable, "-m", "squall.cli", "serve", "hello:application",
                 "--port", str(port), "--xheaders", "--log-level", "warning"],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            self.processes.append(process)
            wait_for_port(port, process, f"squall on port {port}")
        self.port = free_port()
        own = folder / f"nginx-{count}"
        (own / "temp").mkdir(parents=True)
        config = render_file(
            [f"127.0.0.1:{p}" for p in ports],
            user="root" if os.geteuid() == 0 else "",
            worker_processes="1",
            error_log=str(own / "error.log"),
            pid_file=str(own / "nginx.pid"),
            access_log="off",
            temp_dir=str(own / "temp"),
            listen=f"127.0.0.1:{self.port}",
            static_root=str(own),
        )
        (own / "nginx.conf").write_text(config)
        nginx_process = subprocess.Popen(
            [nginx, "-p", str(own), "-e", str(own / "error.log"), "-c", str(own / "nginx.conf"),
             "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.processes.append(nginx_process)
        wait_for_port(self.port, nginx_process, "nginx")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def run_wrk(wrk: str, url: str, duration: int, connections: int, threads: int) -> float:
    done = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise SystemExit(f"cannot read wrk's output:\n{done.stdout}\n{done.stderr}")
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        print(f"  warning: wrk saw errors:\n{done.stdout}", file=sys.stderr)
    return float(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="configurations (default 1,2)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per configuration (default 3)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.processes.split(",")]
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    wrk = shutil.which("wrk")
    if nginx is None or wrk is None:
        raise SystemExit("needs nginx and wrk: apt-get install -y nginx wrk")

    with tempfile.TemporaryDirectory(prefix="squall-bench-nginx-") as tmp:
        folder = Path(tmp)
        (folder / "hello.py").write_text(HELLO)
        stacks = []
        try:
            for count in counts:
                stacks.append(Stack(count, folder, nginx))
            results: dict[int, list[float]] = {count: [] for count in counts}
            for stack in stacks:  # warm up (connections, caches)
                run_wrk(wrk, f"http://127.0.0.1:{stack.port}/", 1, args.connections, args.threads)
            for round_number in range(1, args.rounds + 1):
                for stack in stacks:
                    rate = run_wrk(wrk, f"http://127.0.0.1:{stack.port}/", args.duration,
                                   args.connections, args.threads)
                    results[stack.count].append(rate)
                    print(f"round {round_number}: {stack.count} process(es): {rate:9.0f} req/s",
                          flush=True)
        finally:
            for stack in stacks:
                stack.stop()

    base = statistics.median(results[counts[0]])
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"{args.rounds} rounds, nginx with 1 worker")
    for count in counts:
        median = statistics.median(results[count])
        print(f"{count} process(es): median {median:9.0f} req/s "
              f"(runs {min(results[count]):.0f} to {max(results[count]):.0f})   "
              f"ratio to {counts[0]}: {median / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
