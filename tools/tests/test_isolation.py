"""Tests of tools/isolation.py on a small fake monorepo (escape, template,
httputil): wheels are really built with poetry-core and installed into fresh
environments, so each planted fault must show up in the result table."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent

pytestmark = pytest.mark.skipif(importlib.util.find_spec("poetry.core") is None,
                                reason="poetry-core is needed to build wheels")


def _load() -> ModuleType:
    sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location("isolation", TOOLS / "isolation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["isolation"] = module
    spec.loader.exec_module(module)
    return module


iso = _load()


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def add_package(root: Path, dist: str, deps: list[str], source: str = "", tests: dict[str, str] | None = None) -> None:
    folder = dist.removeprefix("squall-")
    requirements = "".join(f'    "{d}>=0.1,<0.2",\n' for d in deps)
    write(root, f"packages/{folder}/pyproject.toml", f"""\
        [project]
        name = "{dist}"
        version = "0.1.0"
        description = "a fake distribution"
        requires-python = ">=3.10"
        dependencies = [
        {textwrap.indent(requirements, '')}]

        [tool.poetry]
        packages = [{{ include = "squall/{folder}", from = "src" }}]

        [build-system]
        requires = ["poetry-core>=2.0,<3"]
        build-backend = "poetry.core.masonry.api"
        """)
    write(root, f"packages/{folder}/src/squall/{folder}/__init__.py", source or f'"""squall.{folder}."""\nVALUE = 1\n')
    write(root, f"packages/{folder}/src/squall/{folder}/py.typed", "")
    (root / f"packages/{folder}/tests").mkdir(parents=True, exist_ok=True)
    for name, text in (tests or {}).items():
        write(root, f"packages/{folder}/tests/{name}", text)


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    write(tmp_path, "pyproject.toml", '[tool.pytest.ini_options]\naddopts = "--import-mode=importlib -p no:cacheprovider"\n')
    shutil.copy(REPO / "requirements-dev.txt", tmp_path / "requirements-dev.txt")
    return tmp_path


def isolation(root: Path, *args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, str(TOOLS / "isolation.py"), "--root", str(root), *args],
                            capture_output=True, text=True, timeout=300, check=False)
    return result.returncode, result.stdout + result.stderr


def table_row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        if line.startswith(name + " "):
            return line.split()
    raise AssertionError(f"no row for {name} in:\n{output}")


def test_full_run_reports_each_fault(fake: Path) -> None:
    add_package(fake, "squall-escape", [], tests={"test_escape.py": """\
        import squall.escape

        def test_value():
            assert squall.escape.VALUE == 1
        """})
    # A test that reaches around the installed wheel into the source tree.
    add_package(fake, "squall-template", [], tests={"test_template.py": f"""\
        import sys

        def test_leak():
            sys.modules.pop("squall.template", None)
            sys.path.insert(0, {str(fake / 'packages/template/src')!r})
            import squall.template
            assert squall.template.VALUE == 1
        """})
    # An optional dependency imported at module level: fails without the extra.
    add_package(fake, "squall-httputil", ["squall-escape"], source="import pycurl\n")
    code, out = isolation(fake)
    assert code == 1, out
    assert table_row(out, "squall-escape")[1:] == ["ok", "1", "dist", "1", "ok", "1", "passed",
                                                  table_row(out, "squall-escape")[-2], "ok"]
    assert table_row(out, "squall-template")[-1] == "FAIL"
    assert "LEAK" in table_row(out, "squall-template")
    assert "squall.template from " + str(fake / "packages/template/src") in out
    assert table_row(out, "squall-httputil")[-1] == "FAIL"
    assert "No module named 'pycurl'" in out
    assert table_row(out, "squall-escape + squall-template")[-1] == "ok"
    assert sorted(p.name for p in (fake / "dist").iterdir()) == [
        "squall_escape-0.1.0-py3-none-any.whl", "squall_escape-0.1.0.tar.gz",
        "squall_httputil-0.1.0-py3-none-any.whl", "squall_httputil-0.1.0.tar.gz",
        "squall_template-0.1.0-py3-none-any.whl", "squall_template-0.1.0.tar.gz",
    ]


def test_only_reports_a_closure_beyond_the_design(fake: Path) -> None:
    add_package(fake, "squall-escape", [])
    add_package(fake, "squall-template", [])
    add_package(fake, "squall-httputil", ["squall-escape", "squall-template"])
    code, out = isolation(fake, "--only", "httputil", "--no-tests")
    assert code == 1, out
    assert "also installed squall-template" in out
    assert table_row(out, "squall-httputil")[2] == "FAIL"
    assert "isolation FAILED: 1 of 1 checks" in out


def test_only_reports_an_undeclared_sibling_import(fake: Path) -> None:
    add_package(fake, "squall-escape", [])
    add_package(fake, "squall-httputil", [], source="import squall.escape\n")
    code, out = isolation(fake, "--only", "squall-httputil", "--no-tests")
    assert code == 1, out
    assert "did not install squall-escape" in out
    assert "No module named 'squall.escape'" in out


def test_only_clean_package_without_tests(fake: Path) -> None:
    add_package(fake, "squall-escape", [])
    add_package(fake, "squall-httputil", ["squall-escape"])
    code, out = isolation(fake, "--only", "httputil")
    assert code == 0, out
    row = table_row(out, "squall-httputil")
    assert row[1:7] == ["ok", "2", "dists", "1", "ok", "no"]
    assert "isolation OK: 1 checks" in out


def test_unknown_only_name(fake: Path) -> None:
    add_package(fake, "squall-escape", [])
    code, out = isolation(fake, "--only", "nothing")
    assert code == 2
    assert "no distribution named 'nothing'" in out


def make_wheel(path: Path, requires: list[str], files: list[str]) -> Path:
    wheel = path / "squall_httputil-0.1.0-py3-none-any.whl"
    metadata = "Metadata-Version: 2.4\nName: squall-httputil\nVersion: 0.1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in files:
            archive.writestr(name, "")
        archive.writestr("squall_httputil-0.1.0.dist-info/METADATA", metadata)
    return wheel


GOOD_FILES = ["squall/httputil/__init__.py", "squall/httputil/py.typed"]


def inspect(tmp_path: Path, requires: list[str], files: list[str]) -> list[str]:
    dist = iso.Dist("squall-httputil", tmp_path, ["httputil"])
    dist.wheel = make_wheel(tmp_path, requires, files)
    return list(iso.inspect_wheel(dist, {"squall-escape", "squall-httputil"}))


def test_inspect_wheel_accepts_ranges(tmp_path: Path) -> None:
    assert inspect(tmp_path, ["squall-escape (>=0.1,<0.2)", 'pycurl (>=7.45) ; extra == "curl"'], GOOD_FILES) == []


@pytest.mark.parametrize(
    ("requires", "files", "expected"),
    [
        (["squall-escape @ file:///work/main/packages/escape"], GOOD_FILES, "path/URL"),
        (["squall-escape"], GOOD_FILES, "without a version range"),
        (["squall-escape (>=0.1)"], GOOD_FILES, "without a version range"),
        ([], [*GOOD_FILES, "squall/__init__.py"], "PEP 420"),
        ([], ["squall/httputil/__init__.py"], "lacks squall/httputil/py.typed"),
        ([], [*GOOD_FILES, "squall/web/__init__.py"], "outside its modules"),
    ],
)
def test_inspect_wheel_reports_problems(tmp_path: Path, requires: list[str], files: list[str], expected: str) -> None:
    problems = inspect(tmp_path, requires, files)
    assert len(problems) == 1 and expected in problems[0], problems


def test_test_requirements_are_detected_and_pinned(tmp_path: Path) -> None:
    write(tmp_path, "tests/test_x.py", "import hypothesis\nimport trustme\nimport _helpers\nimport notpinned\n"
                                       "from squall.escape import x\n")
    write(tmp_path, "tests/_helpers.py", "")
    dist = iso.Dist("squall-escape", tmp_path, ["escape"])
    pins = {"pytest": "pytest==1", "pytest-timeout": "pytest-timeout==2", "hypothesis": "hypothesis==3",
            "trustme": "trustme==4"}
    requirements, unpinned = iso.test_requirements(dist, pins)
    assert requirements == ("hypothesis==3", "pytest-timeout==2", "pytest==1", "trustme==4")
    assert unpinned == ["notpinned"]
