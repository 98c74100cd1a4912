"""Fill ``BoardPackData`` from PostgreSQL: the one place the board package meets the database.

``load_board_pack(conn, run)`` reads only through the connection it is given (already inside a
tenant-scoped transaction, ``Database.tx()``): the run's config snapshot, its stage outputs and
the effective runs of earlier periods. The builders then render without a database.

Rules it applies, so that the documents never lie:

* **Absent is not zero.** A table with no rows for the run gives ``None`` / ``()``; a
  comparative whose period has no effective run (or whose run stored no balances) is ``None``.
* **Signs.** Stored amounts are in trial-balance sign and stay so, except the variances table,
  which holds ``close.analysis.variances`` figures in the account's *normal-balance* sign: they are turned
  back to trial-balance sign here (credit-normal accounts × −1).
* **Time.** The documents embed ``close_runs.as_of`` only, in UTC; event times are UTC too.
* **Consolidation facts** (``consolidation_facts.payload``) are the rows of
  ``ConsolidationResult`` frames, so an integer amount is in minor units of the presentation
  currency and a decimal string (or a JSON decimal) is in units.
* **Bases.** The package shows the IFRS consolidation (``consolidated_balances``); US GAAP
  journals are listed, and the worksheet holds its IFRS rows so that it adds up to the balances.

Example: a run whose consolidated balances hold ``4000 → amount -1200000.00, movement
-210000.00`` loads as ``ConsolidatedBalance("4000", closing=D("-1200000.00"),
month=D("-210000.00"))``; with no May run, ``prior_month`` is ``None``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.engine import Connection

from close.analysis.budget import parse_budget
from close.analysis.kpis import KPI_DEFINITIONS
from close.config import GroupConfig
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.engine.money import ZERO, D, from_minor
from close.engine.ownership import compute_ownership
from close.engine.periods import add_months, fiscal_year_first, parse_period
from close.engine.types import AccountCode, Currency, EntityId, Period, RunId
from close.errors import InputDataError
from close.run.inputs import load_config, load_run_chart, read_file
from close.run.stages.board_budget import (
    budget_frame,
    entity_results_of,
    forecast_frame,
    full_year_budget_of,
    prior_worksheet_run,
)
from close.run.stages.fx_covenants import covenants_of, fx_impact_of
from close.run.state import RunStatus
from close.run.summary import fact_in_units
from close.run.workflow.checklist import overdue
from close.storage.artifacts import package_status
from close.storage.findings import findings
from close.storage.results import (
    consolidated_comments,
    consolidated_of_runs,
    fact_payloads,
    journal_heads,
    journal_lines,
    kpi_list,
    own_translated_lines,
    trial_balance_totals,
    variance_list,
    worksheet_cells,
)
from close.storage.runs import Run, effective_run, get_run, stage_done_detail
from close.storage.workflow import events_until_reporting, steps_until_reporting, tasks_until_reporting
from reports.model import (
    AuditEvent,
    BoardPackData,
    ChartAccount,
    ChecklistTask,
    CloseStep,
    Comparative,
    ConsolidatedBalance,
    Entity,
    EntityAttribution,
    EntityTrialBalance,
    FxRateRow,
    IntercompanyPair,
    Journal,
    JournalKind,
    JournalLine,
    Kpi,
    KpiPoint,
    KpiUnit,
    Light,
    MonthPosition,
    OwnershipStepRecord,
    PeriodResult,
    ValidationFinding,
    Variance,
    VarianceBasis,
    VarianceDriver,
    WorksheetRow,
)

HISTORY_MONTHS = 12  # trend charts: up to a year of earlier effective runs

# Score bands of design.md ("Validation"): green >= 95, yellow >= 80, red below.
_GREEN_FROM = Decimal(95)
_YELLOW_FROM = Decimal(80)

# Worksheet columns as stored → the WorksheetRow field they feed. "local" and "consolidated"
# are derived here (from translated_balances and the sum), so a stored copy is not read.
_WORKSHEET_COLUMNS: Mapping[str, str] = {
    "translated": "translated", "elimination": "eliminations", "eliminations": "eliminations",
    "ppa": "ppa", "adjustment": "adjustments", "adjustments": "adjustments",
}
_DERIVED_WORKSHEET_COLUMNS = frozenset({"local", "consolidated"})

# close.engine.journals.JOURNAL_KINDS → the model's kinds ("elimination" journals are the
# intercompany ones; an associate's equity-method journal sits with the investments).
_JOURNAL_KINDS: Mapping[str, JournalKind] = {
    "elimination": "intercompany", "investment": "investment", "equity_method": "investment",
    "nci": "nci", "ppa": "ppa", "adjustment": "topside",
}
US_GAAP = "US_GAAP"  # close.engine.journals.BASES

_VARIANCE_BASES: Mapping[str, VarianceBasis] = {
    "budget": "budget", "mom": "prior_month", "prior_month": "prior_month",
    "yoy": "prior_year", "prior_year": "prior_year",
}

# close.analysis.kpis writes "%" (a percentage, 60.00 = 60 %), "x" (a ratio) or the currency code.
_KPI_UNITS: Mapping[str, KpiUnit] = {
    "%": "percent", "percent": "percent", "x": "ratio", "ratio": "ratio", "currency": "currency",
    "months": "months", "count": "count",
}
_HUNDRED = Decimal(100)
# Commentary written by the model, including answers replayed from the prompt cache.
_CLAUDE_SOURCES = frozenset({"claude", "cache", "cached"})


def load_board_pack(conn: Connection, run: Run) -> BoardPackData:
    """Read everything the board package shows for ``run`` from PostgreSQL.

    Args:
        conn: a connection inside a tenant-scoped transaction (``Database.tx()``).
        run: the run to report; its status and ``as_of`` are re-read through ``conn``.

    Returns:
        The frozen record the report builders render.

    Raises:
        InputDataError: the run is not visible to this tenant, its config snapshot or a file it
            names is missing, or a stored figure contradicts the run's chart (an account that
            is not in it, an unknown worksheet column).

    """
    current = get_run(conn, run.id)
    if current is None:
        raise InputDataError(f"run {run.id} does not exist for this tenant", field="close_runs")
    config = load_config(conn, run.id)
    chart = load_run_chart(conn, run.id, config)
    accounts = chart_accounts(chart, config.locale)
    by_code = {a.code: a for a in accounts}
    pc = config.presentation_currency
    entities = consolidated_entities(config)

    earlier = earlier_runs(conn, config.id, run.period)
    stored = balances_by_run(conn, (run.id, *earlier.values()))
    balances = stored.get(run.id, ())
    unknown = sorted({b.account for b in balances} - set(by_code))
    if unknown:
        raise InputDataError(f"consolidated balances name accounts not in the run's chart: {unknown}",
                             field="consolidated_balances.std_account")
    prior_month_period, prior_year_period = add_months(run.period, -1), add_months(run.period, -12)
    prior_year_end = add_months(fiscal_year_first(run.period, config.fiscal_year_start), -1)
    worksheet = worksheet_of(conn, run, config, entities)
    score, light = validation_score(conn, current)
    steps = close_steps_of(conn, run.id)
    budget_rows = budget_frame(conn, run, config)
    prior_run = prior_worksheet_run(conn, run, config)
    # A prior month without a stored worksheet leaves the month's adjustments unknown, not zero.
    prior_worksheet = (worksheet_of(conn, prior_run, config, entities) or None) if prior_run else None
    return BoardPackData(
        group_id=config.id,
        group_name=config.name,
        period=run.period,
        run_id=run.id,
        run_status=str(package_status(current.status)),
        presentation_currency=pc,
        locale=config.locale,  # type: ignore[arg-type]  # the config accepts only the model's locales
        as_of=current.as_of.astimezone(UTC),
        fiscal_year_start=config.fiscal_year_start,
        chart=accounts,
        balances=balances,
        entities=entities,
        prior_month=comparative_of(prior_month_period, earlier.get(prior_month_period), stored),
        prior_year=comparative_of(prior_year_period, earlier.get(prior_year_period), stored),
        prior_year_end=comparative_of(prior_year_end, earlier.get(prior_year_end), stored),
        budget=budget_of(conn, run, config),
        history=history_of(earlier, stored, by_code),
        worksheet=worksheet,
        trial_balance=trial_balance_of(conn, run),
        fx_rates=fx_rates_of(conn, run.id),
        journals=journals_of(conn, run.id),
        attributions=attributions_of(conn, run.id, pc, chart, worksheet, entities),
        # The prior year-end's worksheet is not loaded: its NCI share of CTA comes from the facts.
        prior_year_end_attributions=None if earlier.get(prior_year_end) is None else attributions_of(
            conn, earlier[prior_year_end], pc, chart, (), entities),
        variances=variances_of(conn, run.id, by_code, pc),
        kpis=kpis_of(conn, run.id, earlier),
        validation=findings_of(conn, run.id),
        validation_score=score,
        validation_light=light,
        audit_log=audit_log_of(conn, run.id),
        positions=positions_of(conn, run, config, entities, earlier),
        close_steps=steps,
        checklist=checklist_of(conn, run, steps[-1].start if steps else current.as_of),
        intercompany=intercompany_of(conn, run.id, pc, entities),
        ownership_steps=tuple(OwnershipStepRecord(str(f["entity"]), str(f["period"]),
                                                  from_minor(int(f["nci_change"]), pc))
                              for f in fact_payloads(conn, run.id, "step")),
        full_year_budget=full_year_budget_of(budget_rows, forecast_frame(conn, run, config, chart),
                                             run.period, config.fiscal_year_start, pc),
        entity_results=entity_results_of(conn, run, config, chart, entities, worksheet, budget_rows,
                                         prior_worksheet),
        fx_impact=fx_impact_of(conn, run, config, chart, earlier, stored),
        covenants=covenants_of(config, chart, run.period, balances, earlier, stored),
    )


def intercompany_of(conn: Connection, run_id: RunId, pc: Currency,
                    entities: Sequence[Entity]) -> tuple[IntercompanyPair, ...]:
    """Return the run's intercompany pairs, their amounts in units (``fact_in_units``)."""
    currencies = {e.id: e.currency for e in entities}
    fields = {f.name for f in dataclasses.fields(IntercompanyPair)}
    return tuple(IntercompanyPair(**{k: v for k, v in fact_in_units("ic_pair", p, pc, currencies).items()
                                     if k in fields})
                 for p in fact_payloads(conn, run_id, "ic_pair"))


