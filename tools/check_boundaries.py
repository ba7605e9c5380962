#!/usr/bin/env python3
"""Check squall's package boundaries: what each distribution may import and ship.

Static and standard-library only, so it runs with a bare ``python3`` (``make
boundaries``, CI, and editor or agent hooks). It reads every
``packages/<folder>/pyproject.toml`` and every Python file below
``packages/<folder>/src`` and ``packages/<folder>/tests``, and reports each
breach as ``path:line: message`` (paths relative to the repository root):

* **Graph.** The sibling dependencies each ``pyproject.toml`` declares must be
  exactly the ones in ``EXPECTED_GRAPH`` below, which encodes DESIGN.md
  section 3. The import-linter contracts in ``.importlinter`` are derived from
  the same graph, so neither can drift from the design unnoticed.
* **Sibling imports.** Code (sources and the package's own tests) may import
  a ``squall.<module>`` only if the module belongs to the distribution itself
  or to one of its declared dependencies, transitively. Every import counts:
  module level, inside functions, under ``if TYPE_CHECKING:``, ``from squall
  import web``, relative imports that climb into a sibling, and
  ``importlib.import_module("squall.web")`` / ``__import__`` with a literal
  name.
* **Third-party imports** (not stdlib, not squall) in ``src/``:

  - the distribution must declare the import's distribution in
    ``[project.optional-dependencies]`` (an extra); a required third-party
    dependency is itself a breach, since DESIGN.md makes every third-party
    dependency opt-in;
  - the import must not run when the squall module is imported: it has to sit
    inside a function or method body, in the ``try`` body of a ``try`` whose
    handlers catch ``ImportError`` or ``ModuleNotFoundError``, or under ``if
    TYPE_CHECKING:``. A module-level ``import pycurl`` is a breach even if
    the extra is declared;
  - host exemption: a module registered under the ``pytest11`` entry point is
    only ever loaded by pytest itself, so it may import ``pytest``,
    ``_pytest`` and ``pluggy`` anywhere without declaring them.

  Tests may import any third-party module (``tools/isolation.py`` installs
  what they need); only their squall imports are checked.
* **Layout.** No distribution ships ``squall/__init__.py`` (PEP 420
  namespace); every ``src/squall/<module>/`` has ``__init__.py`` and
  ``py.typed``; ``[tool.poetry] packages`` names exactly the module
  directories that exist (each as ``{ include = "squall/<module>", from =
  "src" }``); each module belongs to one distribution, and the modules
  DESIGN.md assigns to a distribution are among its includes.
* **Requirements.** A sibling dependency carries a version range with a lower
  and an upper bound (``squall-escape>=0.1,<0.2``), never a URL or a path;
  ``[tool.poetry.dependencies]`` holds no ``path``/``url``/``git`` entries.

Exit status 0 with ``boundaries OK (N packages, M files)`` when clean, 1 when
any breach is found, 2 when the tree cannot be read at all.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import functools
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 needs the tomli backport
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        sys.exit("check_boundaries.py needs Python >= 3.11 (tomllib) or the tomli package")

# --------------------------------------------------------------------------
# The expected graph: DESIGN.md section 3. Change it only together with the
# design; the pyproject files and .importlinter must then follow.
# --------------------------------------------------------------------------

#: distribution -> the sibling distributions it declares (direct dependencies).
EXPECTED_GRAPH: dict[str, tuple[str, ...]] = {
    "squall-escape": (),
    "squall-template": (),
    "squall-locale": (),
    "squall-options": (),
    "squall-ioloop": (),
    "squall-httputil": ("squall-escape",),
    "squall-httpserver": ("squall-ioloop", "squall-httputil"),
    "squall-httpclient": ("squall-ioloop", "squall-httputil"),
    "squall-web": ("squall-httpserver", "squall-template", "squall-escape", "squall-locale"),
    "squall-websocket": ("squall-web", "squall-httpclient"),
    "squall-auth": ("squall-web", "squall-httpclient"),
    "squall-wsgi": ("squall-web",),
    "squall-testing": ("squall-ioloop", "squall-httpserver", "squall-httpclient"),
    "squall": (
        "squall-escape",
        "squall-template",
        "squall-locale",
        "squall-options",
        "squall-ioloop",
        "squall-httputil",
        "squall-httpserver",
        "squall-httpclient",
        "squall-web",
        "squall-websocket",
        "squall-auth",
        "squall-wsgi",
        "squall-testing",
    ),
}

#: Distributions added to the graph after DESIGN.md section 3 was written,
#: each with the reason it stands alone (the design-table test accepts them
#: as extensions; the meta-package depends on them like on the others).
BEYOND_DESIGN: dict[str, str] = {
    "squall-options": (
        "squall.options and squall.log (Tornado's command-line options and log "
        "formatting) are used by CLI tools that want nothing else of squall"
    ),
}

#: distribution -> import packages (``squall.<module>``) it must ship, at least.
EXPECTED_MODULES: dict[str, tuple[str, ...]] = {
    "squall-escape": ("escape",),
    "squall-template": ("template",),
    "squall-locale": ("locale",),
    "squall-options": ("options", "log"),
    "squall-ioloop": ("ioloop", "iostream", "tcpserver", "netutil", "process", "autoreload"),
    "squall-httputil": ("httputil",),
    "squall-httpserver": ("httpserver",),
    "squall-httpclient": ("httpclient", "simple_httpclient", "curl_httpclient"),
    "squall-web": ("web",),
    "squall-websocket": ("websocket",),
    "squall-auth": ("auth",),
    "squall-wsgi": ("wsgi",),
    "squall-testing": ("testing",),
    "squall": ("cli",),
}

#: Import names whose distribution is named differently. Names not listed map
#: to themselves (lower case, ``_`` -> ``-``); an installed distribution that
#: provides the import name is also accepted.
IMPORT_TO_DISTRIBUTION: dict[str, str] = {
    "yaml": "pyyaml",
    "PIL": "pillow",
    "OpenSSL": "pyopenssl",
    "Crypto": "pycryptodome",
    "jwt": "pyjwt",
    "dateutil": "python-dateutil",
    "magic": "python-magic",
    "dns": "dnspython",
    "google": "protobuf",
    "pycares": "pycares",
    "pycurl": "pycurl",
    "uvloop": "uvloop",
    "brotli": "brotli",
    "zstandard": "zstandard",
}

#: Modules a host program always provides to plugins it loads itself.
#: entry-point group -> import names such a plugin module may use freely.
HOST_PROVIDED: dict[str, frozenset[str]] = {
    "pytest11": frozenset({"pytest", "_pytest", "pluggy"}),
}

IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
NAMESPACE = "squall"
CONTRACT_PREFIX = "importlinter:contract:"


def normalize(name: str) -> str:
    """PEP 503 normalisation of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------
