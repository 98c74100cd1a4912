"""The demo launcher serves every connector, and the health table reports each entity."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorContext
from connectors.fakes.erp_launcher import erp_demo_sources, start_erp_fakes, stop_erp_fakes
from connectors.health import HEALTH_COLUMNS, ConnectorTarget, check_connectors, health_table
from connectors.registry import create_connector, secrets_for


@pytest.fixture(scope="module")
def sources():
    urls = start_erp_fakes()
    yield erp_demo_sources(urls)
    stop_erp_fakes()


def ctx(entity: str, secrets: dict[str, str]) -> ConnectorContext:
    return ConnectorContext(entity=entity, currency="BRL", open_file=lambda n: b"", secrets=secrets)


def test_every_erp_connector_extracts_a_balanced_tb_from_the_launched_fakes(sources) -> None:
    for name, (settings, secrets) in sources.items():
        # a second instance with the original refresh token works too: demo fakes do not rotate
        for _ in range(2):
            frame = create_connector(name, settings, ctx("BR1", secrets)).get_trial_balance("2024-03")
            assert len(frame) > 0 and int(frame["closing"].sum()) == 0, name


def test_health_table_reports_each_entity_and_config_errors(sources) -> None:
    settings, secrets = sources["omie"]
    targets = [ConnectorTarget("omie", settings, ctx("BR1", secrets)),
               ConnectorTarget("omie", settings, ctx("BR2", {})),
               ConnectorTarget("sap", {}, ctx("US1", {}))]
    table = health_table(check_connectors(targets))
    assert list(table.columns) == list(HEALTH_COLUMNS)
    assert table["ok"].tolist() == [True, False, False]
    assert "CLOSE_SECRET_BR2_APP_KEY" in table.at[1, "detail"] and "'sap'" in table.at[2, "detail"]


def test_secrets_for_reads_the_environment() -> None:
    env = {"CLOSE_SECRET_BR_1_APP_KEY": "k", "CLOSE_SECRET_OMIE": "s"}
    assert secrets_for("omie", {"app_secret_env": "CLOSE_SECRET_OMIE"}, "BR-1", env) == {
        "app_key": "k", "app_secret": "s"}


def test_secrets_keyed_by_variable_name_as_close_settings_passes_them(sources) -> None:
    settings, secrets = sources["omie"]
    by_var = {"CLOSE_SECRET_OMIE_KEY": secrets["app_key"],
              "CLOSE_SECRET_BR1_APP_SECRET": secrets["app_secret"]}
    connector = create_connector("omie", {**settings, "app_key_env": "CLOSE_SECRET_OMIE_KEY"},
                                 ctx("BR1", by_var))
    assert connector.health_check().ok
