"""A two-entity group written to a folder: a USD parent and its 100% BRL subsidiary.

Small enough to read in one screen; used by the run tests that need real files.
"""

from __future__ import annotations

from pathlib import Path

# The USD parent P and its 100% BRL subsidiary S, as [[entities]] tables (other groups reuse them).
ENTITIES = """\
[[entities]]
id = "P"
name = "Parent Inc."
currency = "USD"
connector = "file"
[entities.source]
path = "tb/P/{period}.csv"

[[entities]]
id = "S"
name = "Sub Ltda."
currency = "BRL"
parent = "P"
ownership = "1"
connector = "file"
[entities.source]
path = "tb/S/{period}.csv"
"""

CONFIG = """\
[group]
id = "tiny"
name = "Tiny Group"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
rates = "rates.csv"
opening_balances = "opening.csv"

[rates]  # the rates file only: no request to the BCB
sources = { BRL = "file" }

""" + ENTITIES

# Parent: cash 800, investment in S at cost 200 (= S's capital 1000 BRL at 0.20), capital 1000.
PARENT_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Cash,,,,800.00,0.00,0.00,800.00
1800,Investment in S,S,,,200.00,0.00,0.00,200.00
3000,Share capital,,,,-1000.00,0.00,0.00,-1000.00
"""

# P's corrected January (a re-run's changed file): 100.00 more cash, paid in as capital.
CORRECTED_PARENT_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Cash,,,,800.00,100.00,0.00,900.00
1800,Investment in S,S,,,200.00,0.00,0.00,200.00
3000,Share capital,,,,-1000.00,0.00,100.00,-1100.00
"""

SUB_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Caixa,,,,1000.00,150.00,0.00,1150.00
3000,Capital social,,,,-1000.00,0.00,0.00,-1000.00
4000,Receita,,ADM,,0.00,0.00,150.00,-150.00
"""

MAPPING = "entity,account,std_account\n*,1000,1000\nP,1800,1800\n*,3000,3000\nS,4000,4000\n"
RATES = ("period,currency,closing,average\n2025-12,BRL,0.2100000000,0.2080000000\n"
         "2026-01,BRL,0.2100000000,0.2050000000\n2026-02,BRL,0.2000000000,0.2050000000\n")
OPENING = "entity,account,translated_closing,historical_rate\nS,3000,-200.00,0.2000000000\nS,3300,-10.00,\n"


def write_group(folder: Path, *, period: str = "2026-01", sub_tb: str = SUB_TB) -> Path:
    """Write the group's files under ``folder`` and return the config path."""
    files = {"group.toml": CONFIG, "mapping.csv": MAPPING, "rates.csv": RATES, "opening.csv": OPENING,
             f"tb/P/{period}.csv": PARENT_TB, f"tb/S/{period}.csv": sub_tb}
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder / "group.toml"
