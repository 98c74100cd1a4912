"""The ``close`` commands around a close rather than of a run.

Rates, connectors, mapping suggestions, the intercompany report, a trial-balance check and backfills.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from close.cli.common import ConfigOpt, JsonOpt, PeriodOpt, check_period, console, err, open_session
from close.config import GroupConfig, load_group_config
from close.engine.chart import load_chart
from close.errors import ConfigError
from connectors.base import ConnectorContext
from connectors.health import ConnectorTarget, check_connectors, health_table
from connectors.registry import create_connector, secrets_for

rates_app = typer.Typer(no_args_is_help=True, help="FX rates: fetch once, show with provenance.")
connectors_app = typer.Typer(no_args_is_help=True, help="ERP connectors.")
mapping_app = typer.Typer(no_args_is_help=True, help="Chart-of-accounts mapping.")
ic_app = typer.Typer(no_args_is_help=True, help="Intercompany matching.")
tb_app = typer.Typer(no_args_is_help=True, help="One entity's trial balance, without a close.")


def _print_frame(frame: pd.DataFrame, *, title: str, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(frame.astype(object).where(frame.notna(), None).to_dict("records"),
                                      default=str))
        return
    table = Table(*map(str, frame.columns), title=title)
    # astype(str) leaves a nullable column's <NA> a float, which rich refuses: blank it first
    for row in frame.astype(object).where(frame.notna(), "").astype(str).itertuples(index=False):
        table.add_row(*row)
    console.print(table)


def disk_context(config_path: Path, config: GroupConfig, entity_id: str) -> ConnectorContext:
    """Build a connector context that reads the config's files from disk and secrets from the environment."""
    entity = config.entity(entity_id)
    base = config_path.resolve().parent
    return ConnectorContext(entity=entity.id, currency=entity.currency,
                            open_file=lambda name: (base / name).read_bytes(),
                            secrets=secrets_for(entity.connector, entity.source, entity.id, os.environ))


@rates_app.command("fetch")
def rates_fetch(config: ConfigOpt, period: PeriodOpt,
                refresh: Annotated[bool, typer.Option("--refresh", help="Fetch again even if stored.")]
                = False,
                as_json: JsonOpt = False) -> None:
    """Fetch (once) and store the period's closing, average and historical rates."""
    stored, table = open_session().fetch_rates(config, check_period(period), refresh=refresh)
    err.print(f"{len(stored.rates)} rates for {period}: {len(stored.fetched)} fetched now, "
              f"{len(stored.fallbacks)} from the file after a source failed")
    _print_frame(pd.DataFrame(table), title=f"FX rates {period}", as_json=as_json)


@rates_app.command("show")
def rates_show(period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """Show the stored rates of a period with their source and method."""
    rows = open_session().rates(check_period(period))
    if not rows and not as_json:
        err.print(f"no rates stored for {period}; `close rates fetch --config FILE --period {period}`")
    _print_frame(pd.DataFrame(rows), title=f"FX rates {period}", as_json=as_json)


@connectors_app.command("check")
def connectors_check(config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """Check each entity's connector: reachable, authenticated, API version, fields not sent."""
    group = load_group_config(config)
    targets = [ConnectorTarget(e.connector, e.source, disk_context(config, group, e.id))
               for e in group.entities]
    statuses = check_connectors(targets)
    table = health_table(statuses)
    if not as_json:  # one readable cell; --json keeps the list
        table = table.assign(unread=table["unread"].map(", ".join))
    _print_frame(table, title=f"connectors of {group.id}", as_json=as_json)
    if not all(s.ok for s in statuses):
        raise typer.Exit(1)


@mapping_app.command("suggest")
def mapping_suggest(config: ConfigOpt, period: PeriodOpt,
                    output: Annotated[Path, typer.Option("--output", "-o", help="The CSV to review.")]
                    = Path("mapping-suggestions.csv"), as_json: JsonOpt = False) -> None:
    """Propose standard accounts for the accounts the mapping file does not cover."""
    from close.engine.mapping import parse_mapping, resolve_mapping
    from connectors.suggest import suggest_mappings

    group = load_group_config(config)
    base = config.resolve().parent
    chart = (load_chart((base / group.files.chart).read_bytes(), source=group.files.chart)
             if group.files.chart else load_chart())
    frames = []
    for e in group.entities:
        with create_connector(e.connector, e.source, disk_context(config, group, e.id)) as connector:
            frames.append(connector.get_trial_balance(check_period(period)))
    lines = pd.concat(frames, ignore_index=True)
    mapping = (parse_mapping((base / group.files.mapping).read_bytes(), source=group.files.mapping,
                             chart=chart)
               if group.files.mapping else pd.DataFrame(columns=["entity", "account", "std_account"]))
    unmapped = resolve_mapping(lines, mapping, chart).query("source == 'unmapped'")
    accounts = lines.merge(unmapped[["entity", "account"]], on=["entity", "account"])
    suggestions = suggest_mappings(accounts, chart.accounts.reset_index(drop=True))
    suggestions.to_csv(output, index=False)
    err.print(f"{len(suggestions)} suggestions written to {output}: review them, then add the rows to "
              f"{group.files.mapping or 'the mapping file'}")
    _print_frame(suggestions, title="mapping suggestions", as_json=as_json)


@ic_app.command("report")
def ic_report(config: ConfigOpt, period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """Match intercompany balances now, from the entities' current books, before the close runs."""
    shown = open_session().intercompany_in_units(config, check_period(period))
    _print_frame(shown, title=f"intercompany {period}", as_json=as_json)
    if (shown["status"] == "uneliminated").any():
        raise typer.Exit(1)



@tb_app.command("check")
def tb_check(file: Annotated[Path, typer.Argument(help="The exported trial balance (CSV or XLSX).")],
             config: ConfigOpt,
             entity: Annotated[str, typer.Option("--entity", "-e", help="The entity the file belongs to.")],
             as_json: JsonOpt = False) -> None:
    """Read a trial balance as the close would and run the close's checks of one entity; store nothing.

    Exits 1 when a check fails (or the file does not read), 0 otherwise (warnings included).
    """
    from close.checks.tb_check import diagnose_trial_balance

    group = load_group_config(config)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=str(file)) from None
    found = diagnose_trial_balance(group, config, entity, data, file.name)
    totals = ", ".join(f"{k} {v}" for k, v in found.totals.items())
    err.print(f"{found.filename}: {found.lines} lines of {found.entity.id} ({found.entity.currency}); "
              f"{totals}", markup=False)
    frame = pd.DataFrame([{"severity": f.severity, "code": f.code, "account": f.account,
                           "expected": f.expected, "actual": f.actual, "message": f.message}
                          for f in found.findings])
    _print_frame(frame, title=f"checks of {found.filename}", as_json=as_json)
    if found.failed:
        raise typer.Exit(1)
