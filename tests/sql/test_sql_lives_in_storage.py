"""All SQL lives in close/storage/: no query text anywhere else in the product's packages.

The scan reads the syntax tree, so comments and docstrings do not count; it flags
``sa.text(...)`` / ``sqlalchemy.text(...)`` calls, ``text`` imported from sqlalchemy,
``exec_driver_sql``, and any string constant that reads like a SQL statement.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("close", "connectors", "workers", "reports")
STORAGE = ROOT / "close" / "storage"

# A statement's shape, not a lone keyword: "SELECT … FROM", "INSERT INTO", "UPDATE t SET", "DELETE FROM".
_SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                  r"|\bSELECT\s+(pg_|monthclose_)\w*\(")


def _docstrings(tree: ast.AST) -> set[int]:
    """Return the ids of the string nodes that are docstrings (they may describe SQL)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def sql_outside_storage(path: Path, source: str) -> list[str]:
    """Return ``file:line: what`` for every piece of SQL in one module."""
    tree = ast.parse(source, filename=str(path))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if any(alias.name == "text" for alias in node.names):
                what = "imports text from sqlalchemy"
        elif isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql":
            what = "exec_driver_sql"
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "text"
              and isinstance(node.func.value, ast.Name) and node.func.value.id in ("sa", "sqlalchemy")):
            what = f"{node.func.value.id}.text(...)"
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
              and _SQL.search(node.value)):
            what = f"SQL text {node.value[:40]!r}"
        if what:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")
    return sorted(found, key=lambda hit: int(hit.split(":")[1]))


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if STORAGE not in p.parents)


def test_no_sql_outside_close_storage() -> None:
    found = [hit for path in _modules()
             for hit in sql_outside_storage(path, path.read_text(encoding="utf-8"))]
    assert not found, "SQL belongs in close/storage/; found:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "import sqlalchemy as sa\nconn.execute(sa.text('SELECT 1'))\n",
    "from sqlalchemy import text\n",
    "conn.exec_driver_sql('x')\n",
    "q = 'SELECT a FROM b WHERE c = 1'\n",
    "conn.execute('UPDATE close_runs SET status = 1')\n",
    "q = f'DELETE FROM t WHERE id = {x}'\n",
])
def test_the_scan_sees_sql(source: str) -> None:
    assert sql_outside_storage(ROOT / "close" / "x.py", source)


@pytest.mark.parametrize("source", [
    '"""SELECT a FROM b, described in a docstring."""\n',
    "# conn.execute(sa.text('SELECT 1'))\n",
    "msg = 'select the run from the list'\n",
    "t.text('name')\n",
])
def test_the_scan_ignores_prose(source: str) -> None:
    assert sql_outside_storage(ROOT / "close" / "x.py", source) == []
