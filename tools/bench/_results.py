"""The harness's results model: rows of samples per round, and their summary.

A benchmark has metrics (each lower- or higher-is-better) and rows (one per
contender and variant, e.g. event loop). Each row holds one sample per round
and metric; `summarise` turns that into medians, min-max and the squall/peer
ratio, which is the median of the per-round ratios, so that a slow minute on
the machine affects both sides of each ratio alike.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import report


_T0 = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr, stamped with seconds since the harness started."""
    print(f"[{time.monotonic() - _T0:5.0f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    contender: str
    variant: str = ""  # e.g. the event loop
    info: dict[str, str] = field(default_factory=dict)
    ref: str | None = None  # key of the squall row this peer is compared with
    status: str = "ok"  # ok | skipped | error
    reason: str = ""
    samples: dict[str, list[float | None]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.contender}|{self.variant}"

    def add(self, round_index: int, metric: str, value: float | None) -> None:
        values = self.samples.setdefault(metric, [])
        while len(values) < round_index:
            values.append(None)
        values.append(value)


@dataclass
class Benchmark:
    id: str
    title: str
    metrics: list[dict[str, str]]  # key, label, unit, better ("lower"/"higher")
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


def summarise(bench: Benchmark) -> dict[str, Any]:
    """The JSON form of one benchmark, with medians, ranges and ratios."""
    rows = []
    for row in bench.rows:
        summary: dict[str, Any] = {}
        ratios: dict[str, float | None] = {}
        ref = bench.row(row.ref) if row.ref else None
        for metric in bench.metrics:
            key = metric["key"]
            values = [v for v in row.samples.get(key, []) if v is not None]
            if values:
                summary[key] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                    "n": len(values),
                }
            if ref is not None and ref.status == "ok" and row.status == "ok":
                pairs = [
                    (s, p)
                    for s, p in zip(ref.samples.get(key, []), row.samples.get(key, []))
                    if s is not None and p
                ]
                ratios[key] = statistics.median(s / p for s, p in pairs) if pairs else None
        rows.append(
            {
                "contender": row.contender,
                "variant": row.variant,
                "info": row.info,
                "status": row.status,
                "reason": row.reason,
                "ref": row.ref,
                "samples": row.samples,
                "summary": summary,
                "ratio": ratios,
            }
        )
    return {"id": bench.id, "title": bench.title, "metrics": bench.metrics, "notes": bench.notes, "rows": rows}


class Run:
    """Collects benchmarks, skips and errors for one invocation."""

    def __init__(self) -> None:
        self.benchmarks: list[Benchmark] = []
        self.external: dict[str, Any] = {}
        self.skipped: list[str] = []
        self.errors: list[str] = []

    def skip(self, row: Row, reason: str) -> None:
        if row.status != "skipped":
            row.status, row.reason = "skipped", reason
            line = f"{row.contender}: {reason}"
            if line not in self.skipped:
                self.skipped.append(line)

    def fail(self, row: Row | None, where: str, reason: str) -> None:
        if row is not None:
            row.status, row.reason = "error", reason
        line = f"{where}: {report.one_line(reason, 400)}"
        self.errors.append(line)
        log(f"  ERROR {line}")
