#!/usr/bin/env python3
"""Check that every squall distribution installs and works alone (``make isolation``).

Steps:

1. Build every distribution's wheel and sdist with poetry-core's PEP 517
   backend (``poetry.core.masonry.api``, no network) into ``dist/``, and check
   each wheel: sibling requirements in ``METADATA`` carry a version range
   (never a path or URL), no ``squall/__init__.py``, every module has
   ``py.typed``, nothing outside the distribution's own modules.
2. For each distribution, in a fresh virtual environment (created
   ``--without-pip``; the running interpreter's pip installs into it with
   ``pip --python``):

   * install the distribution from ``dist/`` alone. Siblings come only from
     ``dist/`` (``--no-index``), so a same-named project on a package index
     can never stand in for one; since the core distributions have no required
     third-party dependencies, nothing else is needed;
   * assert that the installed distributions are exactly its transitive
     closure in DESIGN.md section 3 (``squall-template`` -> one distribution
     and nothing else; ``squall-httpclient`` -> httpclient, ioloop, httputil,
     escape);
   * import each of its modules and check it comes from that environment and
     that ``squall`` is still a namespace package (the optional extras are not
     installed, so a module that imports one eagerly fails here);
   * run the package's own ``tests/`` there with pytest. Test-only tools
     (pytest, pytest-timeout, and the third-party modules the tests import,
     pinned by ``requirements-dev.txt``, plus ``TEST_DEPS`` below) are
     installed once per distinct set into a shared "test layer" directory
     that the environment sees through a ``.pth`` file, after the closure was
     checked. A layer holds no squall distribution.

3. Install squall-escape and squall-template together and import both (they
   share the ``squall`` namespace); the ``squall`` meta-package row checks that
   it pulls in every distribution and that its command runs.

Options: ``--only NAME`` (one distribution), ``--no-tests``, ``--jobs N``,
``--keep`` (keep the temporary environments). Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import check_boundaries as cb  # noqa: E402  (a sibling script, not a package)

REPO = TOOLS.parent

#: Extra test-only requirements per distribution, beyond pytest, pytest-timeout
#: and the third-party modules its tests import (found from their AST). Names
#: are pinned from requirements-dev.txt when it pins them.
TEST_DEPS: dict[str, tuple[str, ...]] = {
    "squall-httpclient": ("pycurl",),  # the curl back end's half of the client suite
}
BASE_TEST_DEPS = ("pytest", "pytest-timeout")
#: Pair installed together to check that two distributions share the namespace.
NAMESPACE_PAIR = ("squall-escape", "squall-template")
META = "squall"

PIP_QUIET = ("-q", "--disable-pip-version-check", "--no-input")
TEST_TIMEOUT = 900
STEP_TIMEOUT = 300


class StepFailed(Exception):
    """A check failed; the message says what and why."""


@dataclass
class Dist:
    name: str
    folder: Path
    modules: list[str]
    version: str = ""
    test_siblings: list[str] = field(default_factory=list)  # the poetry ``test`` group
    wheel: Path | None = None
    sdist: Path | None = None


@dataclass
class Row:
    name: str
    cells: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONSAFEPATH")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_NO_WARN_SCRIPT_LOCATION"] = "1"
    return env


def run(cmd: Sequence[str | Path], *, what: str, cwd: Path | None = None,
        timeout: float = STEP_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; raise StepFailed naming ``what`` with the output's tail on failure."""
    try:
        result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(), capture_output=True,
                                text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"{what}: timed out after {timeout:.0f}s") from exc
    if result.returncode != 0:
        raise StepFailed(f"{what} failed (exit {result.returncode}):\n{tail(result.stdout + result.stderr)}")
    return result


def tail(text: str, lines: int = 30) -> str:
    kept = [line for line in text.strip().splitlines() if "is neither a file nor a directory" not in line]
    return textwrap.indent("\n".join(kept[-lines:]), "    ")


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return cb.normalize(match.group(1)) if match else ""


def dev_pins(root: Path) -> dict[str, str]:
    """Normalised name -> pinned requirement, from requirements-dev.txt."""
    pins: dict[str, str] = {}
    path = root / "requirements-dev.txt"
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name = requirement_name(line)
                pins[name] = re.sub(r"\[[^\]]*\]", "", line)
    return pins


# --------------------------------------------------------------------------
# 1. build and inspect
# --------------------------------------------------------------------------

