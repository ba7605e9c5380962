"""Render the harness's results as docs/benchmarks.md and bar charts.

Usage: python report.py [RESULTS_JSON]   (default: results/latest.json)

run.py calls `write_docs` after a run; running this file alone re-renders the
page from a saved result without measuring anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import _common

SQUALL_COLOUR = "#1f6feb"
PEER_COLOUR = "#9aa4ae"


def fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_cell(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "–"
    return f"{fmt(summary['median'])} ({fmt(summary['min'])}–{fmt(summary['max'])})"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def row_label(row: dict[str, Any]) -> str:
    label = str(row["contender"])
    if row["variant"] and row["variant"] != "asyncio":
        label += f" [{row['variant']}]"
    return label


def table(bench: dict[str, Any]) -> list[str]:
    metrics = bench["metrics"]
    has_ref = any(row["ref"] for row in bench["rows"])
    has_loop = any(row["variant"] for row in bench["rows"])
    has_parser = any("parser" in row["info"] for row in bench["rows"])
    head = ["contender"]
    if has_loop:
        head.append("loop")
    if has_parser:
        head.append("HTTP parser")
    for m in metrics:
        if m["better"] in ("lower", "higher"):
            head.append(f"{m['label']} ({m['unit']}, {m['better']} is better)")
        else:
            head.append(f"{m['label']} ({m['unit']})")
    ratio_metrics = [m for m in metrics if m["key"] != "util"]
    if has_ref:
        for m in ratio_metrics:
            head.append(f"squall/peer {m['label']}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in bench["rows"]:
        name = f"**{row['contender']}**" if row["contender"].startswith("squall") else row["contender"]
        cells = [name]
        if has_loop:
            cells.append(row["variant"])
        if has_parser:
            cells.append(row["info"].get("parser", ""))
        if row["status"] != "ok":
            status = "not run" if row["status"] == "skipped" else "**failed**"
            cells.append(f"{status}: {one_line(row['reason'])}")
            cells += [""] * (len(head) - len(cells))
        else:
            for m in metrics:
                cell = fmt_cell(row["summary"].get(m["key"]))
                if m["key"] == "rps" and "note" in row["info"]:
                    cell += " †"
                cells.append(cell)
            if has_ref:
                for m in ratio_metrics:
                    cells.append(fmt_ratio(row["ratio"].get(m["key"])) if row["ref"] else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def chart(bench: dict[str, Any], out: Path) -> bool:
    """Draw one horizontal bar chart per metric (util aside); False if no data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in bench["rows"] if r["status"] == "ok" and r["summary"]]
    metrics = [m for m in bench["metrics"] if m["key"] != "util"]
    if not rows:
        return False
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.2 * len(metrics) + 1.5, 0.42 * len(rows) + 1.4), squeeze=False
    )
    labels = [row_label(r) for r in rows]
    colours = [SQUALL_COLOUR if r["contender"].startswith("squall") else PEER_COLOUR for r in rows]
    for ax, metric in zip(axes[0], metrics):
        medians, lows, highs = [], [], []
        for r in rows:
            s = r["summary"].get(metric["key"])
            medians.append(s["median"] if s else 0)
            lows.append(s["median"] - s["min"] if s else 0)
            highs.append(s["max"] - s["median"] if s else 0)
        positions = list(range(len(rows)))
        ax.barh(positions, medians, xerr=[lows, highs], color=colours, capsize=3)
        ax.set_yticks(positions)
        ax.set_yticklabels(labels if ax is axes[0][0] else [""] * len(rows), fontsize=8)
        ax.invert_yaxis()
        better = "lower" if metric["better"] == "lower" else "higher"
        ax.set_title(f"{metric['label']}\n({metric['unit']}, {better} is better)", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(bench["title"], fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return True


def one_line(text: str, limit: int = 240) -> str:
    """The last non-empty line of `text` (an exception's message), table-safe."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    line = line.replace("|", "/")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def numeric_dicts(workload: dict[str, Any]) -> list[str]:
    """Keys of `workload` that map contender names to numbers (the metrics)."""
    return [
        key
        for key, value in workload.items()
        if key != "ratios"
        and isinstance(value, dict)
        and value
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
    ]


def metric_label(key: str) -> tuple[str, float]:
    """A readable label for a metric key, and the factor to display it with."""
    if key.startswith("seconds_"):
        return "µs " + key[len("seconds_"):].replace("_", " "), 1e6
    return key.replace("_", " "), 1.0


def lower_is_better(key: str) -> bool:
    """Times are lower-is-better; rates ("..._per_second") higher-is-better."""
    return not key.endswith("per_second")


def workloads_section(bench_id: str, result: dict[str, Any], img: Path) -> list[str]:
    """Tables (and a chart) for a result shaped {"workloads": {name: {metric:
    {contender: value}, "spread": {contender: [min, max]}, ...}}}, as the
    stand-alone scripts print. The first metric is the headline one."""
    lines: list[str] = []
    chart_rows: list[tuple[str, str, list[tuple[str, float, float, float]]]] = []
    for name, workload in result["workloads"].items():
        if not isinstance(workload, dict):
            continue
        keys = numeric_dicts(workload)
        if not keys:
            continue
        primary = keys[0]
        label, factor = metric_label(primary)
        better = "lower" if lower_is_better(primary) else "higher"
        spread = dict(workload.get("spread") or {})
        for c, values in (workload.get("samples") or {}).items():
            if c not in spread and isinstance(values, list) and values:
                spread[c] = [min(values), max(values)]
        contenders = list(workload[primary])
        squall = next((c for c in contenders if c.startswith("squall")), None)
        head = ["contender", f"{label} (median, min–max; {better} is better)"]
        head += [metric_label(k)[0] for k in keys[1:]]
        if squall:
            head.append(f"squall/peer {label}")
        lines += [f"**{name}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        bars = []
        for c in contenders:
            value = workload[primary][c] * factor
            lo, hi = (spread.get(c) or [workload[primary][c]] * 2)[:2]
            cells = [f"**{c}**" if c == squall else c, f"{fmt(value)} ({fmt(lo * factor)}–{fmt(hi * factor)})"]
            for k in keys[1:]:
                v = workload[k].get(c)
                cells.append(fmt(v * metric_label(k)[1]) if isinstance(v, (int, float)) else "–")
            if squall:
                cells.append("" if c == squall else fmt_ratio(workload[primary][squall] / workload[primary][c]))
            lines.append("| " + " | ".join(cells) + " |")
            bars.append((c, value, lo * factor, hi * factor))
        extras = [f"{k}: {v}" for k, v in workload.items() if isinstance(v, (bool, str, int)) and k not in keys]
        lines += [""] + ([f"({'; '.join(extras)})", ""] if extras else [])
        chart_rows.append((name, f"{label}, {better} is better", bars))
    if chart_rows and workload_chart(result.get("benchmark", bench_id), chart_rows, img / f"bench-{bench_id}.png"):
        lines = [f"![{bench_id}](img/bench-{bench_id}.png)", ""] + lines
    return lines


def workload_chart(
    title: str, panels: list[tuple[str, str, list[tuple[str, float, float, float]]]], out: Path
) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = max(len(bars) for _, _, bars in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.5, 0.42 * height + 1.4), squeeze=False)
    for ax, (name, label, bars) in zip(axes[0], panels):
        positions = list(range(len(bars)))
        ax.barh(
            positions,
            [b[1] for b in bars],
            xerr=[[max(b[1] - b[2], 0) for b in bars], [max(b[3] - b[1], 0) for b in bars]],
            color=[SQUALL_COLOUR if b[0].startswith("squall") else PEER_COLOUR for b in bars],
            capsize=3,
        )
        ax.set_yticks(positions)
        ax.set_yticklabels([b[0] for b in bars], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{name}\n({label})", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return True


def external_section(bench_id: str, entry: dict[str, Any], img: Path) -> list[str]:
    lines = [f"### {entry['title']}", ""]
    if entry["status"] != "ok":
        lines += [f"Not run: {one_line(entry['reason'])}", ""]
        return lines
    result = entry["result"]
    rows = result.get("rows") or result.get("results") if isinstance(result, dict) else None
    if isinstance(result, dict) and isinstance(result.get("markdown"), str):
        lines += [result["markdown"].rstrip(), ""]
    elif isinstance(result, dict) and isinstance(result.get("workloads"), dict):
        lines += workloads_section(bench_id, result, img)
    elif isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rows:
            cells = [fmt(v) if isinstance(v, float) else str(v) for v in (r.get(k, "") for k in keys)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    else:
        lines += ["```json", json.dumps(result, indent=1), "```", ""]
    return lines


INTRO = """\
# Benchmarks

squall measured against its peers on one machine, in one run. Absolute
timings on a shared machine drift from minute to minute, so every figure here
is compared only with figures taken in the same run: the contenders of a
benchmark take turns (A B C A B C ...) for several rounds, and each cell shows
the **median (min–max)** over the rounds. The **squall/peer** columns are the
median of the per-round ratios: below 1× means squall uses less (CPU, memory),
above 1× for req/s means squall serves more.

How to read the HTTP server tables. On a 2-vCPU machine the requests per
second of a fast server are bounded by wake-ups between the two vCPUs and swing
2–3× between rounds, while the **server's CPU time per request** (user + system
from `/proc/PID/stat` over the measured run, divided by the requests served)
stays within about 10 %. CPU per request is the figure to compare; req/s is
trustworthy only where the server's CPU was near 100 % busy (a † marks rows
below 90 %).

