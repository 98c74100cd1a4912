"""A two-entity group whose subsidiary S is read from the Omie fake (a management trial balance).

S's books in the fake (connectors/fakes/erp_seed.py), March 2024: equity 44,000.00 BRL, so the parent
carries its investment at 8,800.00 USD (44,000.00 × 0.20, the contribution rate).
"""

from __future__ import annotations

from pathlib import Path

from connectors.fakes import omie

PERIOD = "2024-03"

CONFIG = """\
[group]
id = "omiegroup"
name = "Omie Group"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
rates = "rates.csv"
opening_balances = "opening.csv"

[rates]  # the rates file only: no request to the BCB
sources = {{ BRL = "file" }}

[[entities]]
id = "P"
name = "Parent Inc."
currency = "USD"
connector = "file"
[entities.source]
path = "tb/P/{{period}}.csv"

[[entities]]
id = "S"
name = "Omie Comércio Ltda."
currency = "BRL"
parent = "P"
connector = "omie"
[entities.source]
base_url = "{base_url}"
http = {{ attempts = 1, rate = 100, burst = 100, breaker_fail_max = 10 }}
"""

PARENT_TB = """\
account,name,counterparty,cost_center,department,opening,debit,credit,closing
1000,Cash,,,,1200.00,0.00,0.00,1200.00
1800,Investment in S,S,,,8800.00,0.00,0.00,8800.00
3000,Share capital,,,,-10000.00,0.00,0.00,-10000.00
"""

MAPPING = """\
entity,account,std_account
*,1000,1000
P,1800,1800
P,3000,3000
S,1.01.01,4100
S,1.01.02,4000
S,2.01.01,6100
S,2.02.01,6000
S,2.03.01,6300
S,BANK:1001,1000
S,AR,1100
S,AP,2000
S,EQUITY,3000
S,UNRECONCILED,1900
"""

RATES = ("period,currency,closing,average\n2024-02,BRL,0.2000000000,0.2000000000\n"
         "2024-03,BRL,0.1900000000,0.1950000000\n")
# S at the end of February, translated: capital at 0.20; revenue and expenses YTD (all at 0.20).
OPENING = """\
entity,account,translated_closing,historical_rate
S,3000,-8800.00,0.2000000000
S,4100,-2600.00,
S,6100,800.00,
S,6000,1800.00,
S,3300,0.00,
"""


def write_omie_group(folder: Path, base_url: str) -> Path:
    """Write the group's files under ``folder`` and return the config path."""
    files = {"group.toml": CONFIG.format(base_url=base_url), "mapping.csv": MAPPING, "rates.csv": RATES,
             "opening.csv": OPENING, f"tb/P/{PERIOD}.csv": PARENT_TB}
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder / "group.toml"


OMIE_SECRETS = {"CLOSE_SECRET_S_APP_KEY": omie.APP_KEY, "CLOSE_SECRET_S_APP_SECRET": omie.APP_SECRET}