_BUILD_SCRIPT = """
import json, os, sys, traceback
from poetry.core.masonry import api
out = sys.argv[1]
for folder in sys.argv[2:]:
    os.chdir(folder)
    try:
        wheel = api.build_wheel(out)
        sdist = api.build_sdist(out)
        print(json.dumps({"folder": folder, "wheel": wheel, "sdist": sdist}), flush=True)
    except Exception:
        print(json.dumps({"folder": folder, "error": traceback.format_exc()}), flush=True)
"""


def build(dists: list[Dist], dist_dir: Path) -> dict[str, str]:
    """Build wheel and sdist of ``dists`` into ``dist_dir``; name -> error for the failures."""
    dist_dir.mkdir(exist_ok=True)
    for dist in dists:
        stem = dist.name.replace("-", "_")
        for old in [*dist_dir.glob(f"{stem}-*.whl"), *dist_dir.glob(f"{stem}-*.tar.gz")]:
            old.unlink()
    result = run([sys.executable, "-c", _BUILD_SCRIPT, dist_dir, *(d.folder for d in dists)],
                 what="poetry-core build (run with .venv/bin/python, which has poetry-core)")
    by_folder = {str(d.folder): d for d in dists}
    errors: dict[str, str] = {}
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        dist = by_folder[record["folder"]]
        if "error" in record:
            errors[dist.name] = "build failed:\n" + tail(record["error"], 12)
            continue
        dist.wheel = dist_dir / record["wheel"]
        dist.sdist = dist_dir / record["sdist"]
    for dist in dists:
        if dist.wheel is None and dist.name not in errors:
            errors[dist.name] = "build produced no wheel"
    return errors


def inspect_wheel(dist: Dist, siblings: set[str]) -> list[str]:
    """Problems with the wheel's metadata and contents."""
    assert dist.wheel is not None
    problems: list[str] = []
    with zipfile.ZipFile(dist.wheel) as archive:
        names = archive.namelist()
        meta_name = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if meta_name is None:
            return [f"{dist.wheel.name} has no METADATA"]
        metadata = email.parser.Parser().parsestr(archive.read(meta_name).decode("utf-8"))
    dist.version = metadata.get("Version", "")
    for requirement in metadata.get_all("Requires-Dist") or []:
        name = requirement_name(requirement)
        if "@" in requirement.split(";", 1)[0] or "file:" in requirement:
            problems.append(f"METADATA requires {requirement!r}: a path/URL, not a version range")
        elif name in siblings:
            spec = requirement.split(";", 1)[0][len(name):]
            if not (cb._LOWER.search(spec) and cb._UPPER.search(spec)):
                problems.append(f"METADATA requires sibling {requirement!r} without a version range")
    if "squall/__init__.py" in names:
        problems.append("the wheel ships squall/__init__.py (squall is a PEP 420 namespace)")
    own = {f"squall/{m}/" for m in dist.modules}
    for name in names:
        if name.split("/", 1)[0].endswith(".dist-info") or name == "squall/__init__.py":
            continue
        if not any(name.startswith(prefix) for prefix in own):
            problems.append(f"the wheel ships {name}, outside its modules")
    for module in dist.modules:
        for marker in ("__init__.py", "py.typed"):
            if f"squall/{module}/{marker}" not in names:
                problems.append(f"the wheel lacks squall/{module}/{marker}")
    if dist.sdist is not None:
        with tarfile.open(dist.sdist) as archive:
            members = {m.name.split("/", 1)[-1] for m in archive.getmembers()}
        for needed in ("pyproject.toml", "PKG-INFO"):
            if needed not in members:
                problems.append(f"the sdist {dist.sdist.name} lacks {needed}")
    return problems


# --------------------------------------------------------------------------
# 2. environments
# --------------------------------------------------------------------------


class Env:
    """A fresh virtual environment without pip, driven by our pip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        run([sys.executable, "-m", "venv", "--without-pip", path], what="venv creation")
        self.python = path / "bin" / "python"

    def pip_install(self, *args: str | Path, what: str) -> None:
        run([sys.executable, "-m", "pip", "--python", self.python, "install", *PIP_QUIET, *args], what=what)

    def py(self, code: str, *, what: str) -> str:
        return run([self.python, "-P", "-c", code], what=what, cwd=self.path).stdout

    def distributions(self) -> set[str]:
        out = self.py("import importlib.metadata as m, json; "
                      "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
                      what="listing installed distributions")
        return {cb.normalize(n) for n in json.loads(out.strip().splitlines()[-1]) if n}

    def add_layer(self, layer: Path) -> None:
        site = self.py("import sysconfig; print(sysconfig.get_paths()['purelib'])", what="locating site-packages")
        Path(site.strip(), "zz_squall_test_layer.pth").write_text(f"{layer}\n")


_IMPORT_CHECK = """
import importlib, sys, os
prefix = os.path.realpath(sys.prefix)
report = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    where = os.path.realpath(getattr(module, "__file__", "") or "")
    if not where.startswith(prefix + os.sep):
        raise SystemExit(f"{name} was imported from {where}, not from the environment {prefix}")
