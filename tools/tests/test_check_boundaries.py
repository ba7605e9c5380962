"""Tests of tools/check_boundaries.py: plant each kind of breach in a small fake
monorepo (same pyproject shape as the real one) and check it is reported with
the right file and line; the clean fake tree and the real repository pass."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_boundaries", TOOLS / "check_boundaries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_boundaries"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cb = _load()

EXTRAS = {
    "squall-ioloop": '[project.optional-dependencies]\nuvloop = ["uvloop>=0.17"]\n',
    "squall-httpclient": '[project.optional-dependencies]\ncurl = ["pycurl>=7.45"]\n',
}
ENTRY_POINTS = {
    "squall-testing": '[project.entry-points.pytest11]\nsquall = "squall.testing.pytest_plugin"\n',
}


def folder_of(dist: str) -> str:
    return "squall" if dist == "squall" else dist.removeprefix("squall-")


def pyproject_text(dist: str) -> str:
    deps = "".join(f'    "{d}>=0.1,<0.2",\n' for d in cb.EXPECTED_GRAPH[dist])
    includes = "".join(
        f'    {{ include = "squall/{m}", from = "src" }},\n' for m in cb.EXPECTED_MODULES[dist]
    )
    return (
        "[project]\n"
        f'name = "{dist}"\n'
        'version = "0.1.0"\n'
        'description = "a fake distribution"\n'
        'requires-python = ">=3.10"\n'
        f"dependencies = [\n{deps}]\n\n"
        f"{EXTRAS.get(dist, '')}\n{ENTRY_POINTS.get(dist, '')}\n"
        f"[tool.poetry]\npackages = [\n{includes}]\n\n"
        '[build-system]\nrequires = ["poetry-core>=2.0,<3"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clean fake monorepo: every distribution of the expected graph, empty modules."""
    for dist in cb.EXPECTED_GRAPH:
        folder = f"packages/{folder_of(dist)}"
        write(tmp_path, f"{folder}/pyproject.toml", pyproject_text(dist))
        for module in cb.EXPECTED_MODULES[dist]:
            write(tmp_path, f"{folder}/src/squall/{module}/__init__.py", f'"""squall.{module}."""\n')
            write(tmp_path, f"{folder}/src/squall/{module}/py.typed", "")
        (tmp_path / folder / "tests").mkdir()
    write(tmp_path, "packages/testing/src/squall/testing/pytest_plugin.py", '"""plugin."""\n')
    (tmp_path / ".importlinter").write_text(cb.render_contracts(tmp_path), encoding="utf-8")
    return tmp_path


def breaches(root: Path) -> list[tuple[str, int, str]]:
    found = cb.Checker(root).run()
    return [(b.path.relative_to(root).as_posix(), b.line, b.message) for b in found]


def places(root: Path) -> list[tuple[str, int]]:
    return [(path, line) for path, line, _ in breaches(root)]


def line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# -- the clean trees ------------------------------------------------------------


def test_clean_fake_repo_passes(repo: Path) -> None:
    assert breaches(repo) == []


