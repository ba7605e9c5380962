"""HTTP server contenders for the load benchmarks, one per command line.

Usage: python http_servers.py CONTENDER --port PORT --assets DIR [--uvloop]

Every contender listens on 127.0.0.1:PORT and serves the same endpoints:

    /                 "Hello, world!" as text/plain
    /json             {"message": "Hello, world!"}       (frameworks only)
    /page             a 50-row HTML table from a template  (frameworks only)
    /static/bench.txt a 16 KiB file from the framework's static handler
                                                           (frameworks only)

Every response carries the header set Tornado's web stack sends by default
(Date, Server, Content-Type, Content-Length, Etag). The full frameworks
(*-web, uvicorn-starlette) format an access-log line per request, as Tornado's
Application does by default; the raw tier has no access log (Tornado's and
squall's HTTPServer callbacks have none, so uvicorn's and aiohttp's are turned
off there). A contender whose library cannot be
imported exits with status 3 (see `_common.EXIT_UNAVAILABLE`).

The squall contenders are the Tornado contenders with `tornado` renamed to
`squall`: that is the compatibility promise, and it makes the comparison exact.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import _common
from _common import HELLO, HELLO_ETAG, PAGE_ROWS, PAGE_TITLE, TEXT_TYPE

Starter = Callable[[int, Path], Awaitable[None]]
CONTENDERS: dict[str, Starter] = {}


def contender(name: str) -> Callable[[Starter], Starter]:
    def register(fn: Starter) -> Starter:
        CONTENDERS[name] = fn
        return fn

    return register


async def forever() -> None:
    await asyncio.Event().wait()


def need(module: str, what: str, names: tuple[str, ...] = ()) -> Any:
    """Import `module` and check it has `names`, or exit as "unavailable".

    squall's packages exist as empty shells before they are written, so a
    missing public name counts as "not available yet", like a failed import.
    """
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        _common.unavailable(what, exc)
    missing = [name for name in names if not hasattr(mod, name)]
    if missing:
        _common.unavailable(what, ImportError(f"{module} has no {', '.join(missing)}"))
    return mod


# --- (a) the ceiling: a bare asyncio.Protocol with a fixed response ---------


class FixedResponse(asyncio.Protocol):
    """Answers every request head with the same response; no parsing at all.

    It only counts blank lines that end a request head, so it is valid for
    GET requests without a body, which is all the load generators send.
    """

    response = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        count = buffer.count(b"\r\n\r\n")
        if count:
            self.transport.write(FixedResponse.response * count)
            buffer = buffer[buffer.rfind(b"\r\n\r\n") + 4 :]
        self.buffer = buffer


def refresh_fixed_response() -> None:
    FixedResponse.response = (
        "HTTP/1.1 200 OK\r\n"
        f"Date: {_common.http_date()}\r\n"
        "Server: asyncio-protocol\r\n"
        f"Content-Type: {TEXT_TYPE}\r\n"
        f"Content-Length: {len(HELLO)}\r\n"
        f"Etag: {HELLO_ETAG}\r\n"
        "\r\n"
    ).encode("latin-1") + HELLO
    asyncio.get_running_loop().call_later(1.0, refresh_fixed_response)


@contender("asyncio-proto")
async def asyncio_proto(port: int, assets: Path) -> None:
    refresh_fixed_response()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FixedResponse, "127.0.0.1", port)
    async with server:
        await forever()


# --- (b) uvicorn + httptools with a raw ASGI app, (e) uvicorn + Starlette ----


async def serve_uvicorn(app: Any, port: int, access_log: bool) -> None:
    uvicorn = need("uvicorn", "uvicorn")
    need("httptools", "httptools (uvicorn's C parser)")
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="none",
        lifespan="off",
        log_config=None,  # keep our logging set-up: formatted, to /dev/null
        access_log=access_log,
        # uvicorn drops idle keep-alive connections after 5 s by default,
        # which would empty the idle-connections benchmark.
        timeout_keep_alive=600,
    )
    await uvicorn.Server(config).serve()


@contender("uvicorn-raw")
async def uvicorn_raw(port: int, assets: Path) -> None:
    headers = [
        (b"content-type", TEXT_TYPE.encode()),
        (b"content-length", str(len(HELLO)).encode()),
        (b"etag", HELLO_ETAG.encode()),
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": HELLO})

    await serve_uvicorn(app, port, access_log=False)


@contender("uvicorn-starlette")
async def uvicorn_starlette(port: int, assets: Path) -> None:
    need("starlette", "starlette")
    jinja2 = need("jinja2", "jinja2")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(assets)), autoescape=True
    )

    async def hello(request: Request) -> Response:
        return Response(HELLO, media_type="text/plain", headers={"etag": _common.etag_of(HELLO)})

    async def as_json(request: Request) -> Response:
        response = JSONResponse({"message": "Hello, world!"})
        response.headers["etag"] = _common.etag_of(bytes(response.body))
        return response

    async def page(request: Request) -> Response:
        body = env.get_template("page.jinja").render(title=PAGE_TITLE, rows=PAGE_ROWS).encode()
        return Response(body, media_type="text/html", headers={"etag": _common.etag_of(body)})

    app = Starlette(
        routes=[
            Route("/", hello),
            Route("/json", as_json),
            Route("/page", page),
            Mount("/static", StaticFiles(directory=str(assets))),
        ]
    )
    await serve_uvicorn(app, port, access_log=True)


# --- (c) aiohttp: the low-level server and aiohttp.web ----------------------


@contender("aiohttp-raw")
async def aiohttp_raw(port: int, assets: Path) -> None:
    web = need("aiohttp.web", "aiohttp")
    headers = {"Etag": HELLO_ETAG}

    async def handler(request: Any) -> Any:
        return web.Response(body=HELLO, content_type="text/plain", charset="utf-8", headers=headers)

    server = web.Server(handler, access_log=None)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(server, "127.0.0.1", port)
    async with listener:
        await forever()


@contender("aiohttp-web")
async def aiohttp_web(port: int, assets: Path) -> None:
    web = need("aiohttp.web", "aiohttp")
    jinja2 = need("jinja2", "jinja2")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(assets)), autoescape=True
    )

    async def hello(request: Any) -> Any:
        return web.Response(
            body=HELLO,
            content_type="text/plain",
            charset="utf-8",
            headers={"Etag": _common.etag_of(HELLO)},
        )

    async def as_json(request: Any) -> Any:
        body = json.dumps({"message": "Hello, world!"}).encode()
        return web.Response(
            body=body, content_type="application/json", headers={"Etag": _common.etag_of(body)}
        )

    async def page(request: Any) -> Any:
        body = env.get_template("page.jinja").render(title=PAGE_TITLE, rows=PAGE_ROWS).encode()
        return web.Response(
            body=body,
            content_type="text/html",
            charset="utf-8",
            headers={"Etag": _common.etag_of(body)},
        )

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", as_json)
    app.router.add_get("/page", page)
    app.router.add_static("/static", str(assets))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    await forever()


# --- (d) Tornado and (f, g) squall: the same code, module name aside ---------


def raw_callback_server(lib: str) -> Starter:
    """The HTTPServer(callback) contender, written to Tornado's documented API."""

    async def start(port: int, assets: Path) -> None:
        httpserver = need(f"{lib}.httpserver", lib, ("HTTPServer",))
        httputil = need(f"{lib}.httputil", lib, ("ResponseStartLine", "HTTPHeaders"))
        start_line = httputil.ResponseStartLine("HTTP/1.1", 200, "OK")
        server_name = f"{lib}-raw"

        def handle(request: Any) -> None:
            headers = httputil.HTTPHeaders(
                {
                    "Date": _common.http_date(),
                    "Server": server_name,
                    "Content-Type": TEXT_TYPE,
                    "Content-Length": str(len(HELLO)),
                    "Etag": HELLO_ETAG,
                }
            )
            request.connection.write_headers(start_line, headers, HELLO)
            request.connection.finish()

        server = httpserver.HTTPServer(handle)
        server.listen(port, address="127.0.0.1")
        await forever()

    return start


