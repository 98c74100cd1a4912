"""Each entity's ``[entities.source]`` is checked on load against its connector's model (issue 14).

The models are in ``connectors/settings.py``; a misspelt, mistyped or secret key, or an unknown
connector, is a ``ConfigError`` naming the file, the dotted key and what was expected, from the
group TOML (``close.config``) and from a connector built on a plain table alike.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from close.cli.commands import app
from close.config import load_group_config, parse_group_config
from close.errors import ConfigError
from connectors import files, registry, settings
from connectors.base import ConnectorContext

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(ROOT.glob("examples/*/group.toml"))

GROUP = """
[group]
id = "g"
name = "G"
presentation_currency = "USD"

[[entities]]
id = "HOLD"
name = "Holding"
currency = "USD"
[entities.source]
path = "tb/{period}.csv"

[[entities]]
id = "BR1"
name = "Brasil"
currency = "BRL"
parent = "HOLD"
"""


def _with_source(connector: str, source: str) -> str:
    """The group with entity BR1 read by ``connector`` from the given source table's lines."""
    return GROUP + f'connector = "{connector}"\n[entities.source]\n{source}\n'


def _refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_group_config(text, source="group.toml")
    return err.value


@pytest.mark.parametrize(("connector", "source", "typo", "meant"), [
    ("file", 'path = "tb/{period}.csv"\ndelimeter = ";"', "delimeter", "delimiter"),
    ("omie", "page_sise = 100", "page_sise", "page_size"),
    ("contaazul", "history_year = 2", "history_year", "history_years"),
    ("bling", 'client_id_evn = "BLING_ID"', "client_id_evn", "client_id_env"),
    ("totvs_rm", "company = 2", "company", "company_id"),
    ("totvs_protheus", 'tenant_id = "01,0101"\ncurrency_cod = "02"', "currency_cod", "currency_code"),
    ("omie", "[entities.source.http]\nattempt = 2", "http.attempt", "attempts"),
])
def test_a_misspelt_source_key_gets_did_you_mean(connector: str, source: str, typo: str, meant: str) -> None:
    err = _refused(_with_source(connector, source))
    assert (err.file, err.key) == ("group.toml", f"entities[1].source.{typo}")
    assert f"did you mean {meant!r}?" in str(err) and (err.expected or "").startswith(f"{meant}: ")


@pytest.mark.parametrize(("connector", "source", "key", "expected"), [
    ("omie", 'page_size = "100"', "page_size", "an integer 1..500"),
    ("omie", "page_size = 501", "page_size", "an integer 1..500"),
    ("contaazul", "page_size = 30", "page_size", "10, 20, 50, 100, 200, 500, 1000"),
    ("omie", 'accrual_date = "vencimento"', "accrual_date", '"emissao" (dDtEmissao) or "registro"'),
    ("totvs_rm", 'ledger_start = "2019-13-01"', "ledger_start", "a date YYYY-MM-DD"),
    ("totvs_rm", 'date_param = "{start}"', "date_param", "a template with {first} and {last}"),
    ("file", 'path = "x.csv"\nsheet = 0', "sheet", "1-based position"),
    ("file", 'path = "x.csv"\nencoding = "klingon"', "encoding", "a Python codec name"),
    ("file", 'path = "x.csv"\ncolumns = { acount = "Conta" }', "columns.acount", "fields among account,"),
    ("bling", "[entities.source.http]\nattempts = 0.5", "http.attempts", "an integer >= 1"),
    ("bling", 'client_id_env = "not a name"', "client_id_env", "the environment variable holding"),
])
def test_a_wrong_type_names_the_key_and_what_was_expected(connector: str, source: str, key: str,
                                                          expected: str) -> None:
    err = _refused(_with_source(connector, source))
    assert (err.file, err.key) == ("group.toml", f"entities[1].source.{key}"), str(err)
    assert expected in (err.expected or ""), str(err)
    assert "pydantic" not in str(err) and "input_value" not in str(err)


def test_a_required_source_key_is_named() -> None:
    err = _refused(_with_source("totvs_protheus", 'base_url = "https://erp.example"'))
    assert err.key == "entities[1].source.tenant_id"
    assert err.expected == 'the tenantId header, "company,branch" such as "01,0101"'
    err = _refused(GROUP + 'connector = "totvs_protheus"\n')  # no source table at all
    assert err.key == "entities[1].source" and "required: tenant_id" in (err.expected or "")


def test_an_unknown_connector_is_named_with_a_guess_and_the_known_ones() -> None:
    err = _refused(GROUP + 'connector = "omei"\n')
    assert (err.file, err.key) == ("group.toml", "entities[1].connector")
    assert "unknown connector 'omei'; did you mean 'omie'?" in str(err)
    assert err.expected == "one of bling, contaazul, file, omie, totvs_protheus, totvs_rm"