Like with like: every server sends the header set Tornado's web stack sends by
default (Date, Server, Content-Type, Content-Length, Etag; the frameworks that
do not compute an Etag compute one in the handler, as Tornado does). Every full
framework formats an access-log line per request, as Tornado's Application does
by default (formatted, then written to the null device); the raw tier logs
nothing (Tornado's and squall's HTTPServer callbacks have no access log, so
uvicorn's and aiohttp's are turned off there). The **HTTP parser** column says
which contenders parse HTTP in C: uvicorn (httptools) and aiohttp (its llhttp
extension) do; Tornado and squall parse in pure Python.

squall contenders are the Tornado contenders with `tornado` renamed to
`squall`, line for line. A contender whose library is not installed, or a
squall part not written yet (a failed import, or a 404 for a benchmark's
endpoint), is listed as "not run" and does not fail the run.
"""


def write_docs(result: dict[str, Any], docs: Path) -> None:
    """Write docs/benchmarks.md and docs/img/bench-<id>.png from `result`."""
    meta = result["meta"]
    img = docs / "img"
    img.mkdir(parents=True, exist_ok=True)
    for old in img.glob("bench-*.png"):
        old.unlink()
    m = meta["machine"]
    s = meta["settings"]
    lines = [INTRO]
    lines += [
        "## This run",
        "",
        f"- **Date:** {meta['date']} ({meta['mode']} run, {meta['elapsed_s']} s)",
        f"- **Machine:** {m['cpus']} vCPU {m['cpu']}, {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; load average {m['loadavg_at_start']:.2f} at start",
        f"- **Settings:** {s['rounds']} rounds of the hello-world benchmarks, "
        f"{s.get('minor_rounds', s['rounds'])} of the others; wrk with {s['wrk_connections']} keep-alive connections, "
        f"{s['duration']} s per measurement after a warm-up of {s['warmup']} requests; event loops "
        f"{', '.join(s['loops'])}; server on CPU 0, load generator on CPU 1 (`taskset`), 127.0.0.1 only",
        "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    if meta["mode"] == "quick":
        lines += [
            "!!! warning \"Smoke run\"",
            "    These figures come from `make bench-quick`: one or two short rounds, no",
            "    uvloop variants, smaller client, WebSocket and idle-connection counts. They",
            "    show that every benchmark runs; use `make bench` for figures to quote.",
            "",
        ]
    lines += [
        "!!! note \"Noise\"",
        "    This machine is shared (other work runs on the same two vCPUs), so",
        "    absolute figures and req/s in particular are noisy. The interleaved rounds",
        "    and the CPU-per-request figures are there to make the comparison hold anyway.",
        "",
    ]
    if result["errors"]:
        lines += ["**Benchmarks that failed in this run:**", ""]
        lines += [f"- {one_line(e, 400)}" for e in result["errors"]] + [""]
    if result["skipped"]:
        lines += ["**Not run (library not installed, or squall part not written yet):**", ""]
        lines += [f"- {one_line(e, 400)}" for e in result["skipped"]] + [""]
    lines += ["## Results", ""]
    for bench in result["benchmarks"]:
        lines += [f"### {bench['title']}", ""]
        if chart(bench, img / f"bench-{bench['id']}.png"):
            lines += [f"![{bench['title']}](img/bench-{bench['id']}.png)", ""]
        lines += table(bench) + [""]
        notes = list(bench["notes"])
        if any("note" in r["info"] for r in bench["rows"]):
            notes.append("† the server's CPU was below 90 % busy: its req/s is bounded by "
                         "the load generator or by cross-CPU wake-ups, not by the server.")
        lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    for bench_id, entry in result["external"].items():
        lines += external_section(bench_id, entry, img)
    lines += [
        "## How to reproduce",
        "",
        "```sh",
        "make bench         # full run, about 10 minutes; rewrites this page",
        "make bench-quick   # one-minute smoke run",
        "```",
        "",
        "Both install what they need first (`tools/bench/setup.sh`: the peers in",
        "`.venv-bench`, `wrk` from Debian) and then run `tools/bench/run.py`. Add",
        "`--json` for machine-readable output or `--only http-hello-raw,ws-echo` for a",
        "subset; `tools/bench/README.md` describes each benchmark.",
        "",
    ]
    (docs / "benchmarks.md").write_text("\n".join(lines))


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else _common.BENCH_DIR / "results" / "latest.json"
    write_docs(json.loads(path.read_text()), _common.REPO_ROOT / "docs")


if __name__ == "__main__":
    main()
