"""squall's benchmark harness: squall against its peers, side by side.

Usage (from the repository root, with .venv-bench set up by tools/bench/setup.sh):

    .venv-bench/bin/python tools/bench/run.py            # full run, ~10 minutes
    .venv-bench/bin/python tools/bench/run.py --quick    # smoke run, ~1 minute
    .venv-bench/bin/python tools/bench/run.py --json     # also print JSON on stdout
    .venv-bench/bin/python tools/bench/run.py --only http-hello-raw,ws-echo

Every figure is measured in the same run as the figures it is compared with:
the contenders of one benchmark take turns (A B C A B C ...) for several
rounds, and each table shows the median and the min-max over the rounds, plus
the ratio squall/peer (the median of the per-round ratios). Servers run pinned
to CPU 0 and load generators to CPU 1 (taskset); everything is on 127.0.0.1.

The run writes docs/benchmarks.md and docs/img/bench-*.png (unless --no-docs)
and tools/bench/results/latest.json. It exits 1 when a benchmark could not
run; a contender whose library is missing is skipped and reported instead.
See README.md beside this file for what each benchmark measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common
import report
from _procs import (
    BENCH,
    LOAD_CPU,
    EndpointMissing,
    SERVER_CPU,
    WRK_CONNECTIONS,
    child_env,
    LineChild,
    Server,
    Unavailable,
    is_squall,
    python_cmd,
    run_wrk,
    unavailable_reason,
    warm_up,
)
from _results import Benchmark, Row, Run, log, summarise


# --- settings -----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    quick: bool
    rounds: int  # rounds of the hello-world benchmarks
    minor_rounds: int  # rounds of the others (json, page, static, client, WebSocket)
    duration: int  # seconds of load per HTTP measurement (wrk takes whole seconds)
    warmup: int  # unmeasured requests per contender before a benchmark's first round
    loops: tuple[str, ...]  # event loops for the hello-world benchmarks
    client_requests: int
    ws_messages: int
    ws_connections: int
    idle_count: int
    idle_servers: tuple[str, ...]
    external_timeout: float


def settings_for(args: argparse.Namespace) -> Settings:
    if args.quick:
        base = Settings(
            quick=True,
            rounds=2,
            minor_rounds=1,
            duration=1,
            warmup=200,
            loops=("asyncio",),
            client_requests=200,
            ws_messages=1_000,
            ws_connections=10,
            idle_count=1_000,
            idle_servers=("asyncio-proto", "aiohttp-web", "tornado-web", "uvicorn-starlette", "squall-web"),
            external_timeout=120,
        )
    else:
        base = Settings(
            quick=False,
            rounds=5,
            minor_rounds=3,
            duration=2,
            warmup=1000,
            loops=("asyncio", "uvloop"),
            client_requests=2_000,
            ws_messages=10_000,
            ws_connections=50,
            idle_count=10_000,
            idle_servers=tuple(HTTP_SERVERS),
            external_timeout=600,
        )
    changes: dict[str, Any] = {}
    if args.rounds:
        changes["rounds"] = changes["minor_rounds"] = args.rounds
    if args.duration:
        changes["duration"] = args.duration
    return Settings(**{**base.__dict__, **changes})


# --- contenders -----------------------------------------------------------------


def aiohttp_parser() -> str:
    if os.environ.get("AIOHTTP_NO_EXTENSIONS"):
        return "pure Python (AIOHTTP_NO_EXTENSIONS set)"
    if importlib.util.find_spec("aiohttp") and importlib.util.find_spec("aiohttp._http_parser"):
        return "C (aiohttp's llhttp extension)"
    return "pure Python"


@dataclass(frozen=True)
class HttpServer:
    tier: str  # "raw" or "web"
    parser: str
    label: str


HTTP_SERVERS: dict[str, HttpServer] = {
    "asyncio-proto": HttpServer("raw", "none (fixed response)", "bare asyncio.Protocol (ceiling)"),
    "uvicorn-raw": HttpServer("raw", "C (httptools)", "uvicorn + httptools, raw ASGI app"),
    "aiohttp-raw": HttpServer("raw", aiohttp_parser(), "aiohttp low-level Server"),
    "tornado-raw": HttpServer("raw", "pure Python", "Tornado HTTPServer callback"),
    "squall-raw": HttpServer("raw", "pure Python", "squall HTTPServer callback"),
    "aiohttp-web": HttpServer("web", aiohttp_parser(), "aiohttp.web"),
    "tornado-web": HttpServer("web", "pure Python", "Tornado web.Application"),
    "uvicorn-starlette": HttpServer("web", "C (httptools)", "uvicorn + Starlette"),
    "squall-web": HttpServer("web", "pure Python", "squall web.Application"),
}
RAW = [name for name, s in HTTP_SERVERS.items() if s.tier == "raw"]
WEB = [name for name, s in HTTP_SERVERS.items() if s.tier == "web"]

#: (id, title, path, contenders, uses the hello-world loops)
HTTP_SCENARIOS = [
    ("http-hello-raw", "HTTP hello world: raw servers", "/", RAW, True),
    ("http-hello-web", "HTTP hello world: full frameworks", "/", WEB, True),
    ("http-json", "JSON response", "/json", WEB, False),
    ("http-page", "Templated page (50-row table, autoescaped)", "/page", WEB, False),
    ("http-static", "Static file (16 KiB, framework's static handler)", "/static/bench.txt", WEB, False),
]

HTTP_CLIENTS = ["aiohttp", "httpx", "tornado-simple", "tornado-curl", "squall-simple", "squall-curl"]
WS_SERVERS = ["websockets", "tornado", "squall"]
EXTERNAL = {
    "template-render": ("bench_template.py", "Template render (bench_template.py)"),
    "iostream-echo": ("bench_iostream.py", "IOStream echo (bench_iostream.py)"),
}

ALL_BENCHMARKS = (
    [s[0] for s in HTTP_SCENARIOS] + ["http-client", "ws-echo", "idle-connections"] + list(EXTERNAL)
)


# --- HTTP server benchmarks -----------------------------------------------------


def run_http(run: Run, settings: Settings, only: set[str], assets: Path) -> None:
    scenarios = [s for s in HTTP_SCENARIOS if s[0] in only]
    if not scenarios:
        return
    needed: dict[tuple[str, str], None] = {}
    for _id, _title, _path, contenders, hello in scenarios:
        for loop in settings.loops if hello else ("asyncio",):
            for name in contenders:
                needed[(name, loop)] = None
    log(f"starting {len(needed)} HTTP servers on CPU {SERVER_CPU} ...")
    servers: dict[tuple[str, str], Server] = {}
    start_errors: dict[tuple[str, str], tuple[str, str]] = {}
    for name, loop in needed:
        args = [name, "--port", "{port}", "--assets", str(assets)]
        if loop == "uvloop":
            args.append("--uvloop")
        servers[(name, loop)] = Server(name, "http_servers.py", args)
    for key, server in servers.items():
        try:
            server.wait_ready()
        except Unavailable as exc:
            start_errors[key] = ("skipped", str(exc))
        except RuntimeError as exc:
            start_errors[key] = ("error", str(exc))
    try:
        for bench_id, title, path, contenders, hello in scenarios:
            loops = settings.loops if hello else ("asyncio",)
            bench = Benchmark(
                id=bench_id,
                title=title,
                metrics=[
                    {"key": "cpu_us", "label": "server CPU per request", "unit": "µs", "better": "lower"},
                    {"key": "rps", "label": "requests per second", "unit": "req/s", "better": "higher"},
                    {"key": "util", "label": "server CPU busy", "unit": "%", "better": "info"},
                ],
                rows=[],
            )
            squall_ref = "squall-raw" if contenders is RAW else "squall-web"
            for loop in loops:
                for name in contenders:
                    info = {"parser": HTTP_SERVERS[name].parser, "what": HTTP_SERVERS[name].label}
                    row = Row(name, loop, info, ref=None if is_squall(name) else f"{squall_ref}|{loop}")
                    bench.rows.append(row)
                    if (name, loop) in start_errors:
                        status, reason = start_errors[(name, loop)]
                        if status == "skipped":
                            run.skip(row, reason)
                        else:
                            run.fail(row, f"{bench_id} {name} [{loop}]", reason)
            run.benchmarks.append(bench)
            live = [r for r in bench.rows if r.status == "ok"]
            rounds = settings.rounds if hello else settings.minor_rounds
            log(f"{bench_id}: {len(live)} contenders x {rounds} rounds of {settings.duration} s")
            for row in live:  # warm-up: caches, compiled templates, lazy imports
                try:
                    warm_up(servers[(row.contender, row.variant)].port, path, settings.warmup)
                except EndpointMissing as exc:
                    # squall is being written: a feature that is not there yet
                    # is reported like a missing import; a peer must not 404.
                    if is_squall(row.contender):
                        run.skip(row, f"not yet available ({exc})")
                    else:
                        run.fail(row, f"{bench_id} {row.contender} [{row.variant}] warm-up", str(exc))
                except (OSError, RuntimeError, http.client.HTTPException) as exc:
                    server = servers[(row.contender, row.variant)]
                    run.fail(row, f"{bench_id} {row.contender} [{row.variant}] warm-up", server.explain(exc))
            for round_index in range(rounds):
                # Rotate the order each round so no contender always follows
                # the same neighbour.
                order = [r for r in live if r.status == "ok"]
                if order:
                    shift = round_index % len(order)
                    order = order[shift:] + order[:shift]
                for row in order:
                    measure_http(run, bench, row, servers[(row.contender, row.variant)], path, settings, round_index)
            for row in bench.rows:
                if row.status == "ok":
                    util = [u for u in row.samples.get("util", []) if u is not None]
                    if util and statistics.median(util) < 90:
                        row.info["note"] = "server CPU below 90%: req/s bounded by the load generator or wake-ups"
    finally:
        for server in servers.values():
            server.stop()


def measure_http(
    run: Run, bench: Benchmark, row: Row, server: Server, path: str, settings: Settings, round_index: int
) -> None:
    where = f"{bench.id} {row.contender} [{row.variant}]"
    if not server.alive():
        run.fail(row, where, f"server died: {server.stderr_text().strip()[-600:]}")
        return
    try:
        cpu0, wall0 = server.cpu(), time.perf_counter()
        result = run_wrk(server.port, path, settings.duration)
        cpu1, wall1 = server.cpu(), time.perf_counter()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        run.fail(row, where, server.explain(exc))
        return
    if result.requests == 0:
        run.fail(row, where, "no request completed")
        return
    if result.non_2xx:
        run.fail(row, where, server.explain(f"{result.non_2xx} responses were not 2xx/3xx"))
        return
    if result.socket_errors > max(1, result.requests // 100):
        run.fail(row, where, f"{result.socket_errors} socket errors in {result.requests} requests")
        return
    cpu = cpu1 - cpu0
    row.add(round_index, "cpu_us", cpu / result.requests * 1e6)
    row.add(round_index, "rps", result.rps)
    row.add(round_index, "util", 100 * cpu / (wall1 - wall0))


# --- HTTP client benchmark ------------------------------------------------------


def run_http_client(run: Run, settings: Settings, assets: Path) -> None:
    n = settings.client_requests
    bench = Benchmark(
        id="http-client",
        title=f"HTTP client: {n} GETs against the bare asyncio.Protocol server",
        metrics=[
            {"key": "seq_rps", "label": "sequential", "unit": "req/s", "better": "higher"},
            {"key": "seq_cpu_us", "label": "sequential, client CPU per request", "unit": "µs", "better": "lower"},
            {"key": "conc_rps", "label": f"{WRK_CONNECTIONS} in flight", "unit": "req/s", "better": "higher"},
            {"key": "conc_cpu_us", "label": f"{WRK_CONNECTIONS} in flight, client CPU per request", "unit": "µs", "better": "lower"},
        ],
        rows=[],
        notes=[
            "Clients run pinned to CPU 0 and the server (the bare asyncio.Protocol) to CPU 1.",
            "Tornado's simple client does not reuse connections (one connection per request).",
        ],
    )
    for name in HTTP_CLIENTS:
        ref = None if is_squall(name) else ("squall-curl|" if name.endswith("curl") else "squall-simple|")
        bench.rows.append(Row(name, "", {}, ref=ref))
    run.benchmarks.append(bench)
    # The client is what is measured here, so the CPUs swap roles: the
    # server goes on the load CPU and each client on the server CPU.
    server = Server(
        "asyncio-proto", "http_servers.py",
        ["asyncio-proto", "--port", "{port}", "--assets", str(assets)], cpu=LOAD_CPU,
    )
    try:
        server.wait_ready()
    except (Unavailable, RuntimeError) as exc:
        run.fail(None, "http-client server", str(exc))
        server.stop()
        return
    url = f"http://127.0.0.1:{server.port}/"
    log(f"http-client: {len(HTTP_CLIENTS)} clients x {settings.minor_rounds} rounds of {n} + {n} requests")
    try:
        for round_index in range(settings.minor_rounds):
            for row in bench.rows:
                if row.status != "ok":
                    continue
                cmd = python_cmd(
                    SERVER_CPU, "http_clients.py", row.contender, "--url", url,
                    "--requests", str(n), "--concurrency", str(WRK_CONNECTIONS),
                )
                where = f"http-client {row.contender}"
                try:
                    out = subprocess.run(
                        cmd, capture_output=True, text=True, timeout=180, env=child_env(), check=False
                    )
                except subprocess.TimeoutExpired:
                    run.fail(row, where, "took more than 180 s")
                    continue
                if out.returncode == _common.EXIT_UNAVAILABLE:
                    run.skip(row, unavailable_reason(out.stderr, row.contender))
                    continue
                if out.returncode != 0:
                    run.fail(row, where, f"exit {out.returncode}: {out.stderr.strip()[-600:]}")
                    continue
                data = json.loads(out.stdout.strip().splitlines()[-1])
                for mode, prefix in (("sequential", "seq"), ("concurrent", "conc")):
                    m = data[mode]
                    row.add(round_index, f"{prefix}_rps", m["requests"] / m["wall"])
                    row.add(round_index, f"{prefix}_cpu_us", m["cpu"] / m["requests"] * 1e6)
    finally:
        server.stop()


# --- WebSocket echo ------------------------------------------------------------


def run_ws(run: Run, settings: Settings) -> None:
    m, c = settings.ws_messages, settings.ws_connections
    bench = Benchmark(
        id="ws-echo",
        title=f"WebSocket echo: {m} small messages over {c} connections",
        metrics=[
            {"key": "cpu_us", "label": "server CPU per message", "unit": "µs", "better": "lower"},
            {"key": "mps", "label": "messages per second", "unit": "msg/s", "better": "higher"},
        ],
        rows=[],
        notes=["One client for all servers (the websockets library, compression off), pinned to CPU 1."],
    )
    servers: dict[str, Server] = {}
    for name in WS_SERVERS:
        row = Row(name, "", {}, ref=None if is_squall(name) else "squall|")
        bench.rows.append(row)
        servers[name] = Server(name, "ws_bench.py", ["serve", name, "--port", "{port}"])
    run.benchmarks.append(bench)
    try:
        for row in bench.rows:
            try:
                servers[row.contender].wait_ready()
            except Unavailable as exc:
                run.skip(row, str(exc))
            except RuntimeError as exc:
                run.fail(row, f"ws-echo {row.contender}", str(exc))
        log(f"ws-echo: {sum(r.status == 'ok' for r in bench.rows)} servers x {settings.minor_rounds} rounds")
        for round_index in range(settings.minor_rounds):
            for row in bench.rows:
                if row.status != "ok":
                    continue
                server = servers[row.contender]
                where = f"ws-echo {row.contender}"
                child = LineChild(python_cmd(
                    LOAD_CPU, "ws_bench.py", "client", "--url", f"ws://127.0.0.1:{server.port}/ws",
                    "--messages", str(m), "--connections", str(c),
                ))
                try:
                    child.expect("READY", 60)
                    cpu0 = server.cpu()
                    child.go()
                    data = json.loads(child.expect("{", 120 + m / 100))
                    cpu1 = server.cpu()
                    child.go()
                except (RuntimeError, ValueError, OSError) as exc:
                    run.fail(row, where, server.explain(exc))
                    child.proc.kill()
                    continue
                finally:
                    child.finish()
                row.add(round_index, "cpu_us", (cpu1 - cpu0) / data["messages"] * 1e6)
                row.add(round_index, "mps", data["messages"] / data["wall"])
    finally:
        for server in servers.values():
            server.stop()


# --- idle connections --------------------------------------------------------


def run_idle(run: Run, settings: Settings, assets: Path) -> None:
    n = settings.idle_count
    bench = Benchmark(
        id="idle-connections",
        title=f"{n:,} idle keep-alive connections: server memory per connection",
        metrics=[{"key": "kib", "label": "RSS per idle connection", "unit": "KiB", "better": "lower"}],
        rows=[],
        notes=[
            "Each connection made one request and stays open; RSS growth of the server divided by the count.",
            "One round: memory does not drift with the machine's load as timings do.",
        ],
    )
    run.benchmarks.append(bench)
    log(f"idle-connections: {len(settings.idle_servers)} servers x {n} connections")
    # Every server starts now (in parallel) and each is measured in its turn;
    # none has served anything before its turn.
    servers = {
        name: Server(name, "http_servers.py", [name, "--port", "{port}", "--assets", str(assets)])
        for name in settings.idle_servers
    }
    try:
        for name, server in servers.items():
            ref = None if is_squall(name) else f"{'squall-raw' if HTTP_SERVERS[name].tier == 'raw' else 'squall-web'}|"
            row = Row(name, "", {"what": HTTP_SERVERS[name].label}, ref=ref)
            bench.rows.append(row)
            measure_idle(run, row, server, n)
            server.stop()
    finally:
        for server in servers.values():
            server.stop()


def measure_idle(run: Run, row: Row, server: Server, n: int) -> None:
    where = f"idle-connections {row.contender}"
    try:
        server.wait_ready()
    except Unavailable as exc:
        run.skip(row, str(exc))
        return
    except RuntimeError as exc:
        run.fail(row, where, str(exc))
        return
    child = LineChild(python_cmd(LOAD_CPU, "idle_conns.py", "--port", str(server.port), "--count", str(n)))
    try:
        child.expect("BASELINE", 60)
        rss0 = server.rss()
        child.go()
        held = json.loads(child.expect("HOLDING", 120).removeprefix("HOLDING"))
        rss1 = server.rss()
        if not server.alive():
            raise RuntimeError("server died while holding the connections")
        if held["open"] < n:
            raise RuntimeError(f"only {held['open']} of {n} connections stayed open")
        child.go()
        row.add(0, "kib", (rss1 - rss0) / n / 1024)
    except (RuntimeError, ValueError, OSError) as exc:
        run.fail(row, where, server.explain(exc))
        child.proc.kill()
    finally:
        child.finish()


# --- benchmarks written by other scripts ----------------------------------------


def run_external(run: Run, settings: Settings, bench_id: str) -> None:
    script, title = EXTERNAL[bench_id]
    path = BENCH / script
    if not path.exists():
        run.skipped.append(f"{bench_id}: {script} not present yet")
        run.external[bench_id] = {"title": title, "status": "skipped", "reason": f"{script} not present yet"}
        return
    args = ["--json"] + (["--quick"] if settings.quick else [])
    log(f"{bench_id}: {script} {' '.join(args)}")
    try:
        out = subprocess.run(
            [sys.executable, str(path), *args], capture_output=True, text=True,
            timeout=settings.external_timeout, env=child_env(), check=False,
        )
    except subprocess.TimeoutExpired:
        run.fail(None, bench_id, f"{script} took more than {settings.external_timeout:.0f} s")
        run.external[bench_id] = {"title": title, "status": "error", "reason": "timeout"}
        return
    if out.returncode != 0:
        reason = f"{script} exited {out.returncode}: {out.stderr.strip()[-600:]}"
        run.fail(None, bench_id, reason)
        run.external[bench_id] = {"title": title, "status": "error", "reason": reason}
        return
    try:
        data = json.loads(out.stdout)
    except ValueError:
        try:
            data = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            run.fail(None, bench_id, f"{script} printed no JSON object: {exc}")
            run.external[bench_id] = {"title": title, "status": "error", "reason": "no JSON"}
            return
    run.external[bench_id] = {"title": title, "status": "ok", "result": data}


# --- metadata and entry point ------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg()[0],
    }


PEER_DISTRIBUTIONS = [
    "tornado", "aiohttp", "uvicorn", "httptools", "starlette", "jinja2", "httpx",
    "pycurl", "websockets", "uvloop",
]


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in PEER_DISTRIBUTIONS:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = "not installed"
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        match = re.search(r"wrk (\S+)", out.stdout + out.stderr)
        found["wrk"] = match.group(1) if match else "unknown"
    else:
        found["wrk"] = "not installed"
    try:
        rev = subprocess.run(
            ["git", "-C", str(_common.REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()
    except OSError:
        rev = ""
    found["squall"] = f"work tree at {rev}" if rev else "work tree"
    return found


def check_tools() -> list[str]:
    problems = []
    if not shutil.which("wrk"):
        problems.append("wrk is not installed (run tools/bench/setup.sh, or apt-get install -y wrk)")
    if not shutil.which("taskset"):
        problems.append("taskset is not installed (util-linux)")
    if (os.cpu_count() or 1) < 2:
        problems.append("this machine has one CPU: server and load generator cannot be pinned apart")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="squall benchmarks against its peers.")
    parser.add_argument("--quick", action="store_true", help="a one-minute smoke run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(ALL_BENCHMARKS)}")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--duration", type=int, help="override seconds of load per HTTP measurement")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md and charts")
    args = parser.parse_args(argv)
    only = set(ALL_BENCHMARKS)
    if args.only:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = only - set(ALL_BENCHMARKS)
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL_BENCHMARKS)}")
    problems = check_tools()
    if problems:
        for problem in problems:
            log(f"cannot run: {problem}")
        return 2
    settings = settings_for(args)
    started = time.monotonic()
    run = Run()
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if settings.quick else "full",
        "settings": settings.__dict__ | {"wrk_connections": WRK_CONNECTIONS},
        "machine": machine(),
        "versions": versions(),
    }
    with tempfile.TemporaryDirectory(prefix="squall-bench-") as tmp:
        assets = _common.make_asset_dir(Path(tmp))
        run_http(run, settings, only, assets)
        if "http-client" in only:
            run_http_client(run, settings, assets)
        if "ws-echo" in only:
            run_ws(run, settings)
        if "idle-connections" in only:
            run_idle(run, settings, assets)
    for bench_id in EXTERNAL:
        if bench_id in only:
            run_external(run, settings, bench_id)
    meta["elapsed_s"] = round(time.monotonic() - started, 1)
    result = {
        "meta": meta,
        "benchmarks": [summarise(b) for b in run.benchmarks],
        "external": run.external,
        "skipped": run.skipped,
        "errors": run.errors,
    }
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "latest.json").write_text(json.dumps(result, indent=1))
    if not args.no_docs:
        report.write_docs(result, _common.REPO_ROOT / "docs")
        log("wrote docs/benchmarks.md and docs/img/bench-*.png")
    if args.json:
        print(json.dumps(result, indent=1))
    log(f"done in {meta['elapsed_s']} s: {len(run.skipped)} skipped, {len(run.errors)} errors")
    for line in run.skipped:
        log(f"  skipped {line}")
    for line in run.errors:
        log(f"  ERROR {line}")
    return 1 if run.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
