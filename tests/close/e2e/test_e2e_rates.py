"""Issue 7 at run level: ``close rates fetch`` / ``close rates show`` against the BCB and ECB fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.close.run.cli_helpers import cli_env, close
from tests.close.run.small_group import ENTITIES
from tests.fakes.bcb import FakeBcb
from tests.fakes.ecb import FakeEcb

PERIOD = "2025-08"  # seeded by both fakes (2025-06-02 .. 2025-09-30), as is its prior month
CONFIG = """\
[group]
id = "rates_e2e"
name = "Rates Group"
presentation_currency = "USD"

[rates]
sources = { BRL = "bcb_ptax", EUR = "ecb" }

""" + ENTITIES + """

[[entities]]
id = "E"
name = "Sub GmbH"
currency = "EUR"
parent = "P"
ownership = "1"
connector = "file"
[entities.source]
path = "tb/E/{period}.csv"
"""


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBcb, FakeEcb]]:
    """The BCB (Olinda PTAX) and ECB Data Portal fakes, with their default seeded quotations."""
    with FakeBcb() as bcb, FakeEcb() as ecb:
        yield bcb, ecb


def _json(done: object) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


def test_rates_fetch_stores_once_and_show_prints_source_and_method(
    pg_url: str, tmp_path: Path, fakes: tuple[FakeBcb, FakeEcb]
) -> None:
    bcb, ecb = fakes
    config = tmp_path / "group.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = cli_env(pg_url, tmp_path / "home", CLOSE_BCB_URL=bcb.base_url, CLOSE_ECB_URL=ecb.base_url)

    fetched = _json(close(env, "rates", "fetch", "--config", str(config), "--period", PERIOD, "--json"))
    assert bcb.request_count >= 1 and ecb.request_count >= 1
    by_key = {(r["currency"], r["rate_type"]): r for r in fetched}
    assert set(by_key) == {("BRL", "closing"), ("BRL", "average"), ("EUR", "closing"), ("EUR", "average")}
    for (currency, _), r in by_key.items():
        assert (
            r["source"] == ("bcb_ptax" if currency == "BRL" else "ecb")
            and r["presentation_currency"] == "USD"
        )
    # PTAX is quoted in BRL per USD and inverted once; the ECB quotes USD per EUR.
    assert by_key["BRL", "closing"]["quote_direction"] == "BRL per USD"
    assert (
        "PTAX venda" in by_key["BRL", "closing"]["method"]
        and by_key["BRL", "closing"]["as_of"] == "2025-08-29"
    )
    assert by_key["EUR", "closing"]["quote_direction"] == "USD per EUR"
    assert (
        by_key["EUR", "average"]["method"].startswith("mean of ")
        and "ECB" in by_key["EUR", "average"]["method"]
    )

    shown = _json(close(env, "rates", "show", "--period", PERIOD, "--json"))
    assert {(r["currency"], r["rate_type"], r["rate"], r["source"], r["method"]) for r in shown} == {
        (r["currency"], r["rate_type"], r["rate"], r["source"], r["method"]) for r in fetched
    }
    table = close(env, "rates", "show", "--period", PERIOD)
    assert table.returncode == 0
    assert "bcb_ptax" in table.stdout and "ecb" in table.stdout and "PTAX venda" in table.stdout

    requests = (bcb.request_count, ecb.request_count)
    again = _json(close(env, "rates", "fetch", "--config", str(config), "--period", PERIOD, "--json"))
    assert (bcb.request_count, ecb.request_count) == requests
    assert again == fetched