def test_a_connector_another_package_registers_keeps_its_own_source(monkeypatch: pytest.MonkeyPatch) -> None:
    sap = EntryPoint(name="sap", value="acme.sap:SapConnector", group=settings.ENTRY_POINT_GROUP)
    monkeypatch.setattr(settings, "entry_points", lambda group: [sap])
    config = parse_group_config(_with_source("sap", 'client = "100"\nhttp = { rate = 2 }'))
    assert (config.entities[1].connector, dict(config.entities[1].source)) == ("sap", {"client": "100",
                                                                                       "http": {"rate": 2}})
    err = _refused(_with_source("sap", 'password = "x"'))
    assert err.key == "entities[1].source.password" and "secrets never go in the config file" in str(err)


@pytest.mark.parametrize("key", ["password", "app_secret", "refresh_token", "api_key", "apikey", "passwd"])
def test_a_secret_in_a_source_is_refused_naming_the_env_key_to_use(key: str) -> None:
    err = _refused(_with_source("omie", f'{key} = "x"'))
    assert err.key == f"entities[1].source.{key}" and "secrets never go in the config file" in str(err)
    assert err.expected == f"{key}_env naming an environment variable"


def test_a_source_keeps_what_was_written_for_its_connector() -> None:
    config = parse_group_config(_with_source(
        "totvs_rm", 'base_url = "https://rm.example"\nledger_start = 2019-01-01\n'
        'password_env = "RM_PASSWORD"\n[entities.source.http]\nattempts = 2\ntimeout = 5'))
    assert config.entities[1].source == {
        "base_url": "https://rm.example", "ledger_start": "2019-01-01", "password_env": "RM_PASSWORD",
        "http": {"attempts": 2, "timeout": 5.0}}
    assert config.entities[0].source == {"path": "tb/{period}.csv"} and config.entities[0].connector == "file"


def test_a_connector_built_from_a_plain_table_gives_the_same_message() -> None:
    context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"",
                               secrets={"app_key": "k", "app_secret": "s"})
    with pytest.raises(ConfigError) as err:
        registry.create_connector("omie", {"page_sise": 100}, context)
    assert err.value.key == "source.page_sise"
    assert "connector omie of entity BR1" in str(err.value) and "did you mean 'page_size'?" in str(err.value)


@pytest.mark.parametrize("name", sorted(settings.SOURCE_MODELS))
def test_every_built_in_connector_declares_the_model_the_config_is_checked_with(name: str) -> None:
    cls = registry.connector_class(name)
    assert cls.SETTINGS is settings.SOURCE_MODELS[name]
    assert all(f"{secret}_env" in cls.SETTINGS.model_fields for secret in cls.SETTINGS.SECRETS)


def test_the_models_cover_the_registry_and_the_file_fields() -> None:
    assert set(settings.SOURCE_MODELS) == set(registry.BUILTIN_CONNECTORS)
    assert set(files.FIELDS) == {*files.HEADER_SYNONYMS, "opening_side", "closing_side"}
    assert settings.OmieSource.SECRETS == ("app_key", "app_secret")
    assert settings.TotvsRmSource.SECRETS == ("username", "password")
    assert settings.BlingSource.SECRETS == ("client_id", "client_secret", "refresh_token")


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_example_still_loads_with_its_sources_checked(config: Path) -> None:
    loaded = load_group_config(config)
    written = tomllib.loads(config.read_text(encoding="utf-8"))["entities"]
    assert [e.connector for e in loaded.entities] == [e.get("connector", "file") for e in written]
    assert [dict(e.source) for e in loaded.entities] == [e.get("source", {}) for e in written]


def test_the_schema_refuses_a_misspelt_or_mistyped_source_and_an_unknown_connector() -> None:
    done = CliRunner().invoke(app, ["config", "schema"])
    validator = jsonschema.Draft202012Validator(json.loads(done.stdout))
    good = tomllib.loads(_with_source("omie", 'page_size = 100\napp_key_env = "OMIE_KEY"'))
    assert list(validator.iter_errors(good)) == []
    for bad in (_with_source("omie", "page_sise = 100"), _with_source("omie", 'page_size = "100"'),
                _with_source("file", 'path = "x"\nsheet = 0'), GROUP + 'connector = "omei"\n',
                _with_source("omie", 'app_secret = "x"')):
        assert list(validator.iter_errors(tomllib.loads(bad))), bad


def test_the_schema_names_the_connectors_installed_beside_the_built_ins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sap = EntryPoint(name="sap", value="acme.sap:SapConnector", group=settings.ENTRY_POINT_GROUP)
    monkeypatch.setattr(settings, "entry_points", lambda group: [sap])
    schema = json.loads(CliRunner().invoke(app, ["config", "schema"]).stdout)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(tomllib.loads(_with_source("sap", 'client = "100"')))) == []
    assert list(validator.iter_errors(tomllib.loads(GROUP + 'connector = "omei"\n')))


@pytest.mark.parametrize("module", ["connectors.settings", "connectors.omie", "close.config.document"])
def test_each_side_imports_first_without_a_cycle(module: str) -> None:
    """The group config's model imports the connectors' models, which build on close.config."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
