"""The standard chart of accounts, as data.

A chart is a table of accounts with their class, subclass, normal balance, translation rate type,
cash-flow category, KPI tags and (for the accounts the engine posts to) a system role. The engine
never hard-codes an account code: it asks the chart ``chart.by_role(SystemRole.CTA)``.
A default chart ships in ``close/data/default_chart.csv``; a group may bring its own file with
the same columns. The optional ``name_pt`` column holds each account's Brazilian Portuguese name,
which a ``pt-BR`` package and its commentary show (an account without one keeps ``name``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources

import pandas as pd

from close.engine.types import AccountCode
from close.errors import ConfigError

CHART_COLUMNS: tuple[str, ...] = (
    "code", "name", "class", "subclass", "normal_balance", "rate_type", "cash_flow_category",
    "kpi_tags", "system_role",
)
_CLASSES = frozenset({"asset", "liability", "equity", "revenue", "expense"})
_RATE_TYPES = frozenset({"closing", "average", "historical"})
_NORMAL = frozenset({"debit", "credit"})
BALANCE_SHEET_CLASSES = frozenset({"asset", "liability", "equity"})
# The optional ``intercompany`` column: what kind of intercompany item an account holds when a
# line carries a group counterparty. Only tagged accounts are matched in pairs (IFRS 10.B86(c));
# a counterparty on any other account (inventory, fixed assets) is information, never a pair.
IC_TAGS = frozenset({
    "balance", "loan", "net_investment_loan", "revenue_expense", "dividend_income",
    "dividends_declared", "dividend_receivable", "dividend_payable",
})
# Charts written before the column existed: monetary assets and liabilities and every
# income-statement line are tagged as they were matched before; non-monetary items never are.
_UNTAGGED_SUBCLASSES = frozenset({"inventory", "ppe", "intangible", "goodwill", "investment", "suspense"})
INCOME_STATEMENT_CLASSES = frozenset({"revenue", "expense"})


class SystemRole(StrEnum):
    """Accounts the engine posts to or reads by meaning rather than by code."""

    CTA = "cta"  # cumulative translation adjustment, in OCI
    NCI_EQUITY = "nci_equity"  # non-controlling interests in equity
    NCI_PROFIT = "nci_profit"  # profit attributable to non-controlling interests
    GOODWILL = "goodwill"
    CURRENT_YEAR_RESULT = "current_year_result"  # presentation line of the balance sheet
    RETAINED_EARNINGS = "retained_earnings"
    DIVIDENDS = "dividends"  # dividends declared this year, at declaration-date rates
    IC_FX = "ic_fx"  # exchange differences on intragroup monetary items (IAS 21.45)
    ROUNDING = "rounding"
    SUSPENSE = "suspense"
    IC_SUSPENSE = "ic_suspense"  # tolerated intercompany mismatches, plugged and flagged
    INVESTMENT_IN_SUBSIDIARIES = "investment_in_subsidiaries"
    INVESTMENT_IN_ASSOCIATES = "investment_in_associates"
    SHARE_OF_ASSOCIATE_PROFIT = "share_of_associate_profit"
    PPA_INTANGIBLE = "ppa_intangible"
    PPA_ACCUMULATED_AMORTIZATION = "ppa_accumulated_amortization"
    PPA_AMORTIZATION = "ppa_amortization"
    PPA_DEFERRED_TAX = "ppa_deferred_tax"  # deferred tax liability on PPA uplifts (IAS 12.19)
    PPA_DEFERRED_TAX_EXPENSE = "ppa_deferred_tax_expense"  # its unwinding, on the tax line
    GOODWILL_IMPAIRMENT = "goodwill_impairment"  # IAS 36 impairment of goodwill, never reversed
    SHARE_OF_ASSOCIATE_OCI = "share_of_associate_oci"  # OCI reserve of equity-accounted investees
    TRANSACTIONS_WITH_NCI = "transactions_with_nci"  # IFRS 10.23 equity of the parent
    DISPOSAL_RESULT = "disposal_result"  # gain or loss on losing control (IFRS 10.25)


@dataclass(frozen=True, slots=True)
class Chart:
    """A validated standard chart of accounts (one row per account, indexed by code)."""

    accounts: pd.DataFrame  # CHART_COLUMNS, index = code
    # role → code, read once: the engine asks for roles on every consolidation.
    _roles: dict[str, AccountCode] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tagged = self.accounts[self.accounts["system_role"] != ""]
        roles = {str(r): str(c) for r, c in zip(tagged["system_role"], tagged.index, strict=True)}
        object.__setattr__(self, "_roles", roles)

    def by_role(self, role: SystemRole) -> AccountCode:
        """Return the code of the account carrying a system role.

        Raises:
            ConfigError: when the chart has no account with that role.

        """
        code = self._roles.get(role.value)
        if code is None:
            raise ConfigError(f"the chart of accounts has no account with system role {role.value!r}",
                              key="system_role", expected=f"one account tagged {role.value}")
        return code

    def has(self, code: AccountCode) -> bool:
        """Tell whether an account code exists in the chart."""
        return code in self.accounts.index

    def column(self, name: str) -> pd.Series:
        """Return one attribute of every account (e.g. ``class``), indexed by code."""
        return self.accounts[name]

    def names(self, locale: str) -> dict[AccountCode, str]:
        """Return each account's name in ``locale`` (``pt-BR``: ``name_pt``; else ``name``)."""
        column = "name_pt" if locale == "pt-BR" else "name"
        return {str(c): str(n) for c, n in zip(self.accounts.index, self.accounts[column], strict=True)}

    def codes_with_tag(self, tag: str) -> tuple[AccountCode, ...]:
        """Return the codes whose semicolon-separated ``kpi_tags`` include ``tag``."""
        tags = self.accounts["kpi_tags"].str.split(";")
        return tuple(str(c) for c, t in zip(self.accounts.index, tags, strict=True) if tag in t)


