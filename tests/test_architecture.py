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
    """Queries live in cs_logic; pages and app.py only call it."""
    pattern = re.compile(r"\bSELECT\b.+\bFROM\b", re.IGNORECASE)
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    offenders = [p.name for p in files if p.exists() and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
