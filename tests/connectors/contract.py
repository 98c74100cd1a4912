"""The contract every ERP connector honours, run against its fake server (Singer/Dagster style).

Subclass ``ConnectorContract`` with ``__test__ = True`` and provide the fixtures ``fake`` (a
started fake), ``make_connector`` (``(**overrides) -> connector``; ``secrets=`` replaces the
credentials) and ``expected_tb`` (the trial balance the fake was seeded with), plus the class
attributes below.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
import pytest

from close.engine.frames import LOCAL_TB_COLUMNS
from close.errors import InputDataError
from connectors.base import CHART_COLUMNS
from connectors.errors import FatalConnectorError
from connectors.trial_balance import check_trial_balance_balances

FAST_HTTP = {"attempts": 3, "wait_initial": 0.001, "wait_max": 0.01, "jitter": 0.001,
             "rate": 1000, "burst": 1000, "breaker_fail_max": 100}


class ConnectorContract:
    __test__ = False

    period: ClassVar[str] = "2024-03"
    # path prefix of the endpoint that carries the trial balance (faults are scripted on it)
    tb_path: ClassVar[str] = ""
    # how many requests to tb_path prove that pagination happened
    min_tb_pages: ClassVar[int] = 2
    rate_limited_body: ClassVar[Any] = {"message": "Too many requests"}
    bad_secrets: ClassVar[dict[str, str]] = {}

    def test_trial_balance_matches_what_the_fake_was_seeded_with(self, make_connector, expected_tb) -> None:
        frame = make_connector().get_trial_balance(self.period)
        assert list(frame.columns) == list(LOCAL_TB_COLUMNS)
        assert all(frame[c].dtype == "int64" for c in ("opening", "debit", "credit", "closing"))
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected_tb)
        check_trial_balance_balances(frame, entity="BR1", source="test")

    def test_trial_balance_is_read_through_pagination(self, make_connector, fake) -> None:
        make_connector().get_trial_balance(self.period)
        assert len(fake.hits(self.tb_path)) >= self.min_tb_pages

    def test_429_with_retry_after_is_waited_out(self, make_connector, fake, expected_tb) -> None:
        fake.fail_next(1, 429, self.rate_limited_body, headers={"Retry-After": "1"},
                       path_prefix=self.tb_path)
        frame = make_connector().get_trial_balance(self.period)
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected_tb)
        hits = fake.hits(self.tb_path)
        assert hits[1].at - hits[0].at >= 0.95

    def test_5xx_then_success(self, make_connector, fake, expected_tb) -> None:
        fake.fail_next(2, 503, {"message": "unavailable"}, path_prefix=self.tb_path)
        frame = make_connector().get_trial_balance(self.period)
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected_tb)

    def test_slow_response_times_out_and_is_retriable(self, make_connector, fake) -> None:
        from connectors.errors import RetriableConnectorError
        fake.delay = 0.3
        connector = make_connector(http={**FAST_HTTP, "timeout": 0.05, "attempts": 2})
        with pytest.raises(RetriableConnectorError, match="timed out"):
            connector.get_trial_balance(self.period)

    def test_malformed_body_names_entity_and_endpoint(self, make_connector, fake) -> None:
        fake.fail_next(1, 200, b'{"truncated": [1, 2', path_prefix=self.tb_path)
        with pytest.raises(InputDataError) as err:
            make_connector().get_trial_balance(self.period)
        assert err.value.entity == "BR1" and err.value.endpoint

    @pytest.mark.parametrize("corruption", ["missing", "not_a_number"])
    def test_bad_field_names_entity_endpoint_and_field(self, make_connector, fake,
                                                       corruption: str) -> None:
        fake.corrupt = corruption
        with pytest.raises(InputDataError) as err:
            make_connector().get_trial_balance(self.period)
        assert err.value.entity == "BR1" and err.value.endpoint and err.value.field
        text = str(err.value)
        assert "entity BR1" in text and "field" in text
        if corruption == "not_a_number":
            assert "not an amount" in text

    def test_rejected_credentials_name_entity_and_connector_not_the_secret(self, make_connector) -> None:
        connector = make_connector(secrets=self.bad_secrets)
        with pytest.raises(FatalConnectorError) as err:
            connector.get_trial_balance(self.period)
        text = str(err.value)
        assert "entity BR1" in text and f"connector {connector.name}" in text
        for value in self.bad_secrets.values():
            assert value not in text

    def test_health_check(self, make_connector, fake) -> None:
        status = make_connector().health_check()
        assert status.ok and status.entity == "BR1" and status.latency_ms is not None
        bad = make_connector(secrets=self.bad_secrets).health_check()
        assert not bad.ok and "BR1" in bad.detail

    def test_health_check_never_raises_when_the_server_is_down(self, make_connector, fake) -> None:
        connector = make_connector()
        fake.stop()
        status = connector.health_check()
        assert not status.ok and "connection failed" in status.detail

    def test_companies(self, make_connector) -> None:
        companies = make_connector().get_companies()
        assert companies and all(c.name for c in companies)

    def test_chart_of_accounts(self, make_connector) -> None:
        chart = make_connector().get_chart_of_accounts()
        assert list(chart.columns) == list(CHART_COLUMNS) and len(chart) > 0
