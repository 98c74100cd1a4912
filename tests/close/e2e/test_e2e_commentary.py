"""Issue 8 with Claude: a real run against the fake Anthropic server.

The small two-entity group (USD parent, BRL subsidiary) gets a budget and low thresholds so that
its revenue and salaries are material against budget; the commentary configuration is not the
default one, so the requests prove the configuration reaches the wire.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from close.analysis.commentary import DATA_ONLY_LABEL
from close.storage import Database
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import CONFIG, MAPPING, write_group
from tests.fakes.anthropic_server import FakeAnthropic

PERIOD = "2026-01"
MODEL, TEMPERATURE, MAX_TOKENS = "claude-haiku-4-5", 0.2, 200
PRICE_IN, PRICE_OUT = Decimal(1), Decimal(5)  # claude-haiku-4-5, USD per million tokens

# The subsidiary now also pays salaries of BRL 50 (USD 10.25 at the average rate 0.205).
SUB_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Caixa,,,,1000.00,150.00,50.00,1100.00
3000,Capital social,,,,-1000.00,0.00,0.00,-1000.00
4000,Receita,,ADM,,0.00,0.00,150.00,-150.00
6000,Salarios,,ADM,,0.00,50.00,0.00,50.00
"""
# Consolidated budget (blank entity) and the subsidiary's own revenue budget, USD, TB sign.
BUDGET = (
    f"period,entity,account,amount\n{PERIOD},,4000,-100.00\n{PERIOD},,6000,20.00\n{PERIOD},S,4000,-90.00\n"
)
EXTRA_CONFIG = f"""
[thresholds]
budget_abs = "5"
budget_pct = "0.10"

[ai]
enabled = true
model = "{MODEL}"
temperature = "{TEMPERATURE}"
max_tokens = {MAX_TOKENS}
concurrency = 2

"""


