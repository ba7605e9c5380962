"""HTTP client contenders: N GETs sequentially, then N with C in flight.

Usage: python http_clients.py CLIENT --url URL [--requests N] [--concurrency C]

Prints one JSON object: for "sequential" and "concurrent", the wall time and
this process's CPU time (user + system) over the measured requests. A short
unmeasured warm-up runs first, so connection pools and caches are primed as
they would be in a long-running program. A client whose library cannot be
imported exits with status 3.

The squall contenders are the Tornado ones with `tornado` renamed to `squall`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import _common

Fetch = Callable[[], Awaitable[None]]


def need(module: str, what: str, names: tuple[str, ...] = ()) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        _common.unavailable(what, exc)
    missing = [name for name in names if not hasattr(mod, name)]
    if missing:
        _common.unavailable(what, ImportError(f"{module} has no {', '.join(missing)}"))
    return mod


async def run_requests(fetch: Fetch, count: int, concurrency: int) -> dict[str, float]:
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return {"requests": count, "wall": wall1 - wall0, "cpu": cpu1 - cpu0}


async def measure(fetch: Fetch, count: int, concurrency: int) -> dict[str, Any]:
    await run_requests(fetch, max(50, count // 10), concurrency)  # warm-up
    sequential = await run_requests(fetch, count, 1)
    concurrent = await run_requests(fetch, count, concurrency)
    return {"sequential": sequential, "concurrent": concurrent}


async def bench_aiohttp(url: str, count: int, concurrency: int) -> dict[str, Any]:
    aiohttp = need("aiohttp", "aiohttp")
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch() -> None:
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"aiohttp got status {response.status}")

        return await measure(fetch, count, concurrency)


async def bench_httpx(url: str, count: int, concurrency: int) -> dict[str, Any]:
    httpx = need("httpx", "httpx")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch() -> None:
            response = await client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"httpx got status {response.status_code}")

        return await measure(fetch, count, concurrency)


def tornado_api(lib: str, backend: str) -> Callable[[str, int, int], Coroutine[Any, Any, dict[str, Any]]]:
    """A contender written to Tornado's documented AsyncHTTPClient API."""

    async def bench(url: str, count: int, concurrency: int) -> dict[str, Any]:
        httpclient = need(f"{lib}.httpclient", lib, ("AsyncHTTPClient",))
        if backend == "curl":
            need("pycurl", "pycurl")
            need(f"{lib}.curl_httpclient", lib, ("CurlAsyncHTTPClient",))
            impl: str | None = f"{lib}.curl_httpclient.CurlAsyncHTTPClient"
        else:
            need(f"{lib}.simple_httpclient", lib, ("SimpleAsyncHTTPClient",))
            impl = f"{lib}.simple_httpclient.SimpleAsyncHTTPClient"
        httpclient.AsyncHTTPClient.configure(impl, max_clients=concurrency)
        client = httpclient.AsyncHTTPClient()

        async def fetch() -> None:
            response = await client.fetch(url)
            if response.code != 200:
                raise RuntimeError(f"{lib} {backend} client got status {response.code}")

        try:
            return await measure(fetch, count, concurrency)
        finally:
            client.close()

    return bench


CLIENTS: dict[str, Callable[[str, int, int], Coroutine[Any, Any, dict[str, Any]]]] = {
    "aiohttp": bench_aiohttp,
    "httpx": bench_httpx,
    "tornado-simple": tornado_api("tornado", "simple"),
    "tornado-curl": tornado_api("tornado", "curl"),
    "squall-simple": tornado_api("squall", "simple"),
    "squall-curl": tornado_api("squall", "curl"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    _common.add_squall_paths()
    try:
        result: dict[str, Any] = asyncio.run(CLIENTS[args.client](args.url, args.requests, args.concurrency))
    except ImportError as exc:  # e.g. a squall package that imports one not written yet
        _common.unavailable(args.client, exc)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