# Data read from the tree
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    path: Path
    line: int
    message: str

    def render(self, root: Path) -> str:
        try:
            shown = self.path.relative_to(root)
        except ValueError:
            shown = self.path
        return f"{shown.as_posix()}:{self.line}: {self.message}"


@dataclass
class Requirement:
    raw: str
    name: str  # normalised
    specifier: str
    url: str
    line: int


@dataclass
class Package:
    folder: Path
    pyproject: Path
    lines: list[str]
    name: str
    name_line: int
    dependencies: list[Requirement]
    dependencies_line: int
    extras: dict[str, list[Requirement]]
    includes: list[tuple[str, int]]  # (module, line)
    includes_line: int
    host_modules: dict[str, str]  # module path -> entry-point group
    poetry_dependencies: dict[str, object]
    test_dependencies: dict[str, object]  # [tool.poetry.group.test.dependencies]

    @property
    def modules(self) -> list[str]:
        return [module for module, _ in self.includes]

    def extra_of(self, distribution: str) -> str | None:
        for extra, requirements in self.extras.items():
            if any(r.name == distribution for r in requirements):
                return extra
        return None


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")
_LOWER = re.compile(r"(>=|>|~=|==|===)\s*[0-9]")
_UPPER = re.compile(r"(<=|<(?!=)|~=|==|===)\s*[0-9]")


def parse_requirement(raw: str, line: int) -> Requirement:
    match = _REQUIREMENT.match(raw)
    if match is None:
        return Requirement(raw, "", "", "", line)
    rest = match.group(3).split(";", 1)[0].strip()
    url = ""
    if rest.startswith("@"):
        url, rest = rest[1:].strip(), ""
    return Requirement(raw, normalize(match.group(1)), rest.strip("() "), url, line)


def find_line(lines: list[str], needle: str, start: int = 0) -> int:
    """1-based number of the first line from ``start`` containing ``needle``."""
    for index in range(start, len(lines)):
        if needle in lines[index]:
            return index + 1
    return 0


