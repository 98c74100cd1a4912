"""A quick look at one entity's trial balance without a close (``close tb check`` and the web page).

The file is read exactly as a close's EXTRACTING reads it (the entity's file options, the same
parser): a malformed file raises the same :class:`close.errors.InputDataError`, word for word.
A file that reads is mapped with the group's mapping file and chart, and the validation checks
that judge one entity's trial balance on its own run on it (integrity, mapping, diagnostics).
Checks that need a prior month, rates, other entities or the consolidation are not run. Nothing
is stored: the function touches no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from close.checks import (
    Check,
    CheckResult,
    ValidationContext,
    check_abnormal_balances,
    check_accounts_mapped_twice,
    check_debits_equal_credits,
    check_duplicate_accounts,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_mapping_class_prefix,
    check_suspense_cleared,
    check_unmapped_accounts,
)
from close.config import EntityConfig, GroupConfig
from close.engine.chart import Chart, load_chart
from close.engine.frames import MAPPED_TB_COLUMNS
from close.engine.mapping import parse_mapping, resolve_mapping
from close.engine.money import from_minor
from connectors.files import FileOptions, read_trial_balance

#: The close's checks that need nothing but one entity's mapped trial balance, in ``CHECKS`` order.
TB_CHECKS: tuple[Check, ...] = (
    check_debits_equal_credits,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_unmapped_accounts,
    check_accounts_mapped_twice,
    check_mapping_class_prefix,
    check_abnormal_balances,
    check_suspense_cleared,
    check_duplicate_accounts,
)


@dataclass(frozen=True, slots=True)
class TbDiagnosis:
    """What the checks found in one uploaded trial balance."""

    entity: EntityConfig
    filename: str
    lines: int
    totals: dict[str, Decimal]  # opening, debit, credit, closing in the entity currency
    findings: tuple[CheckResult, ...]

    @property
    def failed(self) -> bool:
        """Whether a check failed (``warn`` findings do not count)."""
        return any(f.severity == "fail" for f in self.findings)


def _file_options(entity: EntityConfig) -> FileOptions:
    """Return the entity's own reading options when it closes from files, else auto-detection."""
    if entity.connector == "file":
        return FileOptions.from_settings(entity.source, entity=entity.id)
    return FileOptions()


def _chart(config: GroupConfig, base: Path) -> Chart:
    if config.files.chart:
        return load_chart((base / config.files.chart).read_bytes(), source=config.files.chart)
    return load_chart()


def diagnose_trial_balance(config: GroupConfig, config_path: Path, entity_id: str, data: bytes,
                           filename: str) -> TbDiagnosis:
    """Read an entity's exported trial balance as the close would and run the per-entity checks.

    Args:
        config: the group the entity belongs to.
        config_path: the group's TOML file (its mapping and chart files are beside it).
        entity_id: the entity whose trial balance the file is.
        data: the file's bytes.
        filename: the file's name (its extension picks the format; errors name it).

    Raises:
        ConfigError: the group has no such entity, or its mapping or chart is malformed.
        InputDataError: the file is malformed (the extract's error: file, row, column, account).

    """
    entity = config.entity(entity_id)
    frame = read_trial_balance(data, filename=filename, entity=entity.id, currency=entity.currency,
                               options=_file_options(entity))
    base = config_path.resolve().parent
    chart = _chart(config, base)
    mapping = (parse_mapping((base / config.files.mapping).read_bytes(), source=config.files.mapping,
                             chart=chart)
               if config.files.mapping else pd.DataFrame(columns=["entity", "account", "std_account"]))
    resolved = resolve_mapping(frame, mapping, chart)
    local = frame.merge(resolved[["entity", "account", "std_account"]], on=["entity", "account"], how="left")
    ctx = ValidationContext(
        # No period, rates or prior month without a close: floors are taken 1:1 in the entity
        # currency, and the checks that need those inputs are not in TB_CHECKS.
        period=datetime.now(UTC).strftime("%Y-%m"), presentation_currency=config.presentation_currency,
        chart=chart, entities=(entity,),
        local=local[list(MAPPED_TB_COLUMNS)].assign(currency=entity.currency),
        mapping=resolved, translated=pd.DataFrame(), consolidated=pd.DataFrame(), cta=pd.DataFrame(),
        ic_pairs=pd.DataFrame(), rates=(), settings=config.validation, thresholds=config.thresholds,
        fiscal_year_start=config.fiscal_year_start)
    findings = tuple(result for check in TB_CHECKS for result in check(ctx))
    totals = {k: from_minor(int(frame[k].sum()), entity.currency)
              for k in ("opening", "debit", "credit", "closing")}
    return TbDiagnosis(entity=entity, filename=filename, lines=len(frame), totals=totals, findings=findings)
