"""The small group of tests/close/run, shaped into the two cases a reviewer meets.

* :func:`write_red_group`: a bank loan of S mapped to trade payables (a current liability) makes the
  current ratio fall below its band, and revenue misses a far-off budget; the group weighs
  reasonableness heavily (``[validation.weights.reasonableness]``), so the score is red (70.00).
  :data:`RECLASS_JOURNAL` moves the loan to loans and borrowings at the consolidated level.
* :func:`write_integrity_group`: an opening-balances file whose translated lines do not sum to zero
  (CTA -30.00 against cash 210.00 and capital -200.00), so the consolidated movement does not sum to
  zero: a failed integrity check.
* :func:`write_green_group`: the small group as it is, for January or February, green both months.
"""

from __future__ import annotations

from pathlib import Path

from close.checks import CheckResult
from tests.close.run.small_group import CONFIG, MAPPING, write_group

RED_CONFIG = (
    CONFIG.replace(
        'opening_balances = "opening.csv"\n', 'opening_balances = "opening.csv"\nbudget = "budget.csv"\n'
    )
    + """
[validation.weights.reasonableness]
warn = 15
cap = 15
"""
)

# S bought equipment with a bank loan; its local loan account 2100 is mapped to trade payables.
RED_SUB_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Caixa,,,,1000.00,150.00,0.00,1150.00
1500,Imobilizado,,,,0.00,20000.00,0.00,20000.00
2100,Emprestimo bancario,,,,0.00,0.00,20000.00,-20000.00
3000,Capital social,,,,-1000.00,0.00,0.00,-1000.00
4000,Receita,,ADM,,0.00,0.00,150.00,-150.00
"""
RED_MAPPING = MAPPING + "S,1500,1500\nS,2100,2000\n"
BUDGET = "period,entity,account,amount\n2026-01,,4000,-1000.00\n"

# The loan, 20,000.00 BRL at the closing rate 0.21, belongs in loans and borrowings.
RECLASS_JOURNAL = """\
journal_id,basis,entity,account,amount,memo
TS-1,IFRS,S,2000,4200.00,bank loan booked as trade payable
TS-1,IFRS,S,2500,-4200.00,bank loan booked as trade payable
"""

BAD_OPENING = (
    "entity,account,translated_closing,historical_rate\nS,3000,-200.00,0.2000000000\nS,3300,-30.00,\n"
)


def write_red_group(folder: Path) -> Path:
    """Write the red-score group for 2026-01 under ``folder``; return the config path."""
    config = write_group(folder, sub_tb=RED_SUB_TB)
    config.write_text(RED_CONFIG, encoding="utf-8")
    (folder / "mapping.csv").write_text(RED_MAPPING, encoding="utf-8")
    (folder / "budget.csv").write_text(BUDGET, encoding="utf-8")
    return config


def write_integrity_group(folder: Path) -> Path:
    """Write the group whose opening balances break an integrity check; return the config path."""
    config = write_group(folder)
    config.write_text(CONFIG, encoding="utf-8")
    (folder / "opening.csv").write_text(BAD_OPENING, encoding="utf-8")
    return config


# February after January's 150.00 of revenue: S's lines open at January's closing (revenue YTD).
FEB_SUB_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Caixa,,,,1150.00,150.00,0.00,1300.00
3000,Capital social,,,,-1000.00,0.00,0.00,-1000.00
4000,Receita,,ADM,,-150.00,0.00,150.00,-300.00
"""


def write_green_group(folder: Path, period: str) -> Path:
    """Write the small group for 2026-01 or 2026-02 (file rates only); return the config path."""
    config = write_group(folder, period=period, **({"sub_tb": FEB_SUB_TB} if period == "2026-02" else {}))
    config.write_text(CONFIG, encoding="utf-8")
    return config


def checks_of(findings: list[dict]) -> list[CheckResult]:
    """Rebuild the checks from ``close review --json`` findings, to score them independently."""
    return [
        CheckResult(
            f["code"],
            f["category"],
            f["severity"],
            f["entity"],
            f["account"],
            f["expected"],
            f["actual"],
            f["difference"],
            f["message"],
        )
        for f in findings
    ]
