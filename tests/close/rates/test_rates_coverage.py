"""Issue 16, acceptance 4: the rates check names the currency, the kind of rate, its date and the fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from close.config import Dividend, parse_group_config
from close.errors import InputDataError
from close.rates.coverage import check_rates, required_rates
from close.rates.model import RateNeed

CONFIG = """\
[group]
id = "g"
name = "G"
presentation_currency = "USD"

[files]
rates = "rates.csv"

[[entities]]
id = "P"
name = "P"
currency = "USD"
connector = "file"

[[entities]]
id = "B"
name = "B"
currency = "BRL"
parent = "P"
ownership = "0.8"
connector = "file"
[entities.acquisition]
date = 2025-06-30
consideration = "4000000"
net_assets_fair_value = "1000"

[[dividends]]
payer = "B"
payee = "P"
amount = "1000.00"
declared_on = 2025-08-12
"""


def _config():
    return parse_group_config(CONFIG, source="group.toml")


def _all(first_period: bool) -> set[RateNeed]:
    return {r.need for r in required_rates(_config(), "2025-08", first_period=first_period)}


def test_the_required_rates_of_a_first_period() -> None:
    kinds = {(r.kind, r.need.period, r.need.rate_date) for r in required_rates(_config(), "2025-08",
                                                                              first_period=True)}
    assert kinds == {("closing", "2025-08", None), ("average", "2025-08", None),
                     ("prior closing", "2025-07", None), ("acquisition-date", "2025-08", date(2025, 6, 30)),
                     ("declaration-date", "2025-08", date(2025, 8, 12))}
    check_rates(_config(), "2025-08", _all(True), first_period=True)  # nothing missing: no error
    later = {r.kind for r in required_rates(_config(), "2025-08", first_period=False)}
    assert "prior closing" not in later


@pytest.mark.parametrize(("kind", "words"), [
    ("prior closing", ("no prior closing rate for BRL->USD at the end of 2025-07", "entity B")),
    ("average", ("no average rate for BRL->USD for 2025-08",)),
    ("declaration-date", ("no declaration-date rate for BRL->USD on 2025-08-12", "2025-08-12,B,dividends")),
    ("acquisition-date", ("no acquisition-date rate for BRL->USD on 2025-06-30",)),
])
def test_a_missing_rate_is_named_with_where_to_fix_it(kind: str, words: tuple[str, ...]) -> None:
    missing = {r.need for r in required_rates(_config(), "2025-08", first_period=True) if r.kind == kind}
    with pytest.raises(InputDataError) as err:
        check_rates(_config(), "2025-08", _all(True) - missing, first_period=True)
    text = str(err.value)
    for w in (*words, "bcb_ptax", "rates file rates.csv"):
        assert w in text, text


def test_a_dividend_paid_before_the_period_needs_no_rate() -> None:
    paid = Dividend("B", "P", Decimal(1000), date(2025, 6, 1), date(2025, 7, 15))
    config = replace(_config(), dividends=(paid,))
    assert "declaration-date" not in {r.kind for r in required_rates(config, "2025-08", first_period=False)}


def test_two_declaration_dates_of_one_entity_in_a_month_are_refused() -> None:
    from close.errors import ConfigError

    second = CONFIG + '\n[[dividends]]\npayer = "B"\npayee = "P"\namount = "5.00"\ndeclared_on = 2025-08-20\n'
    with pytest.raises(ConfigError) as err:
        parse_group_config(second, source="group.toml")
    assert "group.toml" in str(err.value) and "dividends[1].declared_on" in str(err.value)


def test_a_dividend_naming_an_unknown_entity_is_refused() -> None:
    from close.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_group_config(CONFIG.replace('payee = "P"', 'payee = "X"'), source="group.toml")
    assert "dividends[0].payee" in str(err.value)


def test_a_declaration_date_rate_is_the_sources_quotation_of_that_day(service, bcb) -> None:
    """PTAX (the BCB fake) quotes BRL per USD daily; the dividend's rate is that day's, inverted."""
    from close.engine.dividends import dividend_rate_needs
    from tests.fakes.bcb import DEFAULT_PTAX

    (need,) = dividend_rate_needs(_config(), "2025-08")
    assert (need.entity_id, need.account, need.rate_date) == ("B", "dividends", date(2025, 8, 12))
    (rate,) = service.fetch_rates([need]).rates
    venda = {p.day: p.venda for p in DEFAULT_PTAX["USD"]}[date(2025, 8, 12)]
    assert (rate.source, rate.as_of) == ("bcb_ptax", date(2025, 8, 12))
    assert rate.rate == (Decimal(1) / venda).quantize(Decimal("1E-10"))