def positions_of(conn: Connection, run: Run, config: GroupConfig, entities: Sequence[Entity],
                 earlier: Mapping[Period, RunId]) -> tuple[MonthPosition, ...]:
    """Return the month-end positions the cash flow needs: back to one month before the prior year-end.

    The chain stops at the first month without an effective run (the statement then says which
    columns are not available).
    """
    start = fiscal_year_first(run.period, config.fiscal_year_start)
    first = add_months(start, -2)
    out: list[MonthPosition] = []
    period = add_months(run.period, -1)
    while period >= first and period in earlier:
        earlier_run = get_run(conn, earlier[period])
        if earlier_run is None:
            break
        out.append(MonthPosition.of(period, worksheet_of(conn, earlier_run, config, entities),
                                    fx_rates_of(conn, earlier_run.id)))
        period = add_months(period, -1)
    return tuple(reversed(out))


def chart_accounts(chart: Chart, locale: str = "en-US") -> tuple[ChartAccount, ...]:
    """Return the run's chart as ``ChartAccount`` records, in the chart's own order.

    Names are in ``locale`` (the chart's ``name_pt`` column for ``pt-BR``), so every page,
    slide and sheet of a Portuguese package names accounts in Portuguese.
    """
    frame = chart.accounts
    names = chart.names(locale)
    return tuple(
        ChartAccount(code=str(code), name=names[str(code)], account_class=cls, subclass=subclass,
                     cash_flow_category=cash_flow, normal_balance=normal,
                     kpi_tags=tuple(t for t in tags.split(";") if t), system_role=role or None,
                     rate_type=rate_type)
        for code, name, cls, subclass, cash_flow, normal, tags, role, rate_type in zip(
            frame["code"], frame["name"], frame["class"], frame["subclass"], frame["cash_flow_category"],
            frame["normal_balance"], frame["kpi_tags"], frame["system_role"], frame["rate_type"],
            strict=True))