def _write_group(folder: Path) -> Path:
    config = write_group(folder, period=PERIOD, sub_tb=SUB_TB)
    text = CONFIG.replace("[files]\n", '[files]\nbudget = "budget.csv"\n', 1)
    head, sep, tail = text.partition("[[entities]]")
    config.write_text(head + EXTRA_CONFIG + sep + tail, encoding="utf-8")
    (folder / "mapping.csv").write_text(MAPPING + "S,6000,6000\n", encoding="utf-8")
    (folder / "budget.csv").write_text(BUDGET, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def _anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def anthropic(_anthropic: FakeAnthropic) -> FakeAnthropic:
    """The fake Messages API, no requests yet, no failures scripted."""
    _anthropic.reset()
    return _anthropic


def _env(pg_url: str, home: Path, fake: FakeAnthropic) -> dict[str, str]:
    return cli_env(pg_url, home, ANTHROPIC_API_KEY=fake.api_key, ANTHROPIC_BASE_URL=fake.url)


@contextmanager
def _database(pg_url: str, env: dict[str, str]) -> Iterator[Database]:
    """The CLI's tenant, in-process, for what ``close show`` does not print (bodies, lineage)."""
    database = Database.connect(pg_url, env["CLOSE_TENANT"])
    try:
        yield database
    finally:
        database.dispose()


def _run(env: dict[str, str], config: Path, *options: str) -> dict:
    done = close(env, "run", "--config", str(config), "--period", PERIOD, "--json", *options)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


def _tokens(text: str) -> int:
    """The fake's token count: a quarter of the characters, rounded up."""
    return math.ceil(len(text) / 4)


def test_material_variances_get_claude_comments_once_then_the_cache(
    pg_url: str, tmp_path: Path, anthropic: FakeAnthropic
) -> None:
    config = _write_group(tmp_path / "group")
    env = _env(pg_url, tmp_path / "home", anthropic)
    # Transient failures on the way: a rate limit, an overload and a server error, each retried.
    anthropic.fail_next(429, retry_after=0)
    anthropic.fail_next(529)
    anthropic.fail_next(500)
    first = _run(env, config)
    assert first["status"] == "COMPLETED"
    shown = close_json(env, "show", first["id"])
    usage = shown["commentary"]

    # Revenue 30.75 against 100.00 and salaries 10.25 against 20.00: both material against budget
    # (each over 5.00 and over 10 %).
    assert sorted((c["account"], c["kind"], c["entity"]) for c in usage["comments"]) == [
        ("4000", "budget", None),
        ("6000", "budget", None),
    ]
    assert all(c["source"] == "claude" and not c["cached"] and c["model"] == MODEL for c in usage["comments"])
    assert sorted(anthropic.statuses()) == [200, 200, 429, 500, 529]
    assert usage["requests"] == 5 and usage["data_only"] == 0 and usage["cache_hits"] == 0

    # What went on the wire: the configured model, temperature and max_tokens, and the prompt's figures.
    bodies = anthropic.bodies
    assert all(
        (b["model"], b["temperature"], b["max_tokens"]) == (MODEL, TEMPERATURE, MAX_TOKENS) for b in bodies
    )
    prompts = {b["messages"][0]["content"] for b in bodies}
    assert len(prompts) == 2
    revenue = next(p for p in prompts if p.startswith("Account: 4000"))
    for line in (
        "Account: 4000 Product revenue (consolidated group)",
        "Period: 2026-01",
        "Compared with: the budget",
        "Actual: 31 USD",
        "Comparison: 100 USD",
        "Variance: -69 USD, 69.2% (adverse to profit)",
        "Drivers by entity: S -59\n",  # the eliminations' -10.00 is not a driver to name
    ):
        assert line in revenue, (line, revenue)
    salaries = next(p for p in prompts if p.startswith("Account: 6000"))
    assert "Actual: 10 USD" in salaries and "Comparison: 20 USD" in salaries
    assert "Variance: -10 USD, 48.8% (favourable to profit)" in salaries

    # Tokens and cost, per comment and for the run, as the fake counted them.
    answered = [r for r in anthropic.received if r.status == 200]
    expected = {}
    for r in answered:
        tokens_in = _tokens(json.dumps(r.body["messages"]) + json.dumps(r.body["system"]))
        tokens_out = _tokens(anthropic.reply(r.body))
        cost = ((tokens_in * PRICE_IN + tokens_out * PRICE_OUT) / 1_000_000).quantize(Decimal("0.000001"))
        account = r.body["messages"][0]["content"].split()[1]  # "Account: 4000 ..."
        expected[account] = (tokens_in, tokens_out, cost)
    got = {
        c["account"]: (c["input_tokens"], c["output_tokens"], Decimal(c["cost"])) for c in usage["comments"]
    }
    assert got == expected
    assert (usage["input_tokens"], usage["output_tokens"], Decimal(usage["cost_usd"])) == (
        sum(t[0] for t in expected.values()),
        sum(t[1] for t in expected.values()),
        sum(t[2] for t in expected.values()),
    )
    assert Decimal(usage["cost_usd"]) > 0
    printed = close(env, "show", first["id"]).stdout
    assert "commentary: 5 Claude requests, 0 from cache, 0 data-only" in printed
    assert f"USD {usage['cost_usd']}" in printed

    # Re-running the same period: a new run that supersedes the first, and no request at all.
    before = anthropic.request_count
    second = _run(env, config, "--rerun")
    assert second["id"] != first["id"] and second["status"] == "COMPLETED"
    assert anthropic.request_count == before
    again = close_json(env, "show", second["id"])["commentary"]
    assert (again["requests"], again["cache_hits"], again["input_tokens"], Decimal(again["cost_usd"])) == (
        0,
        2,
        0,
        0,
    )
    assert {c["account"]: c["cached"] for c in again["comments"]} == {"4000": True, "6000": True}
    with _database(pg_url, env) as database, database.tx() as conn:
        material = set(
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT account, kind FROM variances WHERE run_id = CAST(:r AS uuid) "
                    "AND entity_id IS NULL AND material"
                ),
                {"r": first["id"]},
            )
        )
        superseded = conn.execute(
            sa.text("SELECT superseded_by::text FROM close_runs WHERE id = CAST(:r AS uuid)"),
            {"r": first["id"]},
        ).scalar()
        bodies = (
            conn.execute(
                sa.text("SELECT body FROM commentary WHERE run_id = CAST(:r AS uuid)"), {"r": second["id"]}
            )
            .scalars()
            .all()
        )
    assert superseded == second["id"]
    assert material == {(c["account"], c["kind"]) for c in usage["comments"]}  # every one commented
    # The fake answers with markdown; the stored comment is plain text.
    assert len(bodies) == 2 and all(
        b.startswith("Revenue rose") and "**" not in b and "\n-" not in b for b in bodies
    )


def test_claude_down_for_good_still_completes_with_labelled_data_only_comments(
    pg_url: str, tmp_path: Path, anthropic: FakeAnthropic
) -> None:
    config = _write_group(tmp_path / "group")
    env = _env(pg_url, tmp_path / "home", anthropic)  # a tenant of its own: nothing cached
    anthropic.stay_down(529)
    run = _run(env, config)
    assert run["status"] == "COMPLETED"
    usage = close_json(env, "show", run["id"])["commentary"]
    assert len(usage["comments"]) == 2 and usage["data_only"] == 2
    for c in usage["comments"]:
        assert c["source"] == "data-only" and c["light"] == "red" and c["model"] is None
        assert "529" in c["fallback_reason"], c["fallback_reason"]
    assert anthropic.request_count == usage["requests"] > 2  # each comment was retried before giving up
    assert (usage["input_tokens"], Decimal(usage["cost_usd"])) == (0, 0)
    assert all(s == 529 for s in anthropic.statuses())
    with _database(pg_url, env) as database, database.tx() as conn:
        bodies = (
            conn.execute(
                sa.text("SELECT body FROM commentary WHERE run_id = CAST(:r AS uuid)"), {"r": run["id"]}
            )
            .scalars()
            .all()
        )
    assert len(bodies) == 2 and all(b.startswith(DATA_ONLY_LABEL) for b in bodies)
