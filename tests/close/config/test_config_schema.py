"""``close config schema``: a JSON Schema that accepts the shipped configs and refuses bad ones (issue 14).

An editor (taplo, VS Code's Even Better TOML) validates a TOML file against a JSON Schema with the
file's dates as strings; the test does the same with ``jsonschema``. Each bad copy is also given
to the loader, which must refuse it too, naming the file and the key.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from close.cli.commands import app
from close.config import load_group_config
from close.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(ROOT.glob("examples/*/group.toml"))
DEMO = ROOT / "examples" / "demo" / "group.toml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    done = CliRunner().invoke(app, ["config", "schema"])
    assert done.exit_code == 0, done.output
    schema = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def _as_editors_see_it(node: Any) -> Any:  # noqa: ANN401 - a TOML value
    """Return a TOML document as JSON: dates become ISO strings, as taplo maps them."""
    if isinstance(node, dict):
        return {k: _as_editors_see_it(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_editors_see_it(v) for v in node]
    return node.isoformat() if isinstance(node, date) else node


def _document(text: str) -> Any:  # noqa: ANN401 - a TOML document
    return _as_editors_see_it(tomllib.loads(text))


def _demo_copy(tmp_path: Path, old: str, new: str) -> Path:
    """Copy the demo group with one edit, beside its files (the loader confines paths to the folder)."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO.parent, folder)
    text = DEMO.read_text(encoding="utf-8")
    assert old in text
    (folder / "group.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder / "group.toml"


def test_there_are_examples_to_check() -> None:
    assert DEMO in EXAMPLES and len(EXAMPLES) >= 2


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda p: p.parent.name)
def test_the_schema_accepts_every_example(config: Path, validator: jsonschema.Draft202012Validator) -> None:
    errors = [e.message for e in validator.iter_errors(_document(config.read_text(encoding="utf-8")))]
    assert errors == []
    load_group_config(config)  # and so does the loader


def test_the_schema_accepts_the_demo_with_its_checklist(validator: jsonschema.Draft202012Validator) -> None:
    checklist = DEMO.parent / "checklist.example.toml"
    text = DEMO.read_text(encoding="utf-8") + checklist.read_text(encoding="utf-8")
    assert list(validator.iter_errors(_document(text))) == []


@pytest.mark.parametrize(("old", "new", "key"), [
    ('ownership = "0.8"', 'ownership = ["0.8"]', "entities[2].ownership"),
    ('[entities.source]\npath = "tb/HOLD/{period}.csv"', 'source = "tb/HOLD/{period}.csv"',
     "entities[0].source"),
    ("max_tokens = 300", 'max_tokens = "300"', "ai.max_tokens"),
    ('pct_tolerance = "0.005"', "pct_tolerance = 0.005", "intercompany.pct_tolerance"),
    ('path = "tb/BR1/{period}.csv"', 'path = "tb/BR1/{period}.csv"\ndelimiter = ";;"',
     "entities[1].source.delimiter"),
    ('path = "tb/BR1/{period}.csv"', 'path = "tb/BR1/{period}.csv"\nsheet = 0', "entities[1].source.sheet"),
], ids=["list-for-a-share", "string-for-a-table", "string-for-an-integer", "float-for-an-amount",
        "two-characters-for-a-delimiter", "sheet-zero"])
def test_a_wrong_type_is_refused_by_the_schema_and_the_loader(
        tmp_path: Path, validator: jsonschema.Draft202012Validator, old: str, new: str, key: str) -> None:
    config = _demo_copy(tmp_path, old, new)
    assert list(validator.iter_errors(_document(config.read_text(encoding="utf-8"))))
    with pytest.raises(ConfigError) as refused:
        load_group_config(config)
    assert refused.value.file == str(config)
    assert refused.value.key == key, str(refused.value)
    assert "Traceback" not in str(refused.value) and "pydantic" not in str(refused.value)


def test_an_unknown_key_is_refused_by_the_schema_and_the_loader(
        tmp_path: Path, validator: jsonschema.Draft202012Validator) -> None:
    config = _demo_copy(tmp_path, 'mom_abs = "25000"', 'mom_abs = "25000"\nmom_abz = "1"')
    errors = list(validator.iter_errors(_document(config.read_text(encoding="utf-8"))))
    assert errors and "mom_abz" in errors[0].message
    with pytest.raises(ConfigError) as refused:
        load_group_config(config)
    assert refused.value.key == "thresholds.mom_abz" and "did you mean 'mom_abs'?" in str(refused.value)


def test_a_misspelt_source_key_is_refused_by_the_schema_and_the_loader(
        tmp_path: Path, validator: jsonschema.Draft202012Validator) -> None:
    config = _demo_copy(tmp_path, 'path = "tb/BR1/{period}.csv"', 'pth = "tb/BR1/{period}.csv"')
    errors = list(validator.iter_errors(_document(config.read_text(encoding="utf-8"))))
    assert errors
    with pytest.raises(ConfigError) as refused:
        load_group_config(config)
    assert (refused.value.file, refused.value.key) == (str(config), "entities[1].source.pth")
    assert "did you mean 'path'?" in str(refused.value)


def test_a_misspelt_key_gets_did_you_mean_naming_the_file(tmp_path: Path) -> None:
    config = _demo_copy(tmp_path, "presentation_currency =", "presentaton_currency =")
    with pytest.raises(ConfigError) as refused:
        load_group_config(config)
    message = str(refused.value)
    assert message.startswith(f"{config}: group.presentaton_currency: ")
    assert "did you mean 'presentation_currency'?" in message and "ISO 4217" in message


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    ('currency = "BRL"', 'currency = "brl"', "entities[1].currency", "an ISO 4217 code such as BRL"),
    ("fiscal_year_start = 1", "fiscal_year_start = 13", "group.fiscal_year_start", "1..12"),
    ('locale = "en-US"', 'locale = "fr-FR"', "group.locale", "en-US | pt-BR"),
    ("date = 2023-06-30", 'date = "2023-06-30"', "entities[2].acquisition.date", "unquoted"),
], ids=["currency", "month", "locale", "quoted-date"])
def test_errors_say_what_was_expected_in_plain_words(tmp_path: Path, old: str, new: str, key: str,
                                                     expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_group_config(_demo_copy(tmp_path, old, new))
    assert refused.value.key == key and expected in (refused.value.expected or ""), str(refused.value)
    assert "input_value" not in str(refused.value) and "errors.pydantic.dev" not in str(refused.value)
