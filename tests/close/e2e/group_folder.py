"""Write a group folder (config, mapping, rates, openings, trial balances) for ``close run`` tests."""

from __future__ import annotations

from pathlib import Path

TB_HEADER = "account,name,counterparty,cost_center,department,opening,debit,credit,closing\n"


def tb_file(rows: str) -> str:
    """A trial-balance CSV from ``account | counterparty | opening | closing`` rows (units).

    Debit and credit are derived from the movement; the name is the account code.
    """
    out = [TB_HEADER]
    for raw in rows.strip().splitlines():
        account, counterparty, opening, closing = (p.strip() for p in raw.split("|"))
        move = float(closing) - float(opening)
        debit, credit = (f"{move:.2f}", "0.00") if move >= 0 else ("0.00", f"{-move:.2f}")
        out.append(f"{account},{account},{counterparty},,,{opening},{debit},{credit},{closing}\n")
    return "".join(out)


def entity_toml(eid: str, name: str, currency: str, parent: str | None = None, ownership: str = "1") -> str:
    """An ``[[entities]]`` table read by the file connector from ``tb/<id>/{period}.csv``."""
    owner = f'parent = "{parent}"\nownership = "{ownership}"\n' if parent else ""
    return (f'\n[[entities]]\nid = "{eid}"\nname = "{name}"\ncurrency = "{currency}"\n{owner}'
            f'connector = "file"\n[entities.source]\npath = "tb/{eid}/{{period}}.csv"\n')


def identity_mapping(accounts: set[str]) -> str:
    """A mapping file that maps every entity's account ``X`` to standard account ``X``."""
    return "entity,account,std_account\n" + "".join(f"*,{a},{a}\n" for a in sorted(accounts))


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative name → text) under ``folder``; return the ``group.toml`` path."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder / "group.toml"
