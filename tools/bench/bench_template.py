"""Template rendering: squall.template against Jinja2 and Tornado's template module.

Two workloads, each rendered by the three engines in interleaved batches
(A B C A B C ...) so that machine drift hits all of them alike; the figure is
the median time per render over the batches.

- bigtable: the classic 1000 rows x 10 cells table, every cell autoescaped.
- page: a realistic page: a two-level inheritance chain (page -> layout ->
  base), a loop over 100 items that includes an item template, and user
  strings that need escaping.

squall's output must be byte-identical to Tornado's for the same template and
data; a mismatch is reported (and makes the script exit 1).

Run it with the peers' venv:

    .venv-bench/bin/python tools/bench/bench_template.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
try:
    import squall.template  # noqa: F401
except ImportError:
    sys.path.insert(0, str(REPO_ROOT / "packages" / "template" / "src"))

import squall.template as squall_template  # noqa: E402

try:
    import jinja2
except ImportError:  # pragma: no cover - depends on the environment
    jinja2 = None
try:
    import tornado.template as tornado_template
except ImportError:  # pragma: no cover - depends on the environment
    tornado_template = None

# --- workload 1: bigtable -----------------------------------------------------

BIGTABLE = [dict(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9, j=10) for _ in range(1000)]

BIGTABLE_TORNADO = """<table>
{% for row in table %}<tr>
{% for key, value in row.items() %}<td>{{ key }}</td><td>{{ value }}</td>{% end %}
</tr>
{% end %}</table>
"""

BIGTABLE_JINJA = """<table>
{% for row in table %}<tr>
{% for key, value in row.items() %}<td>{{ key }}</td><td>{{ value }}</td>{% endfor %}
</tr>
{% endfor %}</table>
"""

# --- workload 2: a page with inheritance and includes --------------------------

PAGE_TORNADO = {
    "base.html": """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{% block title %}Shop{% end %}</title>
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <header><a href="/">{{ site_name }}</a> <span class="user">{{ user["name"] }}</span></header>
  {% block body %}{% end %}
  <footer>{% block footer %}&copy; {{ year }} {{ site_name }}{% end %}</footer>
</body>
</html>
""",
    "layout.html": """{% extends "base.html" %}
{% block body %}
  <div class="layout">
    <nav>{% for link in nav %}<a href="{{ link[1] }}">{{ link[0] }}</a> {% end %}</nav>
    <main>{% block content %}{% end %}</main>
  </div>
{% end %}
""",
    "page.html": """{% extends "layout.html" %}
{% block title %}{{ title }} - Shop{% end %}
{% block content %}
    <h1>{{ title }}</h1>
    <p class="intro">{{ intro }}</p>
    <ul class="items">
    {% for item in items %}{% include "item.html" %}{% end %}
    </ul>
{% end %}
""",
    "item.html": """<li class="item" id="item-{{ item["id"] }}">
      <a href="/items/{{ item["id"] }}">{{ item["name"] }}</a>
      <span class="price">{{ item["price"] }}</span>
      {% if item["on_sale"] %}<em>On sale!</em>{% end %}
      <p>{{ item["description"] }}</p>
    </li>