def section_line(lines: list[str], header: str) -> int:
    pattern = re.compile(r"^\s*\[\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    for index, text in enumerate(lines):
        if pattern.match(text):
            return index + 1
    return 0


def key_line(lines: list[str], key: str, start: int) -> int:
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for index in range(max(start, 0), len(lines)):
        if pattern.match(lines[index]):
            return index + 1
    return start or 1


def requirement_line(lines: list[str], raw: str, start: int) -> int:
    for quote in ('"', "'"):
        found = find_line(lines, quote + raw + quote, start)
        if found:
            return found
    return find_line(lines, raw, start) or start or 1


def load_package(pyproject: Path, breaches: list[Breach]) -> Package | None:
    text = pyproject.read_text(encoding="utf-8")
    lines = text.splitlines()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        breaches.append(Breach(pyproject, getattr(exc, "lineno", 1) or 1, f"invalid TOML: {exc}"))
        return None
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        breaches.append(Breach(pyproject, 1, "no [project] table with a name (PEP 621 metadata is required)"))
        return None
    project_line = section_line(lines, "project")
    name_line = key_line(lines, "name", project_line)
    deps_line = key_line(lines, "dependencies", project_line)
    dependencies = [
        parse_requirement(raw, requirement_line(lines, raw, deps_line - 1))
        for raw in project.get("dependencies", [])
        if isinstance(raw, str)
    ]
    extras: dict[str, list[Requirement]] = {}
    extras_line = section_line(lines, "project.optional-dependencies")
    for extra, raws in (project.get("optional-dependencies") or {}).items():
        start = key_line(lines, extra, extras_line) - 1 if extras_line else 0
        extras[extra] = [
            parse_requirement(raw, requirement_line(lines, raw, start)) for raw in raws if isinstance(raw, str)
        ]
    host_modules: dict[str, str] = {}
    for group, entries in (project.get("entry-points") or {}).items():
        if group in HOST_PROVIDED and isinstance(entries, dict):
            for target in entries.values():
                if isinstance(target, str):
                    host_modules[target.split(":", 1)[0].strip()] = group
    poetry = (data.get("tool") or {}).get("poetry") or {}
    includes_line = key_line(lines, "packages", section_line(lines, "tool.poetry"))
    includes: list[tuple[str, int]] = []
    if not isinstance(poetry.get("packages"), list):
        breaches.append(
            Breach(pyproject, section_line(lines, "tool.poetry") or 1,
                   '[tool.poetry] packages is missing: list each module as { include = "squall/<module>", from = "src" }')
        )
    else:
        for entry in poetry["packages"]:
            include = entry.get("include", "") if isinstance(entry, dict) else ""
            include = include if isinstance(include, str) else ""
            shown = include or (entry if isinstance(entry, str) else "")
            line = requirement_line(lines, shown, includes_line - 1) if shown else includes_line
            parts = include.split("/")
            source = entry.get("from") if isinstance(entry, dict) else None
            if len(parts) != 2 or parts[0] != NAMESPACE or not parts[1].isidentifier() or source != "src":
                breaches.append(
                    Breach(pyproject, line,
                           f'[tool.poetry] packages entry {entry!r} must read {{ include = "squall/<module>", from = "src" }}')
                )
                continue
            includes.append((parts[1], line))
    return Package(
        folder=pyproject.parent,
        pyproject=pyproject,
        lines=lines,
        name=normalize(project["name"]),
        name_line=name_line,
        dependencies=dependencies,
        dependencies_line=deps_line,
        extras=extras,
        includes=includes,
        includes_line=includes_line,
        host_modules=host_modules,
        poetry_dependencies=dict(poetry.get("dependencies") or {}),
        test_dependencies=dict(
            ((poetry.get("group") or {}).get("test") or {}).get("dependencies") or {}
        ),
    )


# --------------------------------------------------------------------------
# Imports, from the AST
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRef:
    module: str  # absolute dotted name
    line: int
    deferred: bool  # inside a function body: runs only when called
    guarded: bool  # inside ``try: ... except ImportError``
    typing_only: bool  # under ``if TYPE_CHECKING:``

    @property
    def runs_at_import(self) -> bool:
        return not (self.deferred or self.guarded or self.typing_only)


@dataclass(frozen=True)
class _Context:
    deferred: bool = False
    guarded: bool = False
    typing_only: bool = False

    def but(self, **changes: bool) -> _Context:
        values = {"deferred": self.deferred, "guarded": self.guarded, "typing_only": self.typing_only}
        values.update(changes)
        return _Context(**values)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    names: Iterable[ast.expr] = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds] if kinds else []
    for node in names:
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if name in IMPORT_ERRORS:
            return True
    return False


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dynamic_import_name(call: ast.Call) -> str | None:
    """The module named by ``import_module("...")`` / ``__import__("...")``, if literal."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__"):
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    target = _literal(call.args[0] if call.args else keywords.get("name"))
    if target is None or not target.startswith("."):
        return target
    if name != "import_module":
        return None
    package = _literal(call.args[1] if len(call.args) > 1 else keywords.get("package"))
    if package is None:
        return None
    stripped = target.lstrip(".")
    return _resolve_relative(package.split("."), len(target) - len(stripped), stripped or None)


def _resolve_relative(package: list[str], level: int, module: str | None) -> str | None:
    """Absolute name for ``from <level dots><module> import ...`` inside ``package``."""
    if level < 1 or level - 1 >= len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))


class ImportCollector:
    """Collect every import of a module with the context it runs in."""

    def __init__(self, package: list[str] | None) -> None:
        # The dotted package the file lives in, as parts; None for test files,
        # whose relative imports stay among the tests.
        self.package = package
        self.scan_expressions = True
        self.found: list[ImportRef] = []
        self.bad_relative: list[int] = []

    def add(self, module: str, node: ast.AST, ctx: _Context) -> None:
        self.found.append(ImportRef(module, getattr(node, "lineno", 1), ctx.deferred, ctx.guarded, ctx.typing_only))

    def visit(self, node: ast.AST, ctx: _Context) -> None:
        if not self.scan_expressions and isinstance(node, (ast.expr, ast.arguments)):
            return  # only statements import, unless the file names a dynamic import
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for child in [*node.decorator_list, node.args, *([node.returns] if node.returns else [])]:
                self.visit(child, ctx)
            for statement in node.body:
                self.visit(statement, ctx.but(deferred=True))
            return
        if isinstance(node, ast.Lambda):
            self.visit(node.args, ctx)
            self.visit(node.body, ctx.but(deferred=True))
            return
        if isinstance(node, ast.Try) or (sys.version_info >= (3, 11) and isinstance(node, ast.TryStar)):
            guarded = any(_catches_import_error(h) for h in node.handlers)
            for statement in node.body:
                self.visit(statement, ctx.but(guarded=True) if guarded else ctx)
            for part in (*node.handlers, *node.orelse, *node.finalbody):
                self.visit(part, ctx)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                self.visit(statement, ctx.but(typing_only=True))
            for statement in node.orelse:
                self.visit(statement, ctx)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.add(alias.name, node, ctx)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if self.package is None:
                    return
                base = _resolve_relative(self.package, node.level, node.module)
                if base is None:
                    self.bad_relative.append(node.lineno)
                    return
            else:
                base = node.module or ""
            if base == NAMESPACE:
                # ``from squall import web`` imports the sub-package squall.web.
                for alias in node.names:
                    self.add(f"{NAMESPACE}.{alias.name}", node, ctx)
            else:
                self.add(base, node, ctx)
            return
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets):
            # pytest imports the plugins a conftest or test module names here.
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            for value in values:
                plugin = _literal(value)
                if plugin:
                    self.add(plugin, value, ctx)
        if isinstance(node, ast.Call):
            name = _dynamic_import_name(node)
            if name:
                self.add(name, node, ctx)
        for child in ast.iter_child_nodes(node):
            self.visit(child, ctx)


def collect_imports(path: Path, package: list[str] | None) -> tuple[list[ImportRef], list[int], SyntaxError | None]:
    source = path.read_bytes()
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return [], [], exc
    collector = ImportCollector(package)
    collector.scan_expressions = any(word in source for word in (b"import_module", b"__import__"))
    for statement in tree.body:
        collector.visit(statement, _Context())
    return collector.found, collector.bad_relative, None


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def installed_import_names() -> dict[str, list[str]]:
    """Import name -> distributions that provide it, in the running environment.

    Only a hint for naming third-party distributions: the check gives the
    same verdicts without it for every name in IMPORT_TO_DISTRIBUTION.
    """
    try:
        from importlib.metadata import packages_distributions

        return {k: [normalize(d) for d in v] for k, v in packages_distributions().items()}
    except (ImportError, OSError, ValueError):
        return {}


def closure(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """``start`` and every distribution reachable from it in ``graph``."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(graph.get(current, ()))
    return seen


