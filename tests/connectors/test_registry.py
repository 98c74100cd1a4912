"""Connector registry: names resolve to classes; failures are ConfigErrors naming who."""

from __future__ import annotations

import pytest

from close.errors import ConfigError
from connectors import registry
from connectors.base import ConnectorContext
from connectors.files import FileConnector

CTX = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"")


def test_builtin_names_are_available() -> None:
    assert {"file", "omie", "contaazul", "bling", "totvs_rm", "totvs_protheus"} <= set(
        registry.available_connectors())
    assert registry.connector_class("file") is FileConnector


def test_unknown_connector_names_connector_and_entity() -> None:
    with pytest.raises(ConfigError) as err:
        registry.create_connector("sap", {}, CTX)
    assert "'sap'" in str(err.value) and "BR1" in str(err.value)
    assert "file" in str(err.value)  # lists what exists


def test_import_failure_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTIN_CONNECTORS, "broken", "connectors.does_not_exist:X")
    with pytest.raises(ConfigError, match=r"cannot load connector 'broken' of entity BR1"):
        registry.create_connector("broken", {}, CTX)


def test_target_that_is_not_a_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTIN_CONNECTORS, "odd", "connectors.files:FileOptions")
    with pytest.raises(ConfigError, match="is not an ERPConnector"):
        registry.connector_class("odd", entity="BR1")
