"""Broken group files fail the close with a sentence naming file, row and column (issue 15).

Each case writes the two-entity test group, breaks one file the way a real one breaks, and runs
the real ``close run``. Before, these surfaced as library text: pandas' "Expected 3 fields in line
3, saw 5" without the file, PostgreSQL's DataError for a NUL byte, the csv module's "field larger
than field limit". Now the run ends FAILED at the stage that reads the file (exit 1), its reason
names the file, row and column and says what was expected, nothing is printed as a traceback,
and the stage wrote nothing (no trial-balance lines of the entity, no resolved mappings).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import MAPPING, OPENING, RATES, SUB_TB, write_group

BUDGET = "period,entity,account,amount\n2026-01,,4000,-100.00\n"
LIBRARY_WORDS = ("Traceback", "ParserError", "DataError", "csv.Error", "field larger than field limit",
                 "UnicodeDecodeError", "psycopg", "sqlalchemy")

# name: (file, broken content, failed stage, failed entity, words the reason must hold)
CASES = {
    "mapping-row-with-extra-fields": (
        "mapping.csv", MAPPING.replace("P,1800,1800\n", "P,1800,1800,Investment, at cost\n"),
        "MAPPING", None, ("mapping.csv", "row 3", "expected 3 fields as in the header, got 5")),
    "tb-nul-in-a-name": (
        "tb/S/2026-01.csv", SUB_TB.replace("Caixa", "Cai\x00xa"),
        "EXTRACTING", "S", ("tb/S/2026-01.csv", "row 2", "column 'name'", "NUL character")),
    "tb-field-over-the-size-limit": (
        "tb/S/2026-01.csv", SUB_TB.replace("Caixa", "C" * 200_000),
        "EXTRACTING", "S", ("tb/S/2026-01.csv", "row 2", "longer than 131,072 characters")),
    "opening-nul": (
        "opening.csv", OPENING.replace("S,3300", "S,33\x0000"),
        "CONSOLIDATING", None, ("opening.csv", "row 3", "column 'account'", "NUL character")),
    "rates-not-utf8": (
        "rates.csv", RATES.encode("utf-8") + b"2026-03,BRL,0.2\xe70,0.21\n",
        "EXTRACTING", "@rates", ("rates.csv", "row 5", "not UTF-8")),
    "budget-row-with-extra-fields": (
        "budget.csv", BUDGET + "2026-01,,4000,-1,000.00\n",
        None, None, ("budget.csv", "row 3", "expected 4 fields as in the header, got 5")),
}


def _count(pg_url: str, table: str, run_id: str, entity: str | None) -> int:
    """Count a run's rows in ``table`` as the database owner (no tenant filter needed: one run)."""
    query = f"SELECT count(*) FROM {table} WHERE run_id = %s"  # noqa: S608 - fixed table names
    params: list[str] = [run_id]
    if entity:
        query += " AND entity_id = %s"
        params.append(entity)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("case", list(CASES))
def test_broken_group_file_fails_the_close_naming_file_row_and_column(
        pg_url: str, tmp_path: Path, case: str) -> None:
    name, content, stage, entity, words = CASES[case]
    config = write_group(tmp_path / "group")
    if name == "budget.csv":
        text = config.read_text(encoding="utf-8").replace(
            'mapping = "mapping.csv"', 'mapping = "mapping.csv"\nbudget = "budget.csv"')
        config.write_text(text, encoding="utf-8")
    path = tmp_path / "group" / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    env = cli_env(pg_url, tmp_path / "home")

    done = close(env, "run", "--config", str(config), "--period", "2026-01")

    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert not any(word in shown for word in LIBRARY_WORDS), shown
    run = close_json(env, "status")["runs"][0]
    reason = run["failure_reason"]
    assert run["status"] == "FAILED", run
    assert all(word in reason for word in words), reason
    assert not any(word in reason for word in LIBRARY_WORDS), reason
    if stage:
        assert run["failed_stage"] == stage and run["failed_entity"] == entity, run
    if stage == "EXTRACTING" and entity != "@rates":
        assert _count(pg_url, "trial_balances", run["id"], entity) == 0
    if stage == "MAPPING":
        assert _count(pg_url, "account_mappings", run["id"], None) == 0
