"""The ERP example (examples/erp) and ``close demo --erp``, which closes it against the ERP fakes.

The CLI runs in a subprocess with fakes of its own; this module starts another set in-process to
ask the connectors what they return, so "what was extracted" is compared with the real connector
code against the same seeded books, not with numbers copied into the test.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from close.cli.demo_setup import with_source_settings
from close.config import EntityConfig, GroupConfig, load_group_config
from close.engine.frames import LOCAL_TB_COLUMNS
from close.run.stages.board_pack import findings_of
from close.storage import Database
from close.storage.balances import read_trial_balances
from connectors.base import ConnectorContext
from connectors.fakes.erp_launcher import erp_demo_sources, start_erp_fakes, stop_erp_fakes
from connectors.registry import create_connector
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.redis_server import fresh_redis_url

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp"
PERIOD = "2024-03"
CENT = Decimal("0.01")

Sources = dict[str, tuple[dict, dict[str, str]]]


@pytest.fixture(scope="module")
def sources() -> Iterator[Sources]:
    yield erp_demo_sources(start_erp_fakes())
    stop_erp_fakes()


@pytest.fixture(scope="module")
def config() -> GroupConfig:
    return load_group_config(EXAMPLE / "group.toml")


def erp_entities(config: GroupConfig) -> list[EntityConfig]:
    return [e for e in config.entities if e.connector != "file"]


def connector_tb(entity: EntityConfig, sources: Sources, period: str) -> pd.DataFrame:
    settings, secrets = sources[entity.connector]
    context = ConnectorContext(entity=entity.id, currency=entity.currency, open_file=lambda name: b"",
                               secrets=secrets)
    connector = create_connector(entity.connector, {**entity.source, **settings}, context)
    frame = connector.get_trial_balance(period)
    return frame[list(LOCAL_TB_COLUMNS)].reset_index(drop=True)


def read_rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_close_demo_erp_closes_the_example_from_the_four_erp_fakes(
        pg_url: str, db_session: Database, tmp_path: Path, config: GroupConfig, sources: Sources) -> None:
    env = cli_env(pg_url, tmp_path)
    done = close(env, "demo", "--erp", timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"run \S+ COMPLETED", done.stdout), done.stdout
    package = re.search(r"board package: (\S+\.zip)", done.stdout)
    assert package and Path(package.group(1)).is_file(), done.stdout
    assert Path(package.group(1)).is_relative_to(tmp_path / "demo-erp")
    [run] = close_json(env, "status")["runs"]
    assert (run["group_id"], run["period"], run["status"]) == ("aurora", PERIOD, "COMPLETED")
    assert Decimal(str(run["validation_score"])) == 100

    with db_session.for_tenant(env["CLOSE_TENANT"]).tx() as conn:
        extracted = read_trial_balances(conn, run["id"])
    for entity in erp_entities(config):
        got = extracted[extracted["entity"] == entity.id][list(LOCAL_TB_COLUMNS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, connector_tb(entity, sources, PERIOD), check_dtype=False,
                                      obj=entity.id)
        # the fakes' records are complete: every movement is explained
        assert (got.loc[got["account"] == "UNRECONCILED", "closing"] == 0).all(), entity.id
    assert set(extracted["entity"]) == {e.id for e in config.entities}

    # The copy points at the fakes; neither it nor the example holds a secret.
    copied = tomllib.loads((tmp_path / "demo-erp" / "group.toml").read_text(encoding="utf-8"))
    for entity in copied["entities"][1:]:
        assert entity["source"]["base_url"].startswith("http://127.0.0.1:"), entity["id"]
    for path in (EXAMPLE / "group.toml", tmp_path / "demo-erp" / "group.toml"):
        text = path.read_text(encoding="utf-8")
        for _, secrets in sources.values():
            assert not any(value in text for value in secrets.values()), path


def test_close_demo_erp_names_a_payment_missing_from_the_bank(pg_url: str, db_session: Database,
                                                             tmp_path: Path) -> None:
    """Bling's borderô 60011 pays payable 6001 (4,000.00 on 2024-03-10); the bank never shows it.

    The CLI runs with the fakes started first in its own process and Bling's movement left out,
    so the demo reads them; the run still completes, and the finding names the payment.
    """
    env = cli_env(pg_url, tmp_path)
    script = (f"import sys; sys.path.insert(0, {str(EXAMPLE.parents[1])!r}); "
              "from connectors.fakes import erp_launcher; erp_launcher.start_erp_fakes(); "
              "erp_launcher.running_fake('bling').missing_cash = {'6001'}; "
              "from close.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script, "demo", "--erp"], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [run] = close_json(env, "status")["runs"]
    with db_session.for_tenant(env["CLOSE_TENANT"]).tx() as conn:
        findings = {(f.code, f.entity): f for f in findings_of(conn, run["id"])}
    missing = findings[("UNRECONCILED_EXPLAINED", "BLING")]
    assert (missing.severity, missing.actual) == ("fail", Decimal("-4000.00"))
    assert "AP bordero 60011 2024-03-10 -4000.00 (payment of title 6001 found in no bank movement)" \
        in missing.message
    assert {f.severity for (code, entity), f in findings.items() if code == "UNRECONCILED_EXPLAINED"
            and entity != "BLING"} <= {"pass"}
    package = re.search(r"board package: (\S+\.zip)", done.stdout)
    assert package, done.stdout
    with zipfile.ZipFile(package.group(1)) as z:
        [workbook] = [n for n in z.namelist() if n.endswith(".xlsx")]
        cells = [str(c.value) for ws in openpyxl.load_workbook(io.BytesIO(z.read(workbook))).worksheets
                 for row in ws.iter_rows() for c in row if c.value]
    assert any("bordero 60011" in c for c in cells)


def test_the_mapping_covers_every_account_the_connectors_return(config: GroupConfig,
                                                                sources: Sources) -> None:
    mapped = {(r["entity"], r["account"]) for r in read_rows("mapping.csv")}
    for entity in erp_entities(config):
        for account in connector_tb(entity, sources, PERIOD)["account"]:
            assert (entity.id, account) in mapped or ("*", account) in mapped, (entity.id, account)


def test_opening_balances_translate_the_fakes_books_at_the_end_of_february(
        config: GroupConfig, sources: Sources) -> None:
    """Per BRL entity: history from rates.csv and the fakes' months, and a zero translated TB.

    Management ERPs: income YTD = Σ each month's movement (the connector's TB of that month) ×
    its average rate. TOTVS (founded 2024-02; the fake answers one balancete for every month):
    the March opening is February's, at February's average. Net assets at February's closing
    rate; CTA balances; the holding's investment = share capital × its historical rate.
    """
    rates = {(r["period"], kind): Decimal(r[kind])
             for r in read_rows("rates.csv") for kind in ("closing", "average")}
    mapping = {(r["entity"], r["account"]): r["std_account"] for r in read_rows("mapping.csv")}
    opening = {(r["entity"], r["account"]): r for r in read_rows("opening_balances.csv")}
    hold = {r["counterparty"]: Decimal(r["closing"])
            for r in read_rows(f"tb/HOLD/{PERIOD}.csv") if r["counterparty"]}

    def std(entity: str, account: str) -> str:
        return mapping.get((entity, account)) or mapping[("*", account)]

    for entity in erp_entities(config):
        march = connector_tb(entity, sources, PERIOD)
        if entity.connector == "totvs_rm":
            flows = [("2024-02", line.account, line.opening) for line in march.itertuples()]
        else:
            flows = [(month, line.account, line.debit - line.credit) for month in ("2024-01", "2024-02")
                     for line in connector_tb(entity, sources, month).itertuples()]
        income: dict[str, Decimal] = {}
        for month, account, moved in flows:
            code = std(entity.id, account)
            if code >= "4":  # the income statement: 4xxx revenue … 8xxx tax
                translated = (Decimal(int(moved)) / 100 * rates[(month, "average")]).quantize(
                    CENT, ROUND_HALF_EVEN)
                income[code] = income.get(code, Decimal(0)) + translated
        net_assets = sum(Decimal(int(r.opening)) for r in march.itertuples()
                         if std(entity.id, r.account)[0] in "12")
        capital = -sum(Decimal(int(r.opening)) for r in march.itertuples()
                       if std(entity.id, r.account) == "3000")
        row = opening[(entity.id, "3000")]
        hist = Decimal(row["historical_rate"])
        assert Decimal(row["translated_closing"]) == -(capital / 100 * hist).quantize(CENT), entity.id
        assert hold[entity.id] == (capital / 100 * hist).quantize(CENT), entity.id
        for account, amount in income.items():
            stated = Decimal(opening[(entity.id, account)]["translated_closing"])
            assert stated == amount, (entity.id, account)
        translated_na = (net_assets / 100 * rates[("2024-02", "closing")]).quantize(CENT)
        cta = Decimal(opening[(entity.id, "3300")]["translated_closing"])
        total = translated_na + Decimal(row["translated_closing"]) + sum(income.values()) + cta
        assert total == 0, (entity.id, total)
        assert {a for e, a in opening if e == entity.id} == {"3000", "3300", *income}


def test_source_settings_are_written_into_the_entities_source_tables() -> None:
    text = ('[group]\nid = "g"\n\n[[entities]]\nid = "A"\n[entities.source]  # keep me\n'
            'base_url = "old"\npage_size = 50\n\n[[entities]]\nid = "B"\n\n'
            '[[entities]]\nid = "C"\n[entities.source]\npath = "x"\n')
    edited = with_source_settings(text, {"A": {"base_url": "http://h/x", "http": {"rate": 100}},
                                         "B": {"base_url": "http://b", "tenant_id": "T1,D MG 01"}})
    parsed = tomllib.loads(edited)["entities"]
    assert parsed[0]["source"] == {"base_url": "http://h/x", "page_size": 50, "http": {"rate": 100}}
    assert parsed[1]["source"] == {"base_url": "http://b", "tenant_id": "T1,D MG 01"}
    assert parsed[2]["source"] == {"path": "x"}
    assert "# keep me" in edited


def test_close_demo_erp_refuses_a_broker(pg_url: str, tmp_path: Path) -> None:
    done = close(cli_env(pg_url, tmp_path, CLOSE_BROKER_URL=fresh_redis_url()), "demo", "--erp")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "runs in-process" in done.stderr and "CLOSE_BROKER_URL" in done.stderr
    assert not (tmp_path / "demo-erp").exists()