def consolidated_entities(config: GroupConfig) -> tuple[Entity, ...]:
    """Return the consolidated entities, each parent before its subsidiaries.

    ``ownership`` is the group's effective interest and ``method`` the one applied
    (``close.engine.ownership``); entities left at cost (method ``none``) are not in the package.
    """
    by_id = {e.id: e for e in config.entities}
    return tuple(Entity(id=eid, name=by_id[eid].name, currency=by_id[eid].currency, ownership=h.effective,
                        method=h.method, parent=h.parent)  # type: ignore[arg-type]
                 for eid, h in compute_ownership(config.entities).items() if h.method != "none")


def balances_by_run(conn: Connection, run_ids: Iterable[RunId]
                    ) -> dict[RunId, tuple[ConsolidatedBalance, ...]]:
    """Return the consolidated balances of several runs, by account; a run without any is absent."""
    return {run_id: tuple(ConsolidatedBalance(account=b.account, closing=b.amount, month=b.movement)
                          for b in balances)
            for run_id, balances in consolidated_of_runs(conn, run_ids).items()}


def earlier_runs(conn: Connection, group_id: str, period: Period) -> dict[Period, RunId]:
    """Return the effective run of each of the ``HISTORY_MONTHS`` periods before ``period``."""
    found: dict[Period, RunId] = {}
    for back in range(HISTORY_MONTHS, 0, -1):
        p = add_months(period, -back)
        run = effective_run(conn, group_id, p)
        if run is not None:
            found[p] = run.id
    return found


