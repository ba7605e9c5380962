"""Echo benchmark: squall IOStream against asyncio streams, in one process.

Each contender runs an echo server and 50 client connections on one event
loop over 127.0.0.1. Every client writes a fixed-size message and reads the
echo back, a bounded number of times; the figure is messages echoed per
second (client and server work together), and the process CPU time per
message (steadier on a busy machine). Contenders alternate over
interleaved rounds (order rotated each round); the table shows the median,
and the ratio is the median of the per-round ratios IOStream / asyncio.

Each round runs in a fresh interpreter (``--shared`` runs them all in this
one, the earlier method). In one process the contenders share glibc's heap,
and with 64 KiB messages its state decides the result: whether the heap is
trimmed and regrown under a contender (a page fault per 4 KiB each time) or
recv buffers are mmapped and unmapped depends on what ran before, so one
contender's allocations moved the other's figure by up to 3x. A short
warm-up round precedes each measured one in its interpreter.

Usage:
    python tools/bench/bench_iostream.py [--quick] [--json] [--shared]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    from _common import add_squall_paths
except ImportError:  # pragma: no cover - the harness always ships _common
    pass
else:
    add_squall_paths()

from squall.ioloop import IOLoop  # noqa: E402
from squall.iostream import IOStream, StreamClosedError  # noqa: E402
from squall.tcpclient import TCPClient  # noqa: E402
from squall.tcpserver import TCPServer  # noqa: E402

CONNECTIONS = 50


class _EchoServer(TCPServer):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    async def handle_stream(self, stream: IOStream, address: object) -> None:
        stream.set_nodelay(True)
        size = self.size
        try:
            while True:
                data = await stream.read_bytes(size)
                await stream.write(data)
        except StreamClosedError:
            pass


async def squall_round(size: int, per_conn: int) -> float:
    server = _EchoServer(size)
    server.listen(0, "127.0.0.1")
    port = server.bound_ports()[0]
    client = TCPClient()
    message = b"m" * size
    streams = [await client.connect("127.0.0.1", port) for _ in range(CONNECTIONS)]
    for s in streams:
        s.set_nodelay(True)

    async def worker(stream: IOStream) -> None:
        for _ in range(per_conn):
            stream.write(message)
            data = await stream.read_bytes(size)
            if len(data) != size:
                raise RuntimeError("short echo")

    start = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in streams))
    elapsed = time.perf_counter() - start
    for s in streams:
        s.close()
    server.stop()
    await asyncio.sleep(0.01)
    return CONNECTIONS * per_conn / elapsed


async def asyncio_round(size: int, per_conn: int) -> float:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.readexactly(size)
                writer.write(data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    message = b"m" * size
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS)]

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(per_conn):
            writer.write(message)
            data = await reader.readexactly(size)
            if len(data) != size:
                raise RuntimeError("short echo")

    start = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in conns))
    elapsed = time.perf_counter() - start
    for _, w in conns:
        w.close()
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0.01)
    return CONNECTIONS * per_conn / elapsed


CONTENDERS: dict[str, Callable[[int, int], Awaitable[float]]] = {
    "squall": squall_round,
    "asyncio": asyncio_round,
}


def run_round(name: str, size: int, per_conn: int) -> tuple[float, float]:
    """One round: (messages per second, CPU microseconds per message)."""
    loop = IOLoop()
    cpu_start = time.process_time()
    try:
        rate: float = loop.run_sync(lambda: CONTENDERS[name](size, per_conn), timeout=300)
    finally:
        loop.close()
    cpu = time.process_time() - cpu_start
    return rate, cpu * 1e6 / (CONNECTIONS * per_conn)


def run_round_isolated(name: str, size: int, per_conn: int) -> tuple[float, float]:
    """`run_round` in a fresh interpreter, so no contender inherits another's heap."""
    out = subprocess.run(
        [sys.executable, __file__, "--round", name, str(size), str(per_conn)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=dict(os.environ),
    )
    rate, cpu_us = json.loads(out.stdout)
    return float(rate), float(cpu_us)


def run_workload(
    size: int, per_conn: int, rounds: int, isolated: bool = True
) -> dict[str, object]:
    names = list(CONTENDERS)
    samples: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            runner = run_round_isolated if isolated else run_round
            rate, cpu_us = runner(name, size, per_conn)
            samples[name].append(rate)
            cpu[name].append(cpu_us)
    ratios = [s / a for s, a in zip(samples["squall"], samples["asyncio"])]
    # CPU per message includes setup and teardown of the round; on a shared
    # machine it is steadier than wall-clock throughput.
    cpu_ratios = [a / s for s, a in zip(cpu["squall"], cpu["asyncio"])]
    return {
        "message_bytes": size,
        "connections": CONNECTIONS,
        "messages_per_connection": per_conn,
        "messages_per_second": {n: statistics.median(v) for n, v in samples.items()},
        "cpu_us_per_message": {n: statistics.median(v) for n, v in cpu.items()},
        "samples": samples,
        "cpu_samples": cpu,
        "ratio_squall_over_asyncio": statistics.median(ratios),
        "cpu_efficiency_ratio_squall_over_asyncio": statistics.median(cpu_ratios),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 short rounds (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the results")
    parser.add_argument(
        "--shared", action="store_true", help="run every round in this process (the earlier method)"
    )
    parser.add_argument("--round", nargs=3, metavar=("NAME", "SIZE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round:
        name, size, per_conn = args.round[0], int(args.round[1]), int(args.round[2])
        run_round(name, size, max(1, per_conn // 4))  # warm-up: imports, first allocations
        print(json.dumps(run_round(name, size, per_conn)))
        return 0
    rounds = 2 if args.quick else 5
    plan = [(1024, 40 if args.quick else 400), (64 * 1024, 4 if args.quick else 80)]
    results: dict[str, object] = {
        "benchmark": "iostream-echo",
        "python": platform.python_version(),
        "rounds": rounds,
        "isolated_rounds": not args.shared,
        "workloads": {
            f"{size // 1024}KiB": run_workload(size, n, rounds, not args.shared) for size, n in plan
        },
    }
    results["ok"] = True
    if args.json:
        print(json.dumps(results))
        return 0
    for name, data in results["workloads"].items():  # type: ignore[union-attr]
        print(f"{name} messages, {CONNECTIONS} connections, {rounds} rounds:")
        for contender, rate in data["messages_per_second"].items():
            cpu_us = data["cpu_us_per_message"][contender]
            print(
                f"  {contender:8s} {rate:10.0f} messages/s (median)  {cpu_us:7.1f} us CPU/message"
            )
        print(f"  ratio squall/asyncio, messages/s: {data['ratio_squall_over_asyncio']:.2f}x")
        print(
            f"  ratio squall/asyncio, messages per CPU second: "
            f"{data['cpu_efficiency_ratio_squall_over_asyncio']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
