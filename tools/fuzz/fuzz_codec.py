"""Coverage-guided fuzzing of the HTTP/1.1 codec with atheris (libFuzzer).

Run through ``tools/fuzz/run.sh`` (it builds ``.venv-fuzz`` with atheris and
the squall packages). Each input is split into a request byte stream and a
list of read sizes; the harness checks the same promises as the hypothesis
suite (tests/robustness/test_fuzz.py):

* any bytes give events or ``HTTPInputError`` with a known status, never
  another exception and never an endless loop;
* how the stream is split into reads never changes the outcome;
* an accepted request head has token field names, values without CR/LF/NUL,
  and never both ``Content-Length`` and ``Transfer-Encoding``.

A crash writes the input to ``crash-*`` in the working directory; replay it
with ``python tools/fuzz/fuzz_codec.py crash-<hash>``.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from squall.httputil import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    RequestHead,
    ResponseStartLine,
)

STATUSES = {400, 413, 414, 417, 431, 501, 505}
_TOKEN_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def run_codec(pieces: list[bytes]) -> list[Any]:
    """Feed ``pieces`` to a server codec and return a comparable event list."""
    codec = HTTP1Codec("server", max_start_line_size=512, max_header_size=2048, max_body_size=4096)
    out: list[Any] = []
    steps = 0
    try:
        for piece in [*pieces, None]:
            if piece is None:
                codec.receive_eof()
            else:
                codec.receive_data(piece)
            while True:
                steps += 1
                if steps > 100_000:
                    raise RuntimeError("the codec makes no progress")
                event = codec.next_event()
                if event is NEED_DATA or isinstance(event, ConnectionClosed):
                    break
                if event is PAUSED:
                    codec.send_head(
                        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"})
                    )
                    codec.send_end()
                    if not codec.keep_alive:
                        return out
                    codec.start_next_cycle()
                    continue
                if isinstance(event, RequestHead):
                    check_head(event)
                    out.append((event.start_line, sorted(event.headers.get_all())))
                elif isinstance(event, Data):
                    if out and isinstance(out[-1], bytes):
                        out[-1] += bytes(event.data)
                    else:
                        out.append(bytes(event.data))
                elif isinstance(event, EndOfMessage):
                    out.append(("end", event.trailers and sorted(event.trailers.get_all())))
                else:
                    out.append(event)
            if isinstance(event, ConnectionClosed):
                break
    except HTTPInputError as error:
        if error.status_code not in STATUSES:
            raise AssertionError(f"unexpected status {error.status_code}") from error
        out.append(error.status_code)
    return out


def check_head(event: RequestHead) -> None:
    names = {k.lower() for k, _ in event.headers.get_all()}
    if {"content-length", "transfer-encoding"} <= names:
        raise AssertionError("a request with both Content-Length and Transfer-Encoding was accepted")
    for name, value in event.headers.get_all():
        if not _TOKEN_NAME.match(name):
            raise AssertionError(f"non-token field name accepted: {name!r}")
        if set(value) & {"\r", "\n", "\x00"}:
            raise AssertionError(f"field value with CR/LF/NUL accepted: {value!r}")
        if value != value.strip(" \t"):
            raise AssertionError(f"field value kept its surrounding whitespace: {value!r}")


def one_input(data: bytes) -> None:
    """The libFuzzer entry point: the first byte picks the read size."""
    if not data:
        return
    size = data[0] % 32 + 1
    stream = data[1:]
    whole = run_codec([stream])
    pieces = [stream[i : i + size] for i in range(0, len(stream), size)] or [b""]
    split = run_codec(pieces)
    if split != whole:
        raise AssertionError(f"split reads changed the outcome: {whole!r} != {split!r}")


SEEDS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=v\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"PUT /y HTTP/1.1\r\nHost: b:80\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"GET http://a/p HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.0\r\n\r\n",
]


def write_seeds(directory: str) -> None:
    """Write the seed corpus (one file per seed, first byte = read size)."""
    import os

    os.makedirs(directory, exist_ok=True)
    for i, seed in enumerate(SEEDS):
        for size in (0, 6):
            with open(os.path.join(directory, f"seed-{i}-{size}"), "wb") as f:
                f.write(bytes([size]) + seed)


def main() -> None:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]  # only in .venv-fuzz (tools/fuzz/run.sh)

    atheris.instrument_all()  # coverage feedback for the already imported squall code
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seeds":
        write_seeds(sys.argv[2])
    else:
        main()