def forbidden_modules(dist: str, owners: Mapping[str, str]) -> set[str]:
    """``squall.<module>`` names ``dist`` may not import under EXPECTED_GRAPH."""
    allowed = closure(EXPECTED_GRAPH, dist)
    return {f"{NAMESPACE}.{module}" for module, owner in owners.items() if owner not in allowed}


class Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.breaches: list[Breach] = []
        self.packages: list[Package] = []
        self.files = 0

    def breach(self, path: Path, line: int, message: str) -> None:
        self.breaches.append(Breach(path, line, message))

    # -- loading -----------------------------------------------------------

    def load(self) -> None:
        packages_dir = self.root / "packages"
        if not packages_dir.is_dir():
            raise FileNotFoundError(f"{packages_dir} does not exist: pass --root with the repository root")
        for pyproject in sorted(packages_dir.glob("*/pyproject.toml")):
            package = load_package(pyproject, self.breaches)
            if package is not None:
                self.packages.append(package)

    @property
    def by_name(self) -> dict[str, Package]:
        return {p.name: p for p in self.packages}

    def owners(self) -> dict[str, str]:
        owners: dict[str, str] = {}
        for package in self.packages:
            for module in package.modules:
                if (package.folder / "src" / NAMESPACE / module).is_dir():
                    owners.setdefault(module, package.name)
        return owners

    def declared_graph(self) -> dict[str, list[str]]:
        names = set(self.by_name)
        return {p.name: [r.name for r in p.dependencies if r.name in names] for p in self.packages}

    # -- graph and requirements ---------------------------------------------

    def check_graph(self) -> None:
        names = set(self.by_name)
        for package in self.packages:
            expected = EXPECTED_GRAPH.get(package.name)
            if expected is None:
                self.breach(package.pyproject, package.name_line,
                            f"distribution {package.name} is not in DESIGN.md section 3; add it there and to "
                            "EXPECTED_GRAPH in tools/check_boundaries.py")
                continue
            declared = {r.name for r in package.dependencies if r.name.startswith(NAMESPACE)}
            for requirement in package.dependencies:
                if requirement.name.startswith(NAMESPACE) and requirement.name not in expected:
                    self.breach(package.pyproject, requirement.line,
                                f"{package.name} depends on {requirement.name}, which DESIGN.md section 3 does not "
                                f"allow (allowed: {', '.join(expected) or 'no sibling'})")
            for missing in sorted(set(expected) - declared):
                self.breach(package.pyproject, package.dependencies_line,
                            f"{package.name} must declare {missing} (DESIGN.md section 3)")
        for name in EXPECTED_GRAPH:
            if name not in names:
                self.breach(self.root / "packages", 0,
                            f"distribution {name} (DESIGN.md section 3) has no packages/<folder>/pyproject.toml")

    def check_requirements(self) -> None:
        names = set(self.by_name) | set(EXPECTED_GRAPH)
        for package in self.packages:
            groups: list[tuple[str, list[Requirement]]] = [("dependencies", package.dependencies)]
            groups += [(f"extra [{extra}]", reqs) for extra, reqs in package.extras.items()]
            for where, requirements in groups:
                for requirement in requirements:
                    if not requirement.name:
                        self.breach(package.pyproject, requirement.line,
                                    f"cannot parse requirement {requirement.raw!r} in {where}")
                        continue
                    if requirement.url:
                        self.breach(package.pyproject, requirement.line,
                                    f"{requirement.name} is declared with a URL or path ({requirement.url}); "
                                    "declare a version range instead")
                        continue
                    if requirement.name in names:
                        spec = requirement.specifier
                        if not spec or not _LOWER.search(spec) or not _UPPER.search(spec):
                            self.breach(package.pyproject, requirement.line,
                                        f"sibling {requirement.name} must carry a version range with both bounds, "
                                        f"e.g. \"{requirement.name}>=0.1,<0.2\" (found {requirement.raw!r})")
                    elif where == "dependencies":
                        self.breach(package.pyproject, requirement.line,
                                    f"third-party {requirement.name} is a required dependency; DESIGN.md makes "
                                    "third-party dependencies opt-in: move it to [project.optional-dependencies]")
            test_section = section_line(package.lines, "tool.poetry.group.test.dependencies")
            for key, value in package.test_dependencies.items():
                line = key_line(package.lines, key, test_section)
                spec = value if isinstance(value, str) else ""
                if normalize(key) not in names:
                    self.breach(package.pyproject, line,
                                f"test group names {key}, which is not a squall distribution; third-party test "
                                "tools come from requirements-dev.txt")
                elif normalize(key) == package.name or not _LOWER.search(spec) or not _UPPER.search(spec):
                    self.breach(package.pyproject, line,
                                f"test group entry {key} must be another sibling with a version range with both "
                                f'bounds, e.g. {key} = ">=0.1,<0.2"')
            for key, value in package.poetry_dependencies.items():
                if isinstance(value, dict) and {"path", "url", "git"} & set(value):
                    line = key_line(package.lines, key, section_line(package.lines, "tool.poetry.dependencies"))
                    self.breach(package.pyproject, line,
                                f"[tool.poetry.dependencies] {key} points at a path/url/git source; built wheels "
                                "must carry version ranges only")

    # -- layout ----------------------------------------------------------------

    def check_layout(self) -> None:
        owners: dict[str, str] = {}
        for package in self.packages:
            src = package.folder / "src"
            namespace = src / NAMESPACE
            init = namespace / "__init__.py"
            if init.exists():
                self.breach(init, 1, "squall is a PEP 420 namespace: no distribution may ship squall/__init__.py; delete it")
            if src.is_dir():
                for entry in sorted(src.iterdir()):
                    if entry.name != NAMESPACE and not entry.name.endswith((".egg-info", ".dist-info")) \
                            and entry.name != "__pycache__":
                        self.breach(entry, 0, f"src/ may contain only the squall namespace, found {entry.name}")
            included = {module for module, _ in package.includes}
            for module, line in package.includes:
                if not (namespace / module).is_dir():
                    self.breach(package.pyproject, line,
                                f'include "squall/{module}" names a module that does not exist '
                                f"(no src/squall/{module}/)")
                if module in owners:
                    self.breach(package.pyproject, line,
                                f"squall.{module} is already shipped by {owners[module]}; a module belongs to one "
                                "distribution")
                else:
                    owners[module] = package.name
            if namespace.is_dir():
                for entry in sorted(namespace.iterdir()):
                    if entry.name == "__pycache__" or entry.name == "__init__.py":
                        continue
                    if entry.is_file():
                        if entry.suffix == ".py":
                            self.breach(entry, 1, f"put {entry.name} in a package directory src/squall/{entry.stem}/ "
                                                  "with __init__.py and py.typed")
                        continue
                    for required in ("__init__.py", "py.typed"):
                        if not (entry / required).is_file():
                            self.breach(entry / required, 0, f"squall/{entry.name}/ lacks {required}")
                    if entry.name not in included:
                        self.breach(package.pyproject, package.includes_line,
                                    f"src/squall/{entry.name}/ exists but no [tool.poetry] packages include names "
                                    f'it: add {{ include = "squall/{entry.name}", from = "src" }}')
            elif package.includes:
                self.breach(package.pyproject, package.includes_line, "src/squall/ does not exist")
            for module in EXPECTED_MODULES.get(package.name, ()):
                if module not in included:
                    self.breach(package.pyproject, package.includes_line,
                                f"DESIGN.md section 3 puts squall.{module} in {package.name}, but its "
                                "[tool.poetry] packages do not include it")

    # -- imports ---------------------------------------------------------------

    def python_files(self, package: Package) -> Iterator[tuple[Path, bool]]:
        for sub, is_src in (("src", True), ("tests", False)):
            base = package.folder / sub
            if base.is_dir():
                for path in sorted(base.rglob("*.py")):
                    if "__pycache__" not in path.parts:
                        yield path, is_src

    def check_imports(self) -> None:
        owners = self.owners()
        graph = self.declared_graph()
        by_name = self.by_name
        stdlib = set(sys.stdlib_module_names) | {"__future__", "__main__"}
        for package in self.packages:
            allowed_dists = closure(graph, package.name)
            allowed_src = {m for d in allowed_dists for m in by_name[d].modules if d in by_name}
            src_text = ", ".join(sorted(d for d in allowed_dists if d != package.name)) or "no sibling"
            # A package's own tests may also use the siblings of its poetry
            # ``test`` group (e.g. squall-testing's helpers): test-only, never
            # in the wheel's metadata.
            test_dists = set(allowed_dists)
            for extra in package.test_dependencies:
                if normalize(extra) in graph:  # anything else is reported by check_requirements
                    test_dists |= closure(graph, normalize(extra))
            allowed_tests = {m for d in test_dists if d in by_name for m in by_name[d].modules}
            tests_text = ", ".join(sorted(d for d in test_dists if d != package.name)) or "no sibling"
            for path, is_src in self.python_files(package):
                allowed = allowed_src if is_src else allowed_tests
                allowed_text = src_text if is_src else tests_text + " (with the test group)"
                self.files += 1
                relative = path.relative_to(package.folder / ("src" if is_src else "tests"))
                parts = list(relative.with_suffix("").parts)
                module_name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                dotted_package = parts[:-1] if is_src else None
                refs, bad_relative, error = collect_imports(path, dotted_package)
                if error is not None:
                    self.breach(path, error.lineno or 1, f"cannot parse: {error.msg}")
                    continue
                for line in bad_relative:
                    self.breach(path, line, "relative import climbs above the squall namespace")
                host_group = package.host_modules.get(module_name) if is_src else None
                for ref in refs:
                    top = ref.module.split(".", 1)[0]
                    if top == NAMESPACE:
                        pieces = ref.module.split(".")
                        if len(pieces) < 2:
                            continue  # ``import squall`` alone imports nothing
                        sub = pieces[1]
                        owner = owners.get(sub)
                        if owner is None:
                            self.breach(path, ref.line, f"imports squall.{sub}, which no distribution ships")
                        elif sub not in allowed:
                            self.breach(path, ref.line,
                                        f"{package.name} imports squall.{sub} (from {owner}), which is not among its "
                                        f"declared dependencies ({allowed_text}); DESIGN.md section 3 decides what "
                                        "may import what")
                        continue
                    if not is_src or not top or top in stdlib:
                        continue
                    if host_group and top in HOST_PROVIDED[host_group]:
                        continue
                    self.check_third_party(package, path, ref, top)

    def check_third_party(self, package: Package, path: Path, ref: ImportRef, top: str) -> None:
        candidates = [normalize(IMPORT_TO_DISTRIBUTION.get(top, top)), normalize(top)]
        declared = {r.name for r in package.dependencies} | {r.name for rs in package.extras.values() for r in rs}
        if not declared & set(candidates):
            # Scanning the environment's metadata is slow: only when the table misses.
            candidates += installed_import_names().get(top, [])
        required = {r.name for r in package.dependencies}
        if any(c in required for c in candidates):
            return  # a required third-party dependency is reported on its pyproject line
        for candidate in candidates:
            extra = package.extra_of(candidate)
            if extra is not None:
                if ref.runs_at_import:
                    self.breach(path, ref.line,
                                f"{top} comes from the optional extra [{extra}] but is imported at module level; "
                                "import it inside the function that needs it (or under try/except ImportError) and "
                                f"raise an error naming the extra ({package.name}[{extra}]) when it is missing")
                return
        self.breach(path, ref.line,
                    f"imports third-party {top} (distribution {candidates[0]}), which {package.name} does not declare; "
                    "add an extra under [project.optional-dependencies] and import it lazily")

    # -- import-linter contracts ----------------------------------------------

    def check_contracts(self) -> None:
        path = self.root / ".importlinter"
        if not path.is_file():
            self.breach(path, 0, ".importlinter is missing: it holds one forbidden contract per distribution")
            return
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        parser = configparser.ConfigParser()
        try:
            parser.read_string(text, source=str(path))
        except configparser.Error as exc:
            self.breach(path, getattr(exc, "lineno", 1) or 1, f"cannot parse: {exc}")
            return
        owners = self.owners()
        all_modules = {f"{NAMESPACE}.{module}" for module in owners}

        def values(section: str, key: str) -> set[str]:
            return set(parser.get(section, key, fallback="").split())

        if not parser.has_section("importlinter"):
            self.breach(path, 1, "no [importlinter] section")
        else:
            roots = values("importlinter", "root_packages")
            line = key_line(lines, "root_packages", section_line(lines, "importlinter"))
            for module in sorted(all_modules - roots):
                self.breach(path, line, f"root_packages lacks {module}: import-linter would not analyse it")
            for module in sorted(roots - all_modules):
                self.breach(path, line, f"root_packages names {module}, which no distribution ships")
        for dist in EXPECTED_GRAPH:
            if dist not in self.by_name:
                continue
            section = CONTRACT_PREFIX + dist
            forbidden = forbidden_modules(dist, owners)
            own = {f"{NAMESPACE}.{m}" for m, owner in owners.items() if owner == dist}
            if not parser.has_section(section):
                if forbidden:
                    self.breach(path, 0, f"no contract [{section}] forbidding {', '.join(sorted(forbidden))}")
                continue
            line = section_line(lines, section)
            if parser.get(section, "type", fallback="") != "forbidden":
                self.breach(path, line, f"[{section}] must be a forbidden contract")
            sources = values(section, "source_modules")
            if sources != own:
                self.breach(path, key_line(lines, "source_modules", line),
                            f"[{section}] source_modules must be exactly the modules {dist} ships: "
                            f"{' '.join(sorted(own))}")
            declared = values(section, "forbidden_modules")
            key = key_line(lines, "forbidden_modules", line)
            for module in sorted(forbidden - declared):
                self.breach(path, key, f"[{section}] does not forbid {module}, which {dist} may not import "
                                       "(DESIGN.md section 3)")
            for module in sorted(declared - forbidden):
                self.breach(path, key, f"[{section}] forbids {module}, which DESIGN.md section 3 lets {dist} import")
        for section in parser.sections():
            if section.startswith(CONTRACT_PREFIX):
                contract = section[len(CONTRACT_PREFIX):]
                if contract.startswith(NAMESPACE) and contract not in EXPECTED_GRAPH:
                    self.breach(path, section_line(lines, section),
                                f"[{section}] names no distribution of DESIGN.md section 3")

    def run(self) -> list[Breach]:
        self.load()
        self.check_graph()
        self.check_requirements()
        self.check_layout()
        self.check_imports()
        self.check_contracts()
        unique = sorted(set(self.breaches), key=lambda b: (str(b.path), b.line, b.message))
        return unique