def comparative_of(period: Period, run_id: RunId | None,
                   stored: Mapping[RunId, tuple[ConsolidatedBalance, ...]]) -> Comparative | None:
    """Return an earlier period's balances as a comparative, ``None`` when it has none."""
    if run_id is None or run_id not in stored:
        return None
    return Comparative(period=period, balances=stored[run_id], run_id=run_id)


def budget_of(conn: Connection, run: Run, config: GroupConfig) -> Comparative | None:
    """Return the consolidated budget: the month's movement and the fiscal year to date.

    Only the consolidated rows (blank entity) count. A budget in another currency than the
    presentation currency is not translated here, so it is reported as not available.

    Returns:
        The budget comparative, or ``None`` without a budget file or without rows for the
        period.

    Raises:
        InputDataError: the file is not in the run's snapshot or holds a bad amount.

    """
    name = config.files.budget
    pc = config.presentation_currency
    if not name or (config.budget_currency or pc) != pc:
        return None
    frame = parse_budget(read_file(conn, run.id, name), period=None, currency=pc, source=name)
    start = fiscal_year_first(run.period, config.fiscal_year_start)
    ytd = frame[(frame["period"] >= start) & (frame["period"] <= run.period)]
    month = ytd[ytd["period"] == run.period]
    if month.empty:
        return None
    closing = ytd.groupby("std_account")["amount"].sum()
    movement = month.groupby("std_account")["amount"].sum()
    balances = tuple(
        ConsolidatedBalance(account=str(code), closing=from_minor(int(total), pc),
                            month=from_minor(int(movement.get(code, 0)), pc))
        for code, total in sorted(closing.items()))
    return Comparative(period=run.period, balances=balances, run_id=None)


def history_of(earlier: Mapping[Period, RunId], stored: Mapping[RunId, tuple[ConsolidatedBalance, ...]],
               by_code: Mapping[AccountCode, ChartAccount]) -> tuple[PeriodResult, ...]:
    """Return the earlier effective runs' income statements, oldest first."""
    out = []
    for period in sorted(earlier):
        income = tuple(b for b in stored.get(earlier[period], ())
                       if b.account in by_code
                       and by_code[b.account].account_class in INCOME_STATEMENT_CLASSES)
        if income:
            out.append(PeriodResult(period=period, balances=income))
    return tuple(out)