def load_chart(data: bytes | None = None, *, source: str = "default chart") -> Chart:
    """Parse and validate a chart CSV (the shipped default when ``data`` is None).

    Args:
        data: the CSV bytes, with the columns of ``CHART_COLUMNS``.
        source: the file name for error messages.

    Returns:
        The chart.

    Raises:
        ConfigError: naming the file, the row and the column that is wrong.

    """
    if data is None:
        data = resources.files("close.data").joinpath("default_chart.csv").read_bytes()
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    missing = [c for c in CHART_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"missing columns {missing}", file=source, expected=", ".join(CHART_COLUMNS))
    if "intercompany" not in frame.columns:
        frame["intercompany"] = _legacy_ic_tags(frame)
    if "name_pt" not in frame.columns:
        frame["name_pt"] = ""
    frame = frame[[*CHART_COLUMNS, "intercompany", "name_pt"]].fillna("").map(str.strip)
    frame["name_pt"] = frame["name_pt"].where(frame["name_pt"] != "", frame["name"])
    for column, allowed in (("class", _CLASSES), ("rate_type", _RATE_TYPES), ("normal_balance", _NORMAL),
                            ("intercompany", IC_TAGS | {""})):
        bad = frame[~frame[column].isin(allowed)]
        if len(bad):
            row = int(bad.index[0]) + 2  # header is row 1
            raise ConfigError(f"row {row}: {bad.iloc[0][column]!r}", file=source, key=column,
                              expected=" | ".join(sorted(allowed)))
    dup = frame["code"][frame["code"].duplicated()]
    if len(dup):
        raise ConfigError(f"account {dup.iloc[0]} appears twice", file=source, key="code")
    roles = frame["system_role"][frame["system_role"] != ""]
    known = {r.value for r in SystemRole}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise ConfigError(f"unknown system roles {unknown}", file=source, key="system_role",
                          expected=" | ".join(sorted(known)))
    if roles.duplicated().any():
        raise ConfigError(f"system role {roles[roles.duplicated()].iloc[0]!r} on two accounts",
                          file=source, key="system_role")
    return Chart(accounts=frame.set_index("code", drop=False))


def _legacy_ic_tags(frame: pd.DataFrame) -> list[str]:
    """Intercompany tags for a chart without the column (see ``_UNTAGGED_SUBCLASSES``)."""
    tags = []
    for cls, sub, role in zip(frame["class"], frame["subclass"], frame["system_role"], strict=True):
        cls, sub = str(cls).strip(), str(sub).strip()
        if sub in ("ic_loan_receivable", "ic_loan_payable"):
            tags.append("loan")
        elif str(role).strip() == SystemRole.DIVIDENDS.value:
            tags.append("dividends_declared")
        elif cls == "revenue" and sub in ("dividend_income", "other_income"):
            tags.append("dividend_income")
        elif cls in ("asset", "liability") and sub not in _UNTAGGED_SUBCLASSES:
            tags.append("balance")
        elif cls in INCOME_STATEMENT_CLASSES:
            tags.append("revenue_expense")
        else:
            tags.append("")
    return tags
