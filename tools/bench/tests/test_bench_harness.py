"""Tests of the benchmark harness's own logic (not of anyone's speed).

Run: .venv/bin/pytest tools/bench/tests -q
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

import _common  # noqa: E402
import http_servers  # noqa: E402
import idle_conns  # noqa: E402
import report  # noqa: E402
import _procs  # noqa: E402
import _results  # noqa: E402

WRK_REPORT = """\
Running 2s test @ http://127.0.0.1:8000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.01ms  512.00us  10.00ms   90.00%
    Req/Sec    12.50k   400.00    13.00k    80.00%
  24871 requests in 2.00s, 3.50MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  12431.77
Transfer/sec:      1.75MB
"""


def test_parse_wrk_reads_counts_rate_and_errors() -> None:
    result = _procs.parse_wrk(WRK_REPORT)
    assert result.requests == 24871
    assert result.rps == pytest.approx(12431.77)
    assert result.socket_errors == 6
    assert result.non_2xx == 7


def test_parse_wrk_without_error_lines_counts_zero() -> None:
    clean = "\n".join(
        line for line in WRK_REPORT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    result = _procs.parse_wrk(clean)
    assert (result.socket_errors, result.non_2xx) == (0, 0)


def test_parse_wrk_rejects_unreadable_output() -> None:
    with pytest.raises(RuntimeError, match="could not read wrk"):
        _procs.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def make_bench() -> _results.Benchmark:
    bench = _results.Benchmark(
        id="demo",
        title="Demo",
        metrics=[{"key": "cpu_us", "label": "cpu", "unit": "µs", "better": "lower"}],
        rows=[],
    )
    squall = _results.Row("squall-web", "asyncio")
    peer = _results.Row("tornado-web", "asyncio", ref="squall-web|asyncio")
    for i, (s, p) in enumerate([(10.0, 20.0), (30.0, 30.0), (12.0, 48.0)]):
        squall.add(i, "cpu_us", s)
        peer.add(i, "cpu_us", p)
    bench.rows += [squall, peer]
    return bench


def test_summary_ratio_is_median_of_per_round_ratios() -> None:
    summary = _results.summarise(make_bench())
    peer = summary["rows"][1]
    # Per-round ratios 0.5, 1.0, 0.25: their median, not the ratio of medians
    # (12 / 30 = 0.4).
    assert peer["ratio"]["cpu_us"] == pytest.approx(0.5)
    assert peer["summary"]["cpu_us"] == {"median": 30.0, "min": 20.0, "max": 48.0, "n": 3}
    assert summary["rows"][0]["ratio"] == {}


def test_summary_skips_rounds_missing_on_either_side() -> None:
    bench = make_bench()
    bench.rows[0].samples["cpu_us"][0] = None  # squall's first round failed
    peer = _results.summarise(bench)["rows"][1]
    assert peer["ratio"]["cpu_us"] == pytest.approx((1.0 + 0.25) / 2)


def test_no_ratio_when_the_squall_row_did_not_run() -> None:
    bench = make_bench()
    bench.rows[0].status = "skipped"
    assert _results.summarise(bench)["rows"][1]["ratio"] == {}


def test_skips_are_listed_once_and_errors_are_one_line() -> None:
    harness = _results.Run()
    row_a, row_b = _results.Row("squall-web", "asyncio"), _results.Row("squall-web", "uvloop")
    harness.skip(row_a, "not yet available (no Application)")
    harness.skip(row_b, "not yet available (no Application)")
    assert harness.skipped == ["squall-web: not yet available (no Application)"]
    harness.fail(row_a, "http-json squall-web", "Traceback (most recent call last):\n  File x\nValueError: boom")
    assert harness.errors == ["http-json squall-web: ValueError: boom"]
    assert row_a.status == "error"


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


def test_fixed_response_answers_each_request_head_even_when_split() -> None:
    http_servers.FixedResponse.response = b"R"
    proto = http_servers.FixedResponse()
    transport = FakeTransport()
    proto.connection_made(transport)  # type: ignore[arg-type]
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    stream = request * 3
    # Pipelined requests, cut at awkward places (inside the blank line too).
    for piece in (stream[:20], stream[20:27], stream[27:60], stream[60:]):
        proto.data_received(piece)
    assert transport.written == b"RRR"
    assert proto.buffer == b""


def test_http_date_is_an_http_date_for_now() -> None:
    parsed = email.utils.parsedate_to_datetime(_common.http_date())
    assert abs(parsed.timestamp() - time.time()) < 2
    assert _common.http_date().endswith(" GMT")


def test_need_exits_as_unavailable_for_missing_module_or_name() -> None:
    with pytest.raises(SystemExit) as missing_module:
        http_servers.need("no_such_module_for_bench_tests", "nothing")
    assert missing_module.value.code == _common.EXIT_UNAVAILABLE
    with pytest.raises(SystemExit) as missing_name:
        http_servers.need("json", "json", ("no_such_name",))
    assert missing_name.value.code == _common.EXIT_UNAVAILABLE


def test_one_request_waits_for_the_whole_body() -> None:
    async def scenario() -> list[bool]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        proto = idle_conns.OneRequest(done)
        steps = []
        proto.data_received(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n")
        steps.append(done.done())
        proto.data_received(b"\r\nab")
        steps.append(done.done())
        proto.data_received(b"cde")
        steps.append(done.done())
        return steps

    assert asyncio.run(scenario()) == [False, False, True]


def test_server_process_serves_and_reports_cpu_and_memory(tmp_path: Path) -> None:
    server = _procs.Server(
        "asyncio-proto", "http_servers.py", ["asyncio-proto", "--port", "{port}", "--assets", str(tmp_path)]
    )
    try:
        server.wait_ready(timeout=20)
        cpu0 = server.cpu()
        _procs.warm_up(server.port, "/", 300)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/")
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert body == _common.HELLO
        assert {"Date", "Server", "Content-Type", "Content-Length", "Etag"} <= set(response.headers)
        assert server.cpu() >= cpu0
        assert server.rss() > 1_000_000
    finally:
        server.stop()
    assert not server.alive()


def synthetic_result() -> dict[str, Any]:
    bench = make_bench()
    bench.rows.append(_results.Row("aiohttp-web", "asyncio", ref="squall-web|asyncio", status="skipped", reason="not installed\n(no aiohttp)"))
    return {
        "meta": {
            "date": "2026-01-01 00:00 UTC",
            "mode": "quick",
            "elapsed_s": 1.0,
            "settings": {"rounds": 3, "minor_rounds": 3, "duration": 1, "warmup": 10, "loops": ["asyncio"], "wrk_connections": 50},
            "machine": {"cpu": "Test CPU", "cpus": 2, "memory_gb": 1.0, "kernel": "6", "python": "3.11", "loadavg_at_start": 0.5},
            "versions": {"tornado": "6"},
        },
        "benchmarks": [_results.summarise(bench)],
        "external": {
            "template-render": {
                "title": "Template render",
                "status": "ok",
                "result": {
                    "workloads": {
                        "page": {
                            "seconds_per_render": {"squall": 0.001, "jinja2": 0.004},
                            "spread": {"squall": [0.0009, 0.0011], "jinja2": [0.003, 0.005]},
                        }
                    }
                },
            },
            "iostream-echo": {"title": "IOStream echo", "status": "skipped", "reason": "bench_iostream.py not present yet"},
        },
        "skipped": ["aiohttp-web: not installed"],
        "errors": [],
    }


def test_write_docs_renders_tables_ratios_and_charts(tmp_path: Path) -> None:
    report.write_docs(synthetic_result(), tmp_path)
    page = (tmp_path / "benchmarks.md").read_text()
    assert "| **squall-web** |" in page
    assert "0.50×" in page  # the tornado-web ratio from make_bench()
    assert "0.25×" in page  # the template ratio: 1 ms / 4 ms
    assert "not run: (no aiohttp)" in page  # a reason never breaks the table
    assert "bench_iostream.py not present yet" in page
    for name in ("bench-demo.png", "bench-template-render.png"):
        assert (tmp_path / "img" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](img/bench-demo.png)" in page