def worksheet_of(conn: Connection, run: Run, config: GroupConfig,
                 entities: Sequence[Entity]) -> tuple[WorksheetRow, ...]:
    """Return the consolidating worksheet, entities in group order then by account.

    ``local_amount`` and ``rate`` come from the entity's own translated lines (PPA push-down
    lines feed the PPA column instead); ``rate`` is ``None`` when lines of the row carry
    different rates, no rate (the CTA plug), or a year-to-date average after the first month of
    the fiscal year (each month then has its own average).

    Raises:
        InputDataError: a stored worksheet column that this loader does not know.

    """
    cells: dict[tuple[EntityId, AccountCode], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(("translated", "eliminations", "ppa", "adjustments"), ZERO))
    for entity, account, column, amount in worksheet_cells(conn, run.id):
        if column in _DERIVED_WORKSHEET_COLUMNS:
            continue
        if column not in _WORKSHEET_COLUMNS:
            raise InputDataError(f"unknown worksheet column {column!r}", entity=entity, account=account,
                                 field="consolidation_worksheet.column")
        cells[(entity, account)][_WORKSHEET_COLUMNS[column]] += amount
    if not cells:
        return ()
    local: dict[tuple[EntityId, AccountCode], Decimal] = defaultdict(lambda: ZERO)
    rates: dict[tuple[EntityId, AccountCode], set[Decimal | None]] = defaultdict(set)
    first_fiscal_month = parse_period(run.period)[1] == config.fiscal_year_start
    for entity, account, closing, rate, rate_type in own_translated_lines(conn, run.id):
        local[(entity, account)] += closing
        several_averages = rate_type == "average" and not first_fiscal_month
        rates[(entity, account)].add(None if several_averages else rate)
    currencies = {e.id: e.currency for e in config.entities}
    order = {e.id: i for i, e in enumerate(entities)}
    rows = []
    for (entity, account), c in sorted(cells.items(),
                                       key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
        found = rates.get((entity, account), {None})
        rate = next(iter(found)) if len(found) == 1 else None
        rows.append(WorksheetRow(
            entity=entity, account=account, local_amount=local.get((entity, account), ZERO),
            local_currency=currencies.get(entity, config.presentation_currency),
            rate=rate.normalize() if rate is not None else None, translated=c["translated"],
            eliminations=c["eliminations"], ppa=c["ppa"], adjustments=c["adjustments"],
            consolidated=c["translated"] + c["eliminations"] + c["ppa"] + c["adjustments"]))
    return tuple(rows)


def trial_balance_of(conn: Connection, run: Run) -> tuple[EntityTrialBalance, ...]:
    """Return each entity's extracted lines of the run's period summed (the lines go to the CSV)."""
    return tuple(EntityTrialBalance(entity=r.entity, currency=r.currency.strip(), lines=r.lines,
                                    opening=r.opening, debits=r.debit, credits=r.credit, closing=r.closing)
                 for r in trial_balance_totals(conn, run.id, run.period))


def facts_of(conn: Connection, run_id: RunId, kind: str) -> list[dict[str, Any]]:
    """Return one kind of consolidation fact, payloads parsed with exact decimals, in order."""
    return fact_payloads(conn, run_id, kind, exact=True)


def fact_amount(payload: Mapping[str, Any], keys: Iterable[str], currency: Currency) -> Decimal | None:
    """Return the first of ``keys`` present in a fact as an amount in units, else ``None``.

    Integers are minor units (facts are pandas frames of minor units); decimal strings and JSON
    decimals are units.

    Raises:
        InputDataError: the value is not a number.

    """
    for key in keys:
        value = payload.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            break
        if isinstance(value, int):
            return from_minor(value, currency)
        try:
            return D(value)
        except (TypeError, ValueError):
            raise InputDataError(f"not an amount: {value!r}",
                                 field=f"consolidation_facts.payload.{key}") from None
    return None


def _fact_fraction(payload: Mapping[str, Any], key: str) -> Decimal | None:
    """Return a fact's fraction (an NCI %, stored as a decimal string), else ``None``.

    Raises:
        InputDataError: the value is not a number.

    """
    text = _fact_text(payload, key)
    if text is None:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        raise InputDataError(f"the nci fact's {key} is not a number: {text!r}", field=key) from None


def _fact_text(payload: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = payload.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def fx_rates_of(conn: Connection, run_id: RunId) -> tuple[FxRateRow, ...]:
    """Return the rates the consolidation used, with their provenance."""
    out = []
    for p in facts_of(conn, run_id, "rate"):
        rate = p.get("rate")
        if rate in (None, ""):
            continue
        out.append(FxRateRow(currency=str(p.get("currency", "")), rate_type=str(p.get("rate_type", "")),
                             rate=D(rate if isinstance(rate, Decimal | int) else str(rate)),
                             source=str(p.get("source") or ""), method=str(p.get("method") or "")))
    return tuple(out)


def journals_of(conn: Connection, run_id: RunId) -> tuple[Journal, ...]:
    """Return the consolidation journals with their lines, in journal id order."""
    lines: dict[str, list[JournalLine]] = defaultdict(list)
    for ln in journal_lines(conn, run_id):
        lines[ln["journal_id"]].append(JournalLine(
            entity=ln["entity"], account=ln["account"], amount=ln["amount"],
            counterparty=ln["counterparty"] or None, memo=ln["memo"]))
    return tuple(Journal(id=j["journal_id"], kind=journal_kind(j["kind"], j["basis"]), description=j["memo"],
                         basis=basis_label(j["basis"]), lines=tuple(lines[j["journal_id"]]))
                 for j in journal_heads(conn, run_id))


def journal_kind(kind: str, basis: str) -> JournalKind:
    """Map a stored journal kind to the model's (a US GAAP adjustment is ``gaap``)."""
    mapped = _JOURNAL_KINDS.get(kind, "other")
    return "gaap" if mapped == "topside" and basis == US_GAAP else mapped


def basis_label(basis: str) -> str:
    """Return the reader's name of a basis (``US_GAAP`` → ``US GAAP``)."""
    return basis.replace("_", " ")


def attributions_of(conn: Connection, run_id: RunId, currency: Currency, chart: Chart,
                    worksheet: Sequence[WorksheetRow], entities: Sequence[Entity]
                    ) -> tuple[EntityAttribution, ...]:
    """Return CTA and NCI per entity, in presented sign (credit positive).

    Sources: the ``cta`` facts (``close.engine.fx.CTA_COLUMNS``: ``plug`` and ``from_parts`` in
    trial-balance sign) and the ``nci`` facts (``close.engine.investment.NCI_COLUMNS``: ``equity``
    credit-positive, ``profit`` the NCI's share of profit year to date, ``cta`` its share of CTA
    in trial-balance sign, ``direct_pct`` / ``indirect_pct`` the NCI % split and
    ``indirect_adjustment`` the indirect holding adjustment deducted from ``equity``). Without
    facts, the worksheet gives the CTA (the entity's translated CTA balance) and the NCI (its
    consolidated NCI balances). Entities with neither, or with only zeros (an entity in the
    presentation currency, wholly owned), are omitted.
    """
    role_code = {r: str(c) for c, r in chart.accounts["system_role"].items() if r}
    on_worksheet: dict[tuple[EntityId, str], Decimal] = {}
    for row in worksheet:
        for role, value in ((SystemRole.CTA, -row.translated), (SystemRole.NCI_EQUITY, -row.consolidated),
                            (SystemRole.NCI_PROFIT, row.consolidated)):
            if row.account == role_code.get(role.value):
                on_worksheet[(row.entity, role.value)] = value
    cta_facts = {_fact_text(p, "entity"): p for p in facts_of(conn, run_id, "cta")}
    nci_facts = {_fact_text(p, "entity"): p for p in facts_of(conn, run_id, "nci")}
    out = []
    for e in entities:
        plug = fact_amount(cta_facts.get(e.id, {}), ("plug",), currency)
        parts = fact_amount(cta_facts.get(e.id, {}), ("from_parts",), currency)
        nci = nci_facts.get(e.id, {})
        cta = -plug if plug is not None else on_worksheet.get((e.id, SystemRole.CTA.value))
        nci_equity = fact_amount(nci, ("equity",), currency)
        if nci_equity is None:
            nci_equity = on_worksheet.get((e.id, SystemRole.NCI_EQUITY.value))
        if cta is None and nci_equity is None:
            continue
        cta = ZERO if cta is None else cta
        cta_nci = fact_amount(nci, ("cta",), currency)
        nci_profit = fact_amount(nci, ("profit",), currency)
        adjustment = fact_amount(nci, ("indirect_adjustment",), currency)
        attribution = EntityAttribution(
            entity=e.id, cta=cta, cta_from_parts=-parts if parts is not None else cta,
            cta_nci=-cta_nci if cta_nci is not None else ZERO,
            nci_equity=ZERO if nci_equity is None else nci_equity,
            nci_profit_ytd=nci_profit if nci_profit is not None
            else on_worksheet.get((e.id, SystemRole.NCI_PROFIT.value), ZERO),
            direct_pct=_fact_fraction(nci, "direct_pct"), indirect_pct=_fact_fraction(nci, "indirect_pct"),
            indirect_adjustment=ZERO if adjustment is None else adjustment)
        if any((attribution.cta, attribution.cta_from_parts, attribution.cta_nci, attribution.nci_equity,
                attribution.nci_profit_ytd)):
            out.append(attribution)
    return tuple(out)


def variances_of(conn: Connection, run_id: RunId, by_code: Mapping[AccountCode, ChartAccount],
                 currency: Currency) -> tuple[Variance, ...]:
    """Return the consolidated variances with their commentary, in trial-balance sign.

    Per-entity variances (``detail.entity`` set) are not part of the package's variance table.
    A variance without commentary is shown with an empty, data-only explanation, confidence 0
    and the light of its materiality (yellow when material, else green).
    """
    comments: dict[tuple[str, str], tuple[str, str, int | None, str | None]] = {}
    for account, kind, body, source, confidence, light in consolidated_comments(conn, run_id):
        comments[(account, kind)] = (body, source, confidence, light)  # the latest revision wins
    out = []
    for account, kind, cur, cmp, delta, pct, material, detail in variance_list(conn, run_id):
        if detail.get("entity") or kind not in _VARIANCE_BASES:
            continue
        chart_account = by_code.get(account)
        sign = -1 if chart_account is not None and chart_account.normal_balance == "credit" else 1
        body, source, confidence, light = comments.get((account, kind), ("", "data-only", None, None))
        out.append(Variance(
            account=account, basis=_VARIANCE_BASES[kind],
            scope="ytd" if detail.get("scope") == "ytd" else "month",
            actual=sign * cur, comparison=sign * cmp, difference=sign * delta,
            pct=None if pct is None else sign * pct, material=material, commentary=body,
            source="claude" if source in _CLAUDE_SOURCES else "data-only",
            confidence=ZERO if confidence is None else Decimal(confidence) / _HUNDRED,
            light=_light(light, material), drivers=_drivers(detail.get("drivers"), sign, currency)))
    return tuple(out)


def _light(stored: str | None, material: bool) -> Light:
    if stored in ("green", "yellow", "red"):
        return stored  # type: ignore[return-value]
    return "yellow" if material else "green"


def _drivers(raw: object, sign: int, currency: Currency) -> tuple[VarianceDriver, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for d in raw:
        if not isinstance(d, Mapping):
            continue
        amount = fact_amount(d, ("delta", "amount"), currency)
        key = _fact_text(d, "key", "entity")
        if amount is None or key is None:
            continue
        dimension = _fact_text(d, "dimension")
        out.append(VarianceDriver(entity=key, amount=sign * amount,
                                  dimension=None if dimension in (None, "entity") else dimension))
    return tuple(out)


def _kpi_value(value: Decimal | None, unit: str) -> Decimal | None:
    return value / _HUNDRED if value is not None and unit == "%" else value


def kpi_unit(unit: str) -> KpiUnit:
    """Map a stored KPI unit (``%``, ``x``, a currency code…) to the model's unit."""
    if unit in _KPI_UNITS:
        return _KPI_UNITS[unit]
    return "currency" if len(unit) == 3 and unit.isalpha() and unit.isupper() else "count"


def kpis_of(conn: Connection, run_id: RunId, earlier: Mapping[Period, RunId]) -> tuple[Kpi, ...]:
    """Return the run's KPIs (percentages as fractions) with their values in earlier runs.

    KPIs come in ``close.analysis.kpis.KPI_DEFINITIONS`` order (the report's), others after by code.
    """
    rows = kpi_list(conn, run_id)
    if not rows:
        return ()
    trend: dict[str, list[KpiPoint]] = defaultdict(list)
    for period in sorted(earlier):
        for k in kpi_list(conn, earlier[period]):
            trend[k.code].append(KpiPoint(period=period, value=_kpi_value(k.value, k.unit)))
    order = {definition[0]: i for i, definition in enumerate(KPI_DEFINITIONS)}
    rows = sorted(rows, key=lambda r: (order.get(r[0], len(order)), r[0]))
    return tuple(Kpi(code=code, name=name, value=_kpi_value(value, unit), unit=kpi_unit(unit),
                     reason=reason if value is None else None, trend=tuple(trend.get(code, ())))
                 for code, name, value, unit, reason in rows)


def _decimal_or_none(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return D(text)
    except (ValueError, InvalidOperation):
        return None


def findings_of(conn: Connection, run_id: RunId) -> tuple[ValidationFinding, ...]:
    """Return every stored check result with its waiver; figures that are not numbers are None."""
    return tuple(ValidationFinding(code=f["code"], severity=f["severity"], entity=f["entity"] or None,
                                   account=f["account"] or None, expected=_decimal_or_none(f["expected"]),
                                   actual=_decimal_or_none(f["actual"]),
                                   difference=_decimal_or_none(f["difference"]), message=f["message"],
                                   waived_by=f["waived_by"], waiver_reason=f["waived_reason"])
                 for f in findings(conn, run_id))


def score_light(score: Decimal) -> Light:
    """Return the traffic light of a validation score (design.md bands)."""
    if score >= _GREEN_FROM:
        return "green"
    return "yellow" if score >= _YELLOW_FROM else "red"


def validation_score(conn: Connection, run: Run) -> tuple[Decimal | None, Light | None]:
    """Return the run's validation score and light, ``(None, None)`` if validation did not run.

    ``close_runs.validation_score`` is set when VALIDATING stops the run for review; otherwise
    the score is the one VALIDATING recorded with its DONE event.
    """
    detail = stage_done_detail(conn, run.id, RunStatus.VALIDATING.value) or {}
    score = _decimal_or_none(run.validation_score) if run.validation_score else None
    if score is None:
        score = _decimal_or_none(str(detail["score"])) if detail.get("score") is not None else None
    if score is None:
        return None, None
    light = detail.get("light")
    return score, light if light in ("green", "yellow", "red") else score_light(score)


def audit_log_of(conn: Connection, run_id: RunId) -> tuple[AuditEvent, ...]:
    """Return the run's audit trail up to the start of its (last) REPORTING, oldest first, in UTC.

    The package shows the trail as it stood when the package was rendered, so rendering the run
    again later — after it completed, was signed off or locked — gives the same bytes.
    """
    return tuple(AuditEvent(time=_utc(at), actor=actor, event=kind, detail=message)
                 for at, actor, kind, message in events_until_reporting(conn, run_id))


def close_steps_of(conn: Connection, run_id: RunId) -> tuple[CloseStep, ...]:
    """Return the run's statuses up to its move into REPORTING; each ends where the next starts."""
    moves = [(_utc(at), to) for at, to in steps_until_reporting(conn, run_id)]
    return tuple(CloseStep(to, at, moves[i + 1][0] if i + 1 < len(moves) else None)
                 for i, (at, to) in enumerate(moves))


def checklist_of(conn: Connection, run: Run, rendered: datetime) -> tuple[ChecklistTask, ...]:
    """Return the period's tasks as they stood at REPORTING; overdue is judged on that day (UTC)."""
    tasks = tasks_until_reporting(conn, run.id, run.group_id, run.period)
    late = {t.task_id for t in overdue(tasks, _utc(rendered).date())}
    return tuple(ChecklistTask(t.task_id, t.title, t.owner, t.due_on, t.gate,
                               None if t.done_at is None else _utc(t.done_at), t.done_by,
                               t.evidence_sha256, t.task_id in late) for t in tasks)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
