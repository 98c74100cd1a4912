"""Routes between currency pairs, and the prior-month plausibility check (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from close.errors import ConfigError
from close.rates.model import FxRate, Series
from close.rates.plausibility import find_implausible_moves
from close.rates.routes import choose_route
from close.rates.settings import RatePolicy


@pytest.mark.parametrize(("pair", "pinned", "source", "numerator", "denominator", "path"), [
    (("BRL", "USD"), {}, "bcb_ptax", (), (Series("USD", "BRL"),),
     "BRL->USD via BCB PTAX BRL per USD, inverted"),
    (("USD", "BRL"), {}, "bcb_ptax", (Series("USD", "BRL"),), (), "USD->BRL via BCB PTAX BRL per USD"),
    (("BRL", "EUR"), {}, "bcb_ptax", (), (Series("EUR", "BRL"),),
     "BRL->EUR via BCB PTAX BRL per EUR, inverted"),
    (("EUR", "USD"), {}, "ecb", (Series("EUR", "USD"),), (), "EUR->USD via ECB USD per EUR"),
    (("USD", "EUR"), {}, "ecb", (), (Series("EUR", "USD"),), "USD->EUR via ECB USD per EUR, inverted"),
    (("GBP", "USD"), {}, "ecb", (Series("EUR", "USD"),), (Series("EUR", "GBP"),),
     "GBP->USD via EUR: ECB USD per EUR / ECB GBP per EUR"),
    (("BRL", "USD"), {"BRL": "ecb"}, "ecb", (Series("EUR", "USD"),), (Series("EUR", "BRL"),),
     "BRL->USD via EUR: ECB USD per EUR / ECB BRL per EUR"),
    (("GBP", "USD"), {"GBP": "bcb_ptax"}, "bcb_ptax", (Series("GBP", "BRL"),), (Series("USD", "BRL"),),
     "GBP->USD via BRL: BCB PTAX BRL per GBP / BCB PTAX BRL per USD"),
])
def test_routes(pair: tuple[str, str], pinned: dict, source: str, numerator: tuple,
                denominator: tuple, path: str) -> None:
    route = choose_route(*pair, pinned)
    assert route is not None
    assert (route.source, route.numerator, route.denominator, route.path) == (
        source, numerator, denominator, path)


def test_unquoted_or_pinned_to_file_goes_to_the_file_and_a_pair_with_itself_is_refused() -> None:
    assert choose_route("ARS", "USD") is None
    assert choose_route("BRL", "USD", {"BRL": "file"}) is None
    with pytest.raises(ConfigError, match="needs no rate"):
        choose_route("USD", "USD")


def test_policy_refuses_what_it_cannot_honour() -> None:
    with pytest.raises(ConfigError, match="rates.ptax_side"):
        RatePolicy(presentation_currency="USD", ptax_side="media")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="rates.sources.BRL"):
        RatePolicy(presentation_currency="USD", sources={"BRL": "sgs"})  # type: ignore[dict-item]


RATE = FxRate(period="2025-08", currency="BRL", presentation_currency="USD", rate_type="closing",
              rate=Decimal("0.1800000000"), quoted=Decimal("5.5555555556"), quote_direction="BRL per USD",
              source="bcb_ptax", method="m", as_of=None, path="p", is_override=False, raw=(),
              retrieved_at=datetime(2025, 9, 1, tzinfo=UTC))


def test_a_move_beyond_the_threshold_is_flagged_with_evidence() -> None:
    prior = replace(RATE, period="2025-07")
    current = replace(RATE, rate=Decimal("0.2025000000"))
    (finding,) = find_implausible_moves([current], [prior], Decimal("0.10"))
    assert (finding.expected, finding.actual, finding.difference) == (
        Decimal("0.1800000000"), Decimal("0.2025000000"), Decimal("0.0225000000"))
    assert finding.relative_move == Decimal("0.125")
    assert finding.message == ("BRL->USD closing rate moved 12.5% since 2025-07 (threshold 10.00%): "
                               "expected about 0.1800000000 != 0.2025000000 (+0.0225000000)")


def test_small_moves_missing_priors_and_historical_rates_are_not_flagged() -> None:
    prior = replace(RATE, period="2025-07")
    small = replace(RATE, rate=Decimal("0.1980000000"))
    assert find_implausible_moves([small], [prior], Decimal("0.10")) == ()
    assert find_implausible_moves([RATE], [], Decimal("0.10")) == ()
    historical = replace(RATE, rate_type="historical", rate=Decimal("0.5"))
    old = replace(prior, rate_type="historical")
    assert find_implausible_moves([historical], [old], Decimal("0.10")) == ()