def web_application(lib: str) -> Starter:
    """The web.Application contender, written to Tornado's documented API."""

    async def start(port: int, assets: Path) -> None:
        web = need(f"{lib}.web", lib, ("Application", "RequestHandler"))

        class Hello(web.RequestHandler):  # type: ignore[misc, name-defined]
            def get(self) -> None:
                self.set_header("Content-Type", TEXT_TYPE)
                self.write(HELLO)

        class Json(web.RequestHandler):  # type: ignore[misc, name-defined]
            def get(self) -> None:
                self.write({"message": "Hello, world!"})

        class Page(web.RequestHandler):  # type: ignore[misc, name-defined]
            def get(self) -> None:
                self.render("page.html", title=PAGE_TITLE, rows=PAGE_ROWS)

        app = web.Application(
            [(r"/", Hello), (r"/json", Json), (r"/page", Page)],
            static_path=str(assets),
            template_path=str(assets),
        )
        app.listen(port, address="127.0.0.1")
        await forever()

    return start


CONTENDERS["tornado-raw"] = raw_callback_server("tornado")
CONTENDERS["tornado-web"] = web_application("tornado")
CONTENDERS["squall-raw"] = raw_callback_server("squall")
CONTENDERS["squall-web"] = web_application("squall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--assets", type=Path, required=True)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    _common.add_squall_paths()
    _common.raise_fd_limit()
    _common.configure_access_logging()
    _common.make_asset_dir(args.assets)
    try:
        _common.run_loop(CONTENDERS[args.contender](args.port, args.assets), args.uvloop)
    except ImportError as exc:  # e.g. a squall package that imports one not written yet
        _common.unavailable(args.contender, exc)


if __name__ == "__main__":
    main()
