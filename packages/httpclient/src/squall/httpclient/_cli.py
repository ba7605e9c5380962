"""``python -m squall.httpclient URL ...``: fetch URLs from the command line.

A small debugging tool in the spirit of ``curl -i``: one request per URL,
the status line and headers on request, the body to standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._client import HTTPClient
from ._errors import HTTPClientError
from ._response import HTTPResponse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m squall.httpclient", description="Fetch URLs and print what comes back."
    )
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("-X", "--method", default="GET", help="request method (default GET)")
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable)"
    )
    parser.add_argument("-d", "--data", default=None, help="request body (text, sent as UTF-8)")
    parser.add_argument("-i", "--print-headers", action="store_true", help="print the status line and headers")
    parser.add_argument("--no-body", action="store_true", help="do not print the body")
    parser.add_argument("--no-follow-redirects", action="store_true", help="report a redirect instead of following it")
    parser.add_argument("--no-validate-cert", action="store_true", help="accept any TLS certificate")
    parser.add_argument("--proxy-host", default=None)
    parser.add_argument("--proxy-port", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds for the whole request (default 20)")
    return parser


def _headers(pairs: Sequence[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    headers: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            parser.error(f"--header takes NAME:VALUE, not {pair!r}")
        headers[name.strip()] = value.strip()
    return headers


def _print(response: HTTPResponse, show_headers: bool, show_body: bool) -> None:
    out = sys.stdout.buffer
    if show_headers:
        out.write(f"HTTP/1.1 {response.code} {response.reason}\r\n".encode("latin-1", "replace"))
        for name, value in response.headers.get_all():
            out.write(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        out.write(b"\r\n")
    if show_body:
        out.write(response.body)
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch each URL given on the command line and print the answers.

    Args:
        argv: The arguments (``sys.argv[1:]`` if None).

    Returns:
        The exit status: 0 if every answer was a success (2xx, or 3xx with
        ``--no-follow-redirects``), 1 otherwise. Error answers are printed
        too; failures without an answer (connection, timeout) are reported
        on standard error.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    headers = _headers(args.header, parser)
    status = 0
    client = HTTPClient()
    try:
        for url in args.urls:
            try:
                response = client.fetch(
                    url,
                    method=args.method.upper(),
                    headers=headers,
                    body=None if args.data is None else args.data.encode("utf-8"),
                    follow_redirects=not args.no_follow_redirects,
                    validate_cert=not args.no_validate_cert,
                    proxy_host=args.proxy_host,
                    proxy_port=args.proxy_port,
                    request_timeout=args.timeout,
                    raise_error=False,
                )
            except (HTTPClientError, ValueError, OSError) as exc:
                print(f"{url}: {exc}", file=sys.stderr)
                status = 1
                continue
            if response.code == 599 or response.error is not None and response.code >= 400:
                status = 1
            if response.code == 599:
                print(f"{url}: {response.error}", file=sys.stderr)
                continue
            _print(response, args.print_headers, not args.no_body)
    finally:
        client.close()
    return status