def test_clean_fake_repo_main_prints_ok(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "packages/web/src/squall/web/_app.py", "import squall.escape\n")
    assert cb.main(["--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"boundaries OK ({len(cb.EXPECTED_GRAPH)} packages, ")
    assert out.rstrip().endswith("files)")


def test_real_repository_passes_with_plain_python() -> None:
    result = subprocess.run(
        [sys.executable, "-I", str(TOOLS / "check_boundaries.py")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("boundaries OK (")


def test_real_importlinter_holds_the_generated_contracts() -> None:
    # Hand-written extra contracts (ids not starting with "squall") may follow.
    real = (REPO / ".importlinter").read_text().split("\n\n")
    generated = cb.render_contracts(REPO).split("\n\n")
    assert [block for block in generated if block.strip() not in {b.strip() for b in real}] == []


# -- sibling imports --------------------------------------------------------------

SIBLING_BREACHES = {
    "module level": ("import os\nimport squall.web\n", 2),
    "from squall import": ("from squall import web\n", 1),
    "from squall.x import": ("from squall.httpserver import HTTPServer\n", 1),
    "inside a function": ("def f():\n    import squall.httpserver\n    return squall\n", 2),
    "inside a method": ("class C:\n    def m(self):\n        from squall import websocket\n", 3),
    "TYPE_CHECKING": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from squall.web import A\n", 3),
    "typing.TYPE_CHECKING": ("import typing\nif typing.TYPE_CHECKING:\n    import squall.ioloop\n", 3),
    "import_module": ("import importlib\nX = 1\nmod = importlib.import_module('squall.web')\n", 3),
    "bare import_module": ("from importlib import import_module\nimport_module(name='squall.web')\n", 2),
    "__import__": ("x = __import__('squall.auth')\n", 1),
    "relative climb": ("from ..web import RequestHandler\n", 1),
    "relative namespace": ("from .. import httpclient\n", 1),
    "relative import_module": ("import importlib\nimportlib.import_module('..web', 'squall.httputil')\n", 2),
    "guarded still counts": ("try:\n    import squall.web\nexcept ImportError:\n    pass\n", 2),
}


@pytest.mark.parametrize("case", sorted(SIBLING_BREACHES))
def test_undeclared_sibling_import_is_reported(repo: Path, case: str) -> None:
    source, line = SIBLING_BREACHES[case]
    write(repo, "packages/httputil/src/squall/httputil/_codec.py", source)
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/httputil/src/squall/httputil/_codec.py", line)]
    assert "squall-httputil imports squall." in found[0][2]
    assert "squall-escape" in found[0][2]  # names what it may import


def test_transitive_and_own_imports_are_allowed(repo: Path) -> None:
    write(repo, "packages/httpserver/src/squall/httpserver/_a.py", "import squall.escape\nfrom . import _b\n")
    write(repo, "packages/httpserver/src/squall/httpserver/_b.py", "from squall.httpserver import _a\n")
    write(repo, "packages/web/src/squall/web/_c.py", "from squall import ioloop, template, locale, httputil\n")
    write(repo, "packages/squall/src/squall/cli/_main.py", "import squall.web, squall.testing, squall.auth\n")
    write(repo, "packages/httputil/src/squall/httputil/_d.py", "import squall\nfrom .. import escape\n")
    assert breaches(repo) == []


def test_package_tests_are_checked_for_sibling_imports(repo: Path) -> None:
    write(repo, "packages/web/tests/test_web.py", "import pytest\nimport hypothesis\n\nfrom squall.testing import gen_test\n")
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/web/tests/test_web.py", 4)]
    assert "squall.testing" in found[0][2]


def test_pytest_plugins_in_tests_count_as_imports(repo: Path) -> None:
    write(repo, "packages/web/tests/conftest.py", 'import os\npytest_plugins = [\n    "pytester",\n    "squall.testing.pytest_plugin",\n]\n')
    assert places(repo) == [("packages/web/tests/conftest.py", 4)]
    write(repo, "packages/testing/tests/conftest.py", 'pytest_plugins = "squall.testing.pytest_plugin"\n')
    assert places(repo) == [("packages/web/tests/conftest.py", 4)]


def test_tests_may_use_relative_imports_and_any_third_party(repo: Path) -> None:
    write(repo, "packages/escape/tests/test_escape.py", "import trustme\nfrom .helpers import x\nimport squall.escape\n")
    assert breaches(repo) == []


def test_unknown_squall_module(repo: Path) -> None:
    write(repo, "packages/web/src/squall/web/_x.py", "\n\nimport squall.nothere\n")
    assert breaches(repo) == [
        ("packages/web/src/squall/web/_x.py", 3, "imports squall.nothere, which no distribution ships")
    ]


def test_syntax_error_is_reported(repo: Path) -> None:
    write(repo, "packages/web/src/squall/web/_x.py", "x = 1\ndef (:\n")
    assert places(repo) == [("packages/web/src/squall/web/_x.py", 2)]


# -- third-party imports -------------------------------------------------------------


def test_undeclared_third_party_import(repo: Path) -> None:
    write(repo, "packages/escape/src/squall/escape/_x.py", "import json\n\ndef f():\n    import yaml\n")
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/escape/src/squall/escape/_x.py", 4)]
    assert "pyyaml" in found[0][2] and "does not declare" in found[0][2]


def test_extra_declared_by_a_dependency_does_not_count(repo: Path) -> None:
    write(repo, "packages/web/src/squall/web/_x.py", "def f():\n    import pycurl\n")
    assert places(repo) == [("packages/web/src/squall/web/_x.py", 2)]


LAZY_OK = {
    "in a function": "def f():\n    import pycurl\n    return pycurl\n",
    "in a method": "class C:\n    def m(self):\n        from pycurl import Curl\n",
    "try ImportError": "try:\n    import pycurl\nexcept ImportError:\n    pycurl = None\n",
    "try tuple": "try:\n    import pycurl\nexcept (ValueError, ModuleNotFoundError):\n    pycurl = None\n",
    "TYPE_CHECKING": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pycurl\n",
    "import_module in function": "import importlib\ndef f():\n    return importlib.import_module('pycurl')\n",
}


@pytest.mark.parametrize("case", sorted(LAZY_OK))
def test_lazy_optional_import_is_allowed(repo: Path, case: str) -> None:
    write(repo, "packages/httpclient/src/squall/curl_httpclient/_curl.py", LAZY_OK[case])
    assert breaches(repo) == []


EAGER = {
    "module level": ("import os\nimport pycurl\n", 2),
    "from at module level": ("from pycurl import Curl\n", 1),
    "class body": ("class C:\n    import pycurl\n", 2),
    "wrong except": ("try:\n    import pycurl\nexcept Exception:\n    pass\n", 2),
    "in the handler": ("try:\n    import os\nexcept ImportError:\n    import pycurl\n", 4),
    "decorator": ("import functools\n@functools.lru_cache(__import__('pycurl').VERSION_FIRST)\ndef f(): pass\n", 2),
    "import_module": ("import importlib\npycurl = importlib.import_module('pycurl')\n", 2),
}


@pytest.mark.parametrize("case", sorted(EAGER))
def test_eager_optional_import_is_reported(repo: Path, case: str) -> None:
    source, line = EAGER[case]
    write(repo, "packages/httpclient/src/squall/curl_httpclient/_curl.py", source)
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/httpclient/src/squall/curl_httpclient/_curl.py", line)]
    assert "extra [curl]" in found[0][2] and "squall-httpclient[curl]" in found[0][2]


def test_pytest_plugin_may_import_pytest(repo: Path) -> None:
    write(repo, "packages/testing/src/squall/testing/pytest_plugin.py", "import pytest\nfrom _pytest import fixtures\n")
    assert breaches(repo) == []
    write(repo, "packages/testing/src/squall/testing/_case.py", "import unittest\nimport pytest\n")
    assert places(repo) == [("packages/testing/src/squall/testing/_case.py", 2)]


def test_required_third_party_dependency_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/escape/pyproject.toml"
    replace(pyproject, "dependencies = [\n", 'dependencies = [\n    "six>=1.0",\n')
    write(repo, "packages/escape/src/squall/escape/_x.py", "import six\n")
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/escape/pyproject.toml", line_of(pyproject, '"six>=1.0"'))]
    assert "opt-in" in found[0][2]


# -- the declared graph ------------------------------------------------------------------


def test_extra_sibling_dependency_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/httputil/pyproject.toml"
    replace(pyproject, '    "squall-escape>=0.1,<0.2",\n', '    "squall-escape>=0.1,<0.2",\n    "squall-web>=0.1,<0.2",\n')
    found = breaches(repo)
    assert ("packages/httputil/pyproject.toml", line_of(pyproject, "squall-web")) in [(p, n) for p, n, _ in found]
    assert any("depends on squall-web" in m and "does not allow" in m for _, _, m in found)


def test_missing_sibling_dependency_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/web/pyproject.toml"
    replace(pyproject, '    "squall-locale>=0.1,<0.2",\n', "")
    found = breaches(repo)
    assert found == [
        ("packages/web/pyproject.toml", line_of(pyproject, "dependencies = ["),
         "squall-web must declare squall-locale (DESIGN.md section 3)")
    ]


def test_code_follows_declared_graph_not_only_expected(repo: Path) -> None:
    # With squall-locale undeclared, importing it is also a breach in the code.
    replace(repo / "packages/web/pyproject.toml", '    "squall-locale>=0.1,<0.2",\n', "")
    write(repo, "packages/web/src/squall/web/_x.py", "import squall.locale\n")
    assert ("packages/web/src/squall/web/_x.py", 1) in places(repo)


def test_unknown_distribution_is_reported(repo: Path) -> None:
    pyproject = write(repo, "packages/extra/pyproject.toml", pyproject_text("squall-escape").replace(
        'name = "squall-escape"', 'name = "squall-extra"').replace("squall/escape", "squall/extra"))
    write(repo, "packages/extra/src/squall/extra/__init__.py", "")
    write(repo, "packages/extra/src/squall/extra/py.typed", "")
    found = breaches(repo)
    assert ("packages/extra/pyproject.toml", line_of(pyproject, "name =")) in [(p, n) for p, n, _ in found]
    assert any("squall-extra is not in DESIGN.md" in m for _, _, m in found)


def test_missing_distribution_is_reported(repo: Path) -> None:
    import shutil

    shutil.rmtree(repo / "packages/wsgi")
    found = breaches(repo)
    assert any(p == "packages" and "squall-wsgi" in m and "has no" in m for p, _, m in found)


# -- requirements --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requirement",
    [
        '"squall-escape"',
        '"squall-escape>=0.1"',
        '"squall-escape<0.2"',
        '"squall-escape @ file:///work/main/packages/escape"',
        '"squall_escape @ https://example.invalid/squall_escape-0.1.0.whl"',
    ],
)
def test_sibling_without_version_range_is_reported(repo: Path, requirement: str) -> None:
    pyproject = repo / "packages/httputil/pyproject.toml"
    replace(pyproject, '"squall-escape>=0.1,<0.2"', requirement)
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/httputil/pyproject.toml", line_of(pyproject, requirement))]
    assert "version range" in found[0][2]


def test_sibling_with_compatible_release_is_a_range(repo: Path) -> None:
    replace(repo / "packages/httputil/pyproject.toml", '"squall-escape>=0.1,<0.2"', '"squall-escape~=0.1.0"')
    assert breaches(repo) == []


def test_poetry_path_dependency_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/httputil/pyproject.toml"
    replace(pyproject, "[tool.poetry]\n",
            '[tool.poetry.dependencies]\nsquall-escape = { path = "../escape", develop = true }\n\n[tool.poetry]\n')
    assert places(repo) == [("packages/httputil/pyproject.toml", line_of(pyproject, 'path = "../escape"'))]


# -- layout ----------------------------------------------------------------------------


def test_namespace_init_is_reported(repo: Path) -> None:
    write(repo, "packages/template/src/squall/__init__.py", "")
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/template/src/squall/__init__.py", 1)]
    assert "PEP 420" in found[0][2]


@pytest.mark.parametrize("missing", ["py.typed", "__init__.py"])
def test_module_without_marker_files_is_reported(repo: Path, missing: str) -> None:
    (repo / f"packages/locale/src/squall/locale/{missing}").unlink()
    found = breaches(repo)
    assert [p for p, _, _ in found] == [f"packages/locale/src/squall/locale/{missing}"]
    assert f"lacks {missing}" in found[0][2]


def test_include_of_missing_module_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/ioloop/pyproject.toml"
    replace(pyproject, '    { include = "squall/ioloop", from = "src" },\n',
            '    { include = "squall/ioloop", from = "src" },\n    { include = "squall/ghost", from = "src" },\n')
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found] == [("packages/ioloop/pyproject.toml", line_of(pyproject, "squall/ghost"))]
    assert "does not exist" in found[0][2]


def test_module_dir_without_include_is_reported(repo: Path) -> None:
    write(repo, "packages/ioloop/src/squall/tcpclient/__init__.py", "")
    write(repo, "packages/ioloop/src/squall/tcpclient/py.typed", "")
    pyproject = repo / "packages/ioloop/pyproject.toml"
    found = breaches(repo)
    assert [(p, n) for p, n, _ in found][0] == ("packages/ioloop/pyproject.toml", line_of(pyproject, "packages = ["))
    assert "squall/tcpclient" in found[0][2]


def test_module_file_outside_a_package_dir_is_reported(repo: Path) -> None:
    write(repo, "packages/escape/src/squall/loose.py", "x = 1\n")
    assert places(repo) == [("packages/escape/src/squall/loose.py", 1)]


def test_malformed_include_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/wsgi/pyproject.toml"
    replace(pyproject, '{ include = "squall/wsgi", from = "src" }', '{ include = "squall" , from = "src" }')
    found = places(repo)
    assert ("packages/wsgi/pyproject.toml", line_of(pyproject, 'include = "squall" ')) in found


def test_expected_module_in_the_wrong_distribution_is_reported(repo: Path) -> None:
    import shutil

    # Move squall.curl_httpclient from httpclient to web: the layout and graph
    # change together, so only the DESIGN.md assignment catches it.
    shutil.move(repo / "packages/httpclient/src/squall/curl_httpclient", repo / "packages/web/src/squall/curl_httpclient")
    replace(repo / "packages/httpclient/pyproject.toml", '    { include = "squall/curl_httpclient", from = "src" },\n', "")
    replace(repo / "packages/web/pyproject.toml", '    { include = "squall/web", from = "src" },\n',
            '    { include = "squall/web", from = "src" },\n    { include = "squall/curl_httpclient", from = "src" },\n')
    (repo / ".importlinter").write_text(cb.render_contracts(repo))
    found = breaches(repo)
    assert ("packages/httpclient/pyproject.toml", line_of(repo / "packages/httpclient/pyproject.toml", "packages = [")) \
        in [(p, n) for p, n, _ in found]
    assert any("puts squall.curl_httpclient in squall-httpclient" in m for _, _, m in found)


# -- import-linter contracts -------------------------------------------------------------


def test_contract_missing_a_forbidden_module_is_reported(repo: Path) -> None:
    config = repo / ".importlinter"
    lines = config.read_text().splitlines(keepends=True)
    start = lines.index("[importlinter:contract:squall-httputil]\n")
    target = next(i for i in range(start, len(lines)) if lines[i] == "    squall.web\n")
    del lines[target]
    config.write_text("".join(lines))
    found = breaches(repo)
    key = next(i for i in range(start, len(lines)) if lines[i].startswith("forbidden_modules")) + 1
    assert found == [(".importlinter", key,
                      "[importlinter:contract:squall-httputil] does not forbid squall.web, which squall-httputil "
                      "may not import (DESIGN.md section 3)")]


def contract_blocks(config: Path) -> list[str]:
    return config.read_text().split("\n\n")


def test_contract_forbidding_an_allowed_module_is_reported(repo: Path) -> None:
    config = repo / ".importlinter"
    blocks = [
        b.replace("forbidden_modules =\n", "forbidden_modules =\n    squall.template\n")
        if b.startswith("[importlinter:contract:squall-wsgi]") else b
        for b in contract_blocks(config)
    ]
    config.write_text("\n\n".join(blocks))
    found = breaches(repo)
    assert found == [(
        ".importlinter", line_of(config, "squall-wsgi]") + 5,
        "[importlinter:contract:squall-wsgi] forbids squall.template, which DESIGN.md section 3 lets squall-wsgi import",
    )]


def test_missing_contract_and_root_package_are_reported(repo: Path) -> None:
    config = repo / ".importlinter"
    blocks = [b for b in contract_blocks(config) if not b.startswith("[importlinter:contract:squall-auth]")]
    config.write_text("\n\n".join(blocks).replace("    squall.escape\n", "", 1))
    found = breaches(repo)
    assert [(p, m.split(" ")[0:3]) for p, _, m in found] == [
        (".importlinter", ["no", "contract", "[importlinter:contract:squall-auth]"]),
        (".importlinter", ["root_packages", "lacks", "squall.escape:"]),
    ]


def test_contract_of_unknown_distribution_is_reported(repo: Path) -> None:
    config = repo / ".importlinter"
    config.write_text(config.read_text() + "\n[importlinter:contract:squall-extra]\nname = x\ntype = forbidden\n")
    assert places(repo) == [(".importlinter", line_of(config, "squall-extra]"))]


def test_contracts_missing_file(repo: Path) -> None:
    (repo / ".importlinter").unlink()
    assert places(repo) == [(".importlinter", 0)]


# -- output and exit status ------------------------------------------------------------


def test_main_output_and_exit_status(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "packages/escape/src/squall/escape/_x.py", "import squall.web\nimport squall.ioloop\n")
    assert cb.main(["--root", str(repo)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("packages/escape/src/squall/escape/_x.py:1: squall-escape imports squall.web")
    assert out[1].startswith("packages/escape/src/squall/escape/_x.py:2: squall-escape imports squall.ioloop")
    assert out[2].startswith("2 boundary breaches in 1 file")


def test_main_on_a_directory_without_packages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cb.main(["--root", str(tmp_path)]) == 2
    assert "--root" in capsys.readouterr().err


# -- the expected graph is DESIGN.md section 3 -------------------------------------------

DESIGN = [p for p in (REPO / "DESIGN.md", REPO.parent / "shared" / "DESIGN.md") if p.is_file()]


def design_table(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """distribution -> (modules, direct sibling deps) from the section 3 table."""
    import re

    section = text.split("## 3.", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| squall")]
    table: dict[str, tuple[set[str], set[str]]] = {}
    for row in rows:
        dist, modules, deps = (cell.strip() for cell in row.strip("|").split("|")[:3])
        dist = dist.split(" ", 1)[0]  # "squall (meta)"
        names = set(re.findall(r"`squall\.(\w+)`", modules))
        deps = re.sub(r"\([^)]*\)", "", deps.split(";", 1)[0]).strip()
        table[dist] = (names, set() if deps.startswith("nothing") else {f"squall-{d.strip()}" for d in deps.split(",")})
    for dist, (names, deps) in table.items():
        if deps == {"squall-all of the above"}:
            table[dist] = (names, set(table) - {dist})
    return table


@pytest.mark.skipif(not DESIGN, reason="DESIGN.md is not beside the repository")
def test_expected_graph_is_design_section_3() -> None:
    table = design_table(DESIGN[0].read_text())
    extensions = set(cb.BEYOND_DESIGN)
    assert not extensions & set(table), "a distribution in DESIGN.md need not be listed as beyond it"
    assert set(table) == set(cb.EXPECTED_GRAPH) - extensions
    for dist, (modules, deps) in table.items():
        if dist == "squall":  # the meta-package depends on every distribution
            deps = deps | extensions
        assert set(cb.EXPECTED_GRAPH[dist]) == deps, dist
        assert set(cb.EXPECTED_MODULES[dist]) == modules, dist
    for dist in extensions:  # extensions depend only on distributions of the design
        assert set(cb.EXPECTED_GRAPH[dist]) <= set(table), dist


def test_include_as_a_plain_string_is_reported(repo: Path) -> None:
    pyproject = repo / "packages/wsgi/pyproject.toml"
    replace(pyproject, '{ include = "squall/wsgi", from = "src" }', '"squall/wsgi"')
    found = places(repo)
    assert ("packages/wsgi/pyproject.toml", line_of(pyproject, '"squall/wsgi"')) in found


# -- the poetry test group: test-only siblings -----------------------------------

TEST_GROUP = '\n[tool.poetry.group.test.dependencies]\nsquall-testing = ">=0.1,<0.2"\n'


def test_tests_may_import_a_sibling_of_the_test_group(repo: Path) -> None:
    pyproject = repo / "packages/web/pyproject.toml"
    pyproject.write_text(pyproject.read_text() + TEST_GROUP)
    write(repo, "packages/web/tests/test_app.py", "from squall.testing import AsyncHTTPTestCase\n")
    assert breaches(repo) == []


def test_sources_may_not_import_a_sibling_of_the_test_group(repo: Path) -> None:
    pyproject = repo / "packages/web/pyproject.toml"
    pyproject.write_text(pyproject.read_text() + TEST_GROUP)
    write(repo, "packages/web/src/squall/web/_app.py", "\n\nimport squall.testing\n")
    assert places(repo) == [("packages/web/src/squall/web/_app.py", 3)]


def test_tests_without_the_test_group_may_not_import_testing(repo: Path) -> None:
    write(repo, "packages/web/tests/test_app.py", "import squall.httpclient\n")
    found = breaches(repo)
    assert [(p, line) for p, line, _ in found] == [("packages/web/tests/test_app.py", 1)]
    assert "squall.httpclient" in found[0][2]


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('requests = ">=2,<3"', "not a squall distribution"),
        ('squall-testing = "*"', "version range"),
        ('squall-web = ">=0.1,<0.2"', "another sibling"),
    ],
)
def test_bad_test_group_entries_are_breaches(repo: Path, entry: str, needle: str) -> None:
    pyproject = repo / "packages/web/pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.poetry.group.test.dependencies]\n" + entry + "\n")
    found = breaches(repo)
    assert [(p, line) for p, line, _ in found] == [
        ("packages/web/pyproject.toml", line_of(pyproject, entry))
    ]
    assert needle in found[0][2]
