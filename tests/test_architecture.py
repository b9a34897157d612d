"""The shape of the house: cs_logic knows no screen, and pages hold no SQL."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_cs_logic_never_imports_streamlit():
    """Every module under cs_logic/ is free of streamlit, however it is imported."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "cs_logic").rglob("*.py")
                 if "streamlit" in _imports(p)]
    assert offenders == []


def test_cs_logic_has_modules_to_check():
    """The guard above walks real files (an empty walk would pass vacuously)."""
    assert len(list((ROOT / "cs_logic").rglob("*.py"))) >= 5


def test_pages_hold_no_sql():
    """Queries live in cs_logic; pages, their helpers (pages/_shared/) and app.py only call it."""
    pattern = re.compile(r"\bSELECT\b.+\bFROM\b", re.IGNORECASE)
    files = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]
    offenders = [p.name for p in files if p.exists() and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# The layers of cs_logic, lowest first: a module may import its own layer and the layers below it, never above.
LAYERS = ("core", "read", "metrics", "scoring", "charts", "output", "views")


def _layer(module: str) -> int | None:
    """The rank of a ``cs_logic.<layer>...`` module; None for the package itself and the command line (top)."""
    parts = module.split(".")
    if parts[0] != "cs_logic" or len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def _cs_logic_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cs_logic")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cs_logic"):
            found |= {f"{node.module}.{a.name}" if node.module in ("cs_logic", *(f"cs_logic.{x}" for x in LAYERS))
                      else node.module for a in node.names}
    return found


def test_every_cs_logic_module_sits_in_a_layer():
    """Apart from the package's own files (__init__, the command line), each module is in one layer folder."""
    loose = sorted(p.name for p in (ROOT / "cs_logic").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    folders = sorted(p.name for p in (ROOT / "cs_logic").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert loose == []
    assert folders == sorted(LAYERS)


def test_imports_run_down_the_layers_only():
    """read never imports metrics, metrics never scoring, ... views is the top; the command line may use all."""
    wrong = []
    for path in sorted((ROOT / "cs_logic").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        here = _layer(".".join(rel.parts))
        if here is None:
            continue
        for target in _cs_logic_imports(path):
            there = _layer(target)
            if there is not None and there > here:
                wrong.append(f"{'.'.join(rel.parts)} -> {target}")
    assert wrong == []


def test_the_layer_check_sees_a_wrong_way_import(tmp_path):
    """The guard is not vacuous: an import from read up to metrics is caught."""
    bad = tmp_path / "x.py"
    bad.write_text("from cs_logic.metrics import funnel\nfrom cs_logic.read.parse import infer_kind\n")
    assert [t for t in _cs_logic_imports(bad) if _layer(t) > _layer("cs_logic.read.x")] == ["cs_logic.metrics.funnel"]


def _make_rule(target: str) -> tuple[list[str], list[str]]:
    """(prerequisites, recipe lines) of one target in the Makefile."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return lines[start].split(":", 1)[1].split(), recipe


def test_make_test_runs_ruff_mypy_and_the_doctests_first():
    """`make test` depends on `check`, whose recipe runs ruff over the repo, mypy (strict, from pyproject) and the
    cs_logic doctests; the full run then takes tests/ (a bare `pytest` collects the doctests too, from pyproject's
    testpaths). Dropping one of them fails here."""
    test_needs, test_recipe = _make_rule("test")
    _, check_recipe = _make_rule("check")
    assert "check" in test_needs and any("pytest" in line for line in test_recipe)
    assert any("ruff check ." in line for line in check_recipe)
    assert any(line.endswith("/mypy") for line in check_recipe)
    assert any("--doctest-modules cs_logic" in line for line in check_recipe)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^addopts = ".*--doctest-modules', pyproject, re.MULTILINE)
    assert re.search(r'^testpaths = \[.*"cs_logic"', pyproject, re.MULTILINE)
    assert re.search(r"^strict = true", pyproject, re.MULTILINE)