import squall
if getattr(squall, "__file__", None):
    raise SystemExit(f"squall is not a namespace package: {squall.__file__}")
"""


# Runs pytest, then fails (exit 99) if any squall module the tests loaded came
# from outside the environment (e.g. the source tree), which would make the
# run prove nothing about the installed wheels.
_PYTEST_RUNNER = """
import os, sys
import pytest
code = pytest.main(sys.argv[1:])
prefix = os.path.realpath(sys.prefix)
leaks = sorted(
    f"{name} from {module.__file__}" for name, module in list(sys.modules.items())
    if name.startswith("squall.") and getattr(module, "__file__", None)
    and not os.path.realpath(module.__file__).startswith(prefix + os.sep)
)
if leaks:
    print("squall modules loaded from outside the environment: " + "; ".join(leaks))
    sys.exit(99)
sys.exit(code)
"""


class Layers:
    """Shared directories of test-only tools, one per distinct requirement set."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.lock = threading.Lock()
        self.ready: dict[tuple[str, ...], Path | StepFailed] = {}
        self.events: dict[tuple[str, ...], threading.Event] = {}

    def get(self, requirements: tuple[str, ...]) -> Path:
        with self.lock:
            event = self.events.get(requirements)
            owner = event is None
            if owner:
                event = self.events[requirements] = threading.Event()
        assert event is not None
        if owner:
            target = self.base / hashlib.sha1("\n".join(requirements).encode()).hexdigest()[:12]
            try:
                run([sys.executable, "-m", "pip", "install", *PIP_QUIET, "--target", target, *requirements],
                    what=f"installing test tools {' '.join(requirements)}")
                leaked = [p.name for p in target.glob("squall*")]
                if leaked:
                    raise StepFailed(f"test tools pulled in squall code: {leaked}")
                self.ready[requirements] = target
            except StepFailed as exc:
                self.ready[requirements] = exc
            event.set()
        event.wait()
        outcome = self.ready[requirements]
        if isinstance(outcome, StepFailed):
            raise outcome
        return outcome


def test_requirements(dist: Dist, pins: dict[str, str]) -> tuple[tuple[str, ...], list[str]]:
    """Pinned test-only requirements for ``dist``, and imported names left unpinned."""
    tests = dist.folder / "tests"
    wanted: set[str] = {*BASE_TEST_DEPS, *TEST_DEPS.get(dist.name, ())}
    unpinned: list[str] = []
    local = {p.stem for p in tests.glob("*.py")} | {p.name for p in tests.iterdir() if p.is_dir()} \
        if tests.is_dir() else set()
    stdlib = set(sys.stdlib_module_names)
    for path in sorted(tests.rglob("*.py")) if tests.is_dir() else []:
        refs, _, _ = cb.collect_imports(path, None)
        for ref in refs:
            top = ref.module.split(".", 1)[0]
            if not top or top in stdlib or top in local or top in ("squall", "_pytest", "__future__"):
                continue
            name = cb.normalize(cb.IMPORT_TO_DISTRIBUTION.get(top, top))
            if name in pins:
                wanted.add(name)
            elif name not in unpinned:
                unpinned.append(name)
    return tuple(sorted(pins.get(cb.normalize(w), w) for w in wanted)), unpinned


def summarize_pytest(output: str) -> str:
    for line in reversed(output.strip().splitlines()):
        if re.search(r"\d+ (passed|failed|error|skipped)", line):
            return line.strip("= ").split(" in ")[0]
    return "ran"


@dataclass
class Plan:
    root: Path
    dist_dir: Path
    work: Path
    dists: dict[str, Dist]
    layers: Layers
    pins: dict[str, str]
    run_tests: bool


