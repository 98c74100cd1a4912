"""The engine reads as named steps: no function in close/engine longer than 100 lines of code.

Issue 14 asks for the engine's long functions (translation, investment elimination) to become
named steps with frame-in/frame-out contracts. The docstring, which states the rule a step
implements, does not count: only the lines from the first statement after it to the end.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "close" / "engine"
LIMIT = 100


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return 0 if not body else (node.end_lineno or 0) - body[0].lineno + 1


def test_no_engine_function_is_longer_than_a_page() -> None:
    long = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _code_lines(node) > LIMIT:
                long.append(f"{path.relative_to(ENGINE.parents[1])}:{node.lineno} {node.name} "
                            f"({_code_lines(node)} lines)")
    assert not long, "split into named steps: " + "; ".join(long)