def render_contracts(root: Path) -> str:
    """The ``.importlinter`` text that matches the tree and EXPECTED_GRAPH."""
    checker = Checker(root)
    checker.load()
    owners = checker.owners()
    out = [
        "# Generated from EXPECTED_GRAPH in tools/check_boundaries.py (DESIGN.md section 3):",
        "#     python3 tools/check_boundaries.py --print-contracts > .importlinter",
        "# tools/check_boundaries.py fails when this file and the graph disagree.",
        "#",
        "# squall is a PEP 420 namespace spread over many src/ directories, so the",
        "# root packages are its sub-packages, one by one.",
        "[importlinter]",
        "root_packages =",
        *(f"    {NAMESPACE}.{m}" for m in sorted(owners)),
        "include_external_packages = False",
    ]
    for dist in EXPECTED_GRAPH:
        package = checker.by_name.get(dist)
        forbidden = forbidden_modules(dist, owners)
        if package is None or not forbidden:
            continue
        allowed = ", ".join(EXPECTED_GRAPH[dist])
        out += [
            "",
            f"[{CONTRACT_PREFIX}{dist}]",
            f"name = {dist} " + (f"may import only {allowed}, transitively" if allowed else "imports no sibling"),
            "type = forbidden",
            "source_modules =",
            *(f"    {NAMESPACE}.{m}" for m in package.modules if owners.get(m) == dist),
            "forbidden_modules =",
            *(f"    {m}" for m in sorted(forbidden)),
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check squall's package boundaries (DESIGN.md section 3).")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root (default: the repository containing this script)")
    parser.add_argument("--print-contracts", action="store_true",
                        help="print the .importlinter file that matches the expected graph, and exit")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.print_contracts:
            sys.stdout.write(render_contracts(root))
            return 0
        checker = Checker(root)
        breaches = checker.run()
    except (OSError, ValueError) as exc:
        print(f"check_boundaries: {exc}", file=sys.stderr)
        return 2
    for breach in breaches:
        print(breach.render(root))
    if breaches:
        files = len({b.path for b in breaches})
        print(f"{len(breaches)} boundary breach{'es' if len(breaches) != 1 else ''} in {files} "
              f"file{'s' if files != 1 else ''} (see DESIGN.md section 3 and docs/development.md)")
        if any(b.path.name == ".importlinter" for b in breaches):
            print("if the graph and the pyproject files are right, regenerate the contracts: "
                  "python3 tools/check_boundaries.py --print-contracts > .importlinter")
        return 1
    print(f"boundaries OK ({len(checker.packages)} packages, {checker.files} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
