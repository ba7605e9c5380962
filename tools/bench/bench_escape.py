"""Micro-benchmarks for squall.escape's hot-path functions.

Run from the repository root:

    .venv/bin/python tools/bench/bench_escape.py
    PYTHONPATH=packages/escape/src .venv-bench/bin/python tools/bench/bench_escape.py

Part 1 times the implementation strategies considered for xhtml_escape and
url_escape (the choice in the code cites this file). Part 2 times squall
against Tornado, when Tornado is importable, and prints the ratio; since one
machine's absolute figures drift, only the ratios in a single run mean much.
This is a tool: no test asserts on its numbers.
"""

from __future__ import annotations

import html
import importlib
import re
import sys
import timeit
import urllib.parse
from collections.abc import Callable
from functools import partial
from typing import Any

from squall import escape

SAMPLES: dict[str, str] = {
    "short plain": "Hello, world",
    "short markup": "<a href=\"x\">Tom & Jerry's</a>",
    "para plain": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20,
    "para markup": "Lorem <b>ipsum</b> dolor & sit \"amet\", it's " * 20,
    "non-ascii": "\u041f\u0440\u0438\u0432\u0435\u0442 <\u043c\u0438\u0440> & \u4e16\u754c " * 20,
}
URL_SAMPLES: dict[str, str] = {
    "word": "hello",
    "query value": "hello world & more",
    "path": "/a/b/c.html",
    "non-ascii": "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "long": "some text with spaces, and punctuation! " * 10,
}


def best_ns(func: Callable[[], Any], number: int = 20_000, repeat: int = 7) -> float:
    """Best-of-``repeat`` time of one call, in nanoseconds."""
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e9


def _escape_candidates() -> dict[str, Callable[[str], str]]:
    table = str.maketrans(
        {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
    )
    pattern = re.compile(r"""[&<>"']""")
    refs = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}

    def translate(value: str) -> str:
        return value.translate(table)

    def regex(value: str) -> str:
        return pattern.sub(lambda m: refs[m.group()], value)

    return {
        "replace chain (squall)": escape.xhtml_escape,
        "str.translate": translate,
        "re.sub": regex,
        "html.escape": html.escape,
    }


def _url_candidates() -> dict[str, Callable[[str], str]]:
    def stdlib(value: str) -> str:
        return urllib.parse.quote_plus(value.encode("utf-8"))

    return {"byte table (squall)": escape.url_escape, "urllib quote_plus": stdlib}


def compare_strategies() -> None:
    print("== xhtml_escape strategies (ns per call) ==")
    candidates = _escape_candidates()
    print(f"{'sample':15s}" + "".join(f"{name:>24s}" for name in candidates))
    for label, sample in SAMPLES.items():
        results = [best_ns(partial(f, sample)) for f in candidates.values()]
        print(f"{label:15s}" + "".join(f"{r:24.0f}" for r in results))
    print("\n== url_escape strategies (ns per call) ==")
    url_candidates = _url_candidates()
    print(f"{'sample':15s}" + "".join(f"{name:>24s}" for name in url_candidates))
    for label, sample in URL_SAMPLES.items():
        results = [best_ns(partial(f, sample)) for f in url_candidates.values()]
        print(f"{label:15s}" + "".join(f"{r:24.0f}" for r in results))


def compare_with_tornado() -> None:
    try:
        peer: Any = importlib.import_module("tornado.escape")
    except ImportError:
        print("\n(tornado is not importable here; run with .venv-bench for part 2)")
        return
    payload = {"user": {"id": 42, "name": "</script>"}, "items": list(range(20))}
    cases: list[tuple[str, str, tuple[Any, ...]]] = [
        ("xhtml_escape", "short markup", (SAMPLES["short markup"],)),
        ("xhtml_escape", "para markup", (SAMPLES["para markup"],)),
        ("xhtml_escape", "para plain", (SAMPLES["para plain"],)),
        ("xhtml_unescape", "entities", ("&lt;p&gt;Caf&eacute; &amp; co&#46;&lt;/p&gt;" * 5,)),
        ("url_escape", "query value", (URL_SAMPLES["query value"],)),
        ("url_escape", "word", (URL_SAMPLES["word"],)),
        ("url_escape", "non-ascii", (URL_SAMPLES["non-ascii"],)),
        ("url_unescape", "query", ("hello+world%20%26+more%C3%A9",)),
        ("utf8", "str", ("hello world",)),
        ("utf8", "bytes", (b"hello world",)),
        ("to_unicode", "bytes", (b"hello world",)),
        ("json_encode", "dict", (payload,)),
        ("squeeze", "text", ("  a  lot   of\n\n  space  " * 5,)),
        ("linkify", "text", ("see http://example.com/a?b=1 and www.example.org." * 3,)),
    ]
    print("\n== squall vs tornado (ns per call; ratio < 1 means squall is faster) ==")
    for name, label, args in cases:
        ours = getattr(escape, name)
        theirs = getattr(peer, name)
        number = 2_000 if name == "linkify" else 20_000
        a = best_ns(partial(ours, *args), number=number)
        b = best_ns(partial(theirs, *args), number=number)
        print(f"{name:15s} {label:13s} squall {a:8.0f}  tornado {b:8.0f}  ratio {a / b:5.2f}")


if __name__ == "__main__":
    print(f"Python {sys.version.split()[0]}")
    compare_strategies()
    compare_with_tornado()