""",
}


# The same page in Jinja2 syntax (its end tags are named).
PAGE_JINJA = {
    "base.html": PAGE_TORNADO["base.html"]
    .replace("Shop{% end %}", "Shop{% endblock %}")
    .replace("{% block body %}{% end %}", "{% block body %}{% endblock %}")
    .replace("{{ site_name }}{% end %}", "{{ site_name }}{% endblock %}"),
    "layout.html": """{% extends "base.html" %}
{% block body %}
  <div class="layout">
    <nav>{% for link in nav %}<a href="{{ link[1] }}">{{ link[0] }}</a> {% endfor %}</nav>
    <main>{% block content %}{% endblock %}</main>
  </div>
{% endblock %}
""",
    "page.html": """{% extends "layout.html" %}
{% block title %}{{ title }} - Shop{% endblock %}
{% block content %}
    <h1>{{ title }}</h1>
    <p class="intro">{{ intro }}</p>
    <ul class="items">
    {% for item in items %}{% include "item.html" %}{% endfor %}
    </ul>
{% endblock %}
""",
    "item.html": PAGE_TORNADO["item.html"].replace("{% end %}", "{% endif %}"),
}

PAGE_DATA = {
    "site_name": "Tom & Jerry's <Shop>",
    "user": {"name": "O'Brien <admin>"},
    "year": 2024,
    "nav": [("Home", "/"), ("Deals & offers", "/deals?a=1&b=2"), ("About", "/about")],
    "title": "Tools & \"gadgets\"",
    "intro": "Everything <you> need, at prices you'll love & more.",
    "items": [
        {
            "id": i,
            "name": f"Gadget #{i} <deluxe>",
            "price": f"{i * 1.25:.2f}",
            "on_sale": i % 3 == 0,
            "description": f"A \"fine\" gadget & tool, model {i} -- it's great.",
        }
        for i in range(100)
    ],
}

# --- the engines ----------------------------------------------------------------


def engines(workload: str) -> dict[str, Callable[[], bytes | str]]:
    found: dict[str, Callable[[], bytes | str]] = {}
    if workload == "bigtable":
        s = squall_template.Template(BIGTABLE_TORNADO)
        found["squall"] = lambda: s.generate(table=BIGTABLE)
        if jinja2 is not None:
            j = jinja2.Environment(autoescape=True).from_string(BIGTABLE_JINJA)
            found["jinja2"] = lambda: j.render(table=BIGTABLE)
        if tornado_template is not None:
            t = tornado_template.Template(BIGTABLE_TORNADO)
            found["tornado"] = lambda: t.generate(table=BIGTABLE)
    else:
        sp = squall_template.DictLoader(PAGE_TORNADO).load("page.html")
        found["squall"] = lambda: sp.generate(**PAGE_DATA)
        if jinja2 is not None:
            env = jinja2.Environment(loader=jinja2.DictLoader(PAGE_JINJA), autoescape=True)
            jp = env.get_template("page.html")
            found["jinja2"] = lambda: jp.render(**PAGE_DATA)
        if tornado_template is not None:
            tp = tornado_template.DictLoader(PAGE_TORNADO).load("page.html")
            found["tornado"] = lambda: tp.generate(**PAGE_DATA)
    return found


def measure(render: Callable[[], object], repeat: int) -> float:
    """Seconds per render, over one batch of `repeat` renders."""
    start = time.perf_counter()
    for _ in range(repeat):
        render()
    return (time.perf_counter() - start) / repeat


def run_workload(workload: str, batches: int, target_batch_seconds: float) -> dict[str, object]:
    found = engines(workload)
    outputs = {name: render() for name, render in found.items()}
    check: dict[str, object] = {}
    if "tornado" in outputs:
        same = outputs["squall"] == outputs["tornado"]
        check = {"identical_to_tornado": same}
        if not same:
            a, b = outputs["squall"], outputs["tornado"]
            assert isinstance(a, bytes) and isinstance(b, bytes)
            at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            check["first_difference"] = {
                "offset": at,
                "squall": a[max(0, at - 40) : at + 40].decode("utf-8", "replace"),
                "tornado": b[max(0, at - 40) : at + 40].decode("utf-8", "replace"),
            }
    # Size the batches so that each lasts about target_batch_seconds.
    repeats = {}
    for name, render in found.items():
        per = measure(render, 3)
        repeats[name] = max(1, int(target_batch_seconds / per))
    samples: dict[str, list[float]] = {name: [] for name in found}
    gc.collect()
    for _ in range(batches):
        for name, render in found.items():
            samples[name].append(measure(render, repeats[name]))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    result: dict[str, object] = {
        "seconds_per_render": medians,
        "spread": {name: [min(v), max(v)] for name, v in samples.items()},
        "renders_per_batch": repeats,
        "output_bytes": {name: len(o.encode() if isinstance(o, str) else o) for name, o in outputs.items()},
        **check,
    }
    peers = [medians[n] for n in ("jinja2", "tornado") if n in medians]
    ratios: dict[str, float] = {}
    for name in ("jinja2", "tornado"):
        if name in medians:
            ratios[f"{name}_over_squall"] = medians[name] / medians["squall"]
    if peers:
        ratios["fastest_peer_over_squall"] = min(peers) / medians["squall"]
    result["ratios"] = ratios
    return result


def _format_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds * 1e6:8.1f} us"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="few short batches (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the results")
    args = parser.parse_args()
    batches, batch_seconds = (3, 0.05) if args.quick else (15, 0.25)
    results = {
        "benchmark": "template-render",
        "python": platform.python_version(),
        "versions": {
            "jinja2": getattr(jinja2, "__version__", None),
            "tornado": getattr(sys.modules.get("tornado"), "version", None),
        },
        "batches": batches,
        "workloads": {
            "bigtable": run_workload("bigtable", batches, batch_seconds),
            "page": run_workload("page", batches, batch_seconds),
        },
    }
    mismatch = any(
        w.get("identical_to_tornado") is False for w in results["workloads"].values()  # type: ignore[union-attr]
    )
    results["ok"] = not mismatch
    if args.json:
        print(json.dumps(results))
    else:
        for workload, data in results["workloads"].items():  # type: ignore[union-attr]
            print(f"{workload}:")
            for name, seconds in data["seconds_per_render"].items():
                print(f"  {name:8s} {_format_time(seconds)} per render")
            for name, ratio in data["ratios"].items():
                print(f"  {name:26s} {ratio:5.2f}x")
            if "identical_to_tornado" in data:
                print(f"  output identical to Tornado's: {data['identical_to_tornado']}")
                if not data["identical_to_tornado"]:
                    print(f"  first difference: {data['first_difference']}")
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