def check_distribution(plan: Plan, dist: Dist, row: Row) -> None:
    expected = cb.closure(cb.EXPECTED_GRAPH, dist.name)
    env = Env(plan.work / dist.name)
    env.pip_install("--no-index", "--find-links", plan.dist_dir, f"{dist.name}=={dist.version}",
                    what=f"pip install {dist.name} from dist/")
    installed = env.distributions()
    missing, extra = expected - installed, installed - expected
    row.cells["install"] = f"{len(installed)} dist{'s' if len(installed) != 1 else ''}"
    if missing:
        row.problems.append(f"installing {dist.name} did not install {', '.join(sorted(missing))}")
    if extra:
        row.problems.append(f"installing {dist.name} also installed {', '.join(sorted(extra))}, beyond its "
                            f"closure {', '.join(sorted(expected))}")
    if missing or extra:
        row.cells["install"] = "FAIL"
    modules = [f"squall.{m}" for m in dist.modules]
    if dist.name == META:
        modules = [f"squall.{m}" for d in sorted(expected) for m in plan.dists[d].modules]
    run([env.python, "-P", "-c", _IMPORT_CHECK, *modules], what="importing its modules", cwd=env.path)
    row.cells["imports"] = f"{len(modules)} ok"
    if dist.name == META:
        version = run([env.path / "bin" / "squall", "--version"], what="running the squall command").stdout
        absent = [d for d in expected if d not in version]
        if absent:
            row.problems.append(f"`squall --version` does not list {', '.join(absent)}")
    if not plan.run_tests:
        row.cells["tests"] = "skipped"
        return
    tests = dist.folder / "tests"
    if not tests.is_dir() or not any(tests.rglob("test_*.py")):
        row.cells["tests"] = "no tests"
        return
    if dist.test_siblings:
        # Test-only siblings (e.g. squall-testing) go in after the closure was checked.
        specs = [f"{n}=={plan.dists[n].version}" for n in dist.test_siblings]
        env.pip_install("--no-index", "--find-links", plan.dist_dir, *specs,
                        what="pip install the test group " + " ".join(specs))
    requirements, unpinned = test_requirements(dist, plan.pins)
    env.add_layer(plan.layers.get(requirements))
    if unpinned:
        row.cells["notes"] = "unpinned test imports: " + ", ".join(unpinned)
    options = ["-q", "-c", str(plan.root / "pyproject.toml"), "--rootdir", str(plan.root), "-p", "no:cacheprovider"]
    if "squall-testing" not in installed and "squall-testing" not in dist.test_siblings:
        # The shared configuration sets squall-testing's options (squall_leaks),
        # which pytest does not know without that plugin: not this package's concern.
        options += ["-W", "ignore:Unknown config option:pytest.PytestConfigWarning"]
    try:
        result = subprocess.run(
            [str(env.python), "-P", "-c", _PYTEST_RUNNER, *options, str(tests)],
            cwd=env.path, env=clean_env(), capture_output=True, text=True, timeout=TEST_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        row.cells["tests"] = "TIMEOUT"
        row.problems.append(f"tests did not finish in {TEST_TIMEOUT}s")
        return
    summary = summarize_pytest(result.stdout)
    if result.returncode == 0:
        row.cells["tests"] = summary
    elif result.returncode == 99:
        row.cells["tests"] = "LEAK"
        row.problems.append(tail(result.stdout, 3))
    elif result.returncode == 5:
        row.cells["tests"] = "no tests"
    else:
        row.cells["tests"] = "FAIL " + summary
        row.problems.append(f"tests failed (exit {result.returncode}):\n{tail(result.stdout + result.stderr, 40)}")


def check_namespace_pair(plan: Plan, row: Row) -> None:
    env = Env(plan.work / "namespace-pair")
    specs = [f"{n}=={plan.dists[n].version}" for n in NAMESPACE_PAIR]
    env.pip_install("--no-index", "--find-links", plan.dist_dir, *specs, what="pip install " + " ".join(specs))
    installed = env.distributions()
    if installed != set(NAMESPACE_PAIR):
        row.problems.append(f"expected exactly {', '.join(NAMESPACE_PAIR)}, got {', '.join(sorted(installed))}")
    modules = [f"squall.{m}" for n in NAMESPACE_PAIR for m in plan.dists[n].modules]
    run([env.python, "-P", "-c", _IMPORT_CHECK, *modules], what="importing both", cwd=env.path)
    row.cells["install"] = f"{len(installed)} dists"
    row.cells["imports"] = f"{len(modules)} ok"
    row.cells["tests"] = "shared namespace"


def job(plan: Plan, name: str, action: str) -> Row:
    row = Row(name if action == "dist" else f"{' + '.join(NAMESPACE_PAIR)}")
    start = time.monotonic()
    try:
        if action == "dist":
            check_distribution(plan, plan.dists[name], row)
        else:
            check_namespace_pair(plan, row)
    except StepFailed as exc:
        row.problems.append(str(exc))
    row.seconds = time.monotonic() - start
    return row


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

COLUMNS = ("wheel", "install", "imports", "tests")


def print_table(rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows) + 2
    sizes = {c: max(len(c), *(len(r.cells.get(c, "-")) for r in rows)) + 2 for c in COLUMNS}
    header = "distribution".ljust(width) + "".join(c.ljust(sizes[c]) for c in COLUMNS) + "time    result"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row.name.ljust(width) + "".join(row.cells.get(c, "-").ljust(sizes[c]) for c in COLUMNS)
              + f"{row.seconds:5.1f}s  " + ("ok" if row.ok else "FAIL"))
    notes = [(r.name, r.cells["notes"]) for r in rows if "notes" in r.cells]
    for name, note in notes:
        print(f"note: {name}: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that each squall distribution installs and works alone.")
    parser.add_argument("--only", metavar="NAME", help="check one distribution (e.g. squall-template or template)")
    parser.add_argument("--no-tests", action="store_true", help="skip running the packages' tests")
    parser.add_argument("--jobs", type=int, default=2, help="environments checked in parallel (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary environments and print where")
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    started = time.monotonic()

    checker = cb.Checker(root)
    checker.load()
    if checker.breaches:
        for breach in checker.breaches:
            print(breach.render(root))
        return 1
    dists = {
        p.name: Dist(p.name, p.folder, p.modules, test_siblings=[cb.normalize(k) for k in p.test_dependencies])
        for p in checker.packages
    }
    order = [n for n in cb.EXPECTED_GRAPH if n in dists] + sorted(set(dists) - set(cb.EXPECTED_GRAPH))
    if args.only:
        wanted = cb.normalize(args.only)
        wanted = wanted if wanted in dists else f"squall-{wanted}"
        if wanted not in dists:
            print(f"isolation: no distribution named {args.only!r}; choose from {', '.join(order)}", file=sys.stderr)
            return 2
        selected = [wanted]
        # What it should pull in, and what it declares (to show any difference).
        needed = cb.closure(cb.EXPECTED_GRAPH, wanted) | cb.closure(checker.declared_graph(), wanted)
        for sibling in dists[wanted].test_siblings:  # built too: installed for its tests
            needed |= cb.closure(cb.EXPECTED_GRAPH, sibling)
        to_build = [n for n in order if n in needed]
    else:
        selected = order
        to_build = order

    dist_dir = root / "dist"
    rows = {n: Row(n) for n in selected}
    print(f"building {len(to_build)} wheels and sdists into {dist_dir} ...", flush=True)
    build_errors = build([dists[n] for n in to_build], dist_dir)
    siblings = set(dists)
    for name in to_build:
        dist = dists[name]
        problems = [build_errors[name]] if name in build_errors else inspect_wheel(dist, siblings)
        if name in rows:
            rows[name].cells["wheel"] = "ok" if not problems else "FAIL"
            rows[name].problems += problems
        elif problems:
            rows.setdefault(name, Row(name, {"wheel": "FAIL"})).problems += problems

    work = Path(tempfile.mkdtemp(prefix="squall-isolation-"))
    plan = Plan(root, dist_dir, work, dists, Layers(work / "layers"), dev_pins(root), not args.no_tests)
    jobs: list[tuple[str, str]] = [(n, "dist") for n in selected if dists[n].wheel is not None]
    if not args.only and all(n in dists and dists[n].wheel is not None for n in NAMESPACE_PAIR):
        jobs.append(("namespace", "pair"))
    results: list[Row] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(job, plan, name, action) for name, action in jobs]
            for future in concurrent.futures.as_completed(futures):
                row = future.result()
                print(f"  {row.name}: {'ok' if row.ok else 'FAIL'} ({row.seconds:.1f}s)", flush=True)
                results.append(row)
    finally:
        if args.keep:
            print(f"environments kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    for result in results:
        if result.name in rows:
            wheel = rows[result.name].cells.get("wheel", "-")
            result.cells["wheel"] = wheel
            result.problems[:0] = rows[result.name].problems
            rows[result.name] = result
        else:
            result.cells.setdefault("wheel", "ok")
            rows[result.name] = result
    table = [rows[n] for n in order if n in rows] + [r for k, r in rows.items() if k not in dists]
    print()
    print_table(table)
    failures = [r for r in table if not r.ok]
    for row in failures:
        print(f"\n{row.name}:")
        for problem in row.problems:
            print(textwrap.indent(problem, "  "))
    elapsed = time.monotonic() - started
    if failures:
        print(f"\nisolation FAILED: {len(failures)} of {len(table)} checks ({elapsed:.0f}s)")
        return 1
    print(f"\nisolation OK: {len(table)} checks ({elapsed:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
