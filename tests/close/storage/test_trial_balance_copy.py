"""Trial balances stored with one COPY and read back with one COPY keep every figure and text exactly.

Amounts in BRL (2 decimals), JPY (0) and KWD (3) go in as int64 minor units and come back equal; the
stored NUMERIC is the decimal at the currency's scale (what ``from_minor`` gives); an empty
counterparty, cost centre or department is stored as NULL and read back as "".
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from close.engine.frames import AMOUNT_COLUMNS, LOCAL_TB_COLUMNS
from close.storage import Database
from close.storage.balances import read_trial_balances, write_trial_balance
from close.storage.runs import create_run

BIG = 10**15  # a balance of 10^13 BRL: far above any real one, far below int64's limit


def _lines(entity: str) -> pd.DataFrame:
    return pd.DataFrame({
        "entity": entity, "account": ["1.1", "2,1", 'say "x"', "0042"],
        "account_name": ["Caixa", "", "Fornecedores, a pagar\nlinha 2", "Zero"],
        "counterparty": ["", "HOLD", None, ""], "cost_center": ["CC1", "", "", ""],
        "department": ["", "", "D;1", ""],
        "opening": [BIG, -BIG, 5, 0], "debit": [1, 0, 999, 0], "credit": [0, 7, 0, 0],
        "closing": [BIG + 1, -BIG - 7, 1004, 0]}, columns=list(LOCAL_TB_COLUMNS)).astype(
        {c: "int64" for c in AMOUNT_COLUMNS})


def test_round_trip_is_exact_in_every_currency(db: Database) -> None:
    run_id = str(uuid.uuid4())
    written = {"BR1": "BRL", "JP1": "JPY", "KW1": "KWD"}
    with db.tx() as conn:
        for entity, currency in written.items():
            assert write_trial_balance(conn, run_id, "2025-01", currency, _lines(entity), db.tenant) == 4
    with db.tx() as conn:
        back = read_trial_balances(conn, run_id)
        stored = conn.execute(sa.text(
            "SELECT entity_id, line_no, opening::text, closing::text, counterparty, cost_center "
            "FROM trial_balances WHERE run_id = CAST(:r AS uuid) ORDER BY entity_id, line_no"),
            {"r": run_id}).all()
        only_jp = read_trial_balances(conn, run_id, ["JP1"])
    expected = pd.concat([_lines(e).assign(currency=c) for e, c in written.items()], ignore_index=True)
    expected["counterparty"] = expected["counterparty"].fillna("")
    pd.testing.assert_frame_equal(back, expected)
    assert list(only_jp["entity"].unique()) == ["JP1"]
    # the NUMERIC is the decimal at the currency's scale, as from_minor writes it
    assert stored[0][2:4] == (str(Decimal(BIG).scaleb(-2)), str(Decimal(BIG + 1).scaleb(-2)))
    assert stored[4][2:4] == (str(BIG), str(BIG + 1))  # JPY: no decimals
    assert stored[10][2:4] == ("0.005", "1.004")  # KWD: three decimals
    assert stored[0][4:] == (None, "CC1") and stored[1][4:] == ("HOLD", None)


def test_no_lines(db: Database) -> None:
    with db.tx() as conn:
        empty = read_trial_balances(conn, str(uuid.uuid4()))
    assert list(empty.columns) == [*LOCAL_TB_COLUMNS, "currency"] and empty.empty


def _translated() -> pd.DataFrame:
    return pd.DataFrame({
        "entity": ["BR1", "JP1", "ZZ"], "account": ["1.1", "", ""], "std_account": ["1000", "3900", "3900"],
        "counterparty": ["", "HOLD", ""], "cost_center": ["", "", "CC,1"], "department": ["", "", ""],
        "local_closing": [BIG, -7, 5], "local_movement": [1, 0, -5],
        "rate": ["0.1812000000", "", "1.0000000000"], "rate_type": ["closing", "cta", "closing"],
        "translated": [BIG // 5, -3, 5], "translated_movement": [0, -1, 2], "book": ["", "", "PPA"]})


def _run(db: Database) -> str:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2025-01", actor="test")
    assert run is not None
    return run.id


def test_translated_balances_round_trip(db: Database) -> None:
    """Local amounts at each entity's decimals (an unknown entity: the presentation currency's)."""
    from close.run.stages.consolidating import STORED_TRANSLATED
    from close.storage.balances import read_translated_balances, write_translated_balances

    run_id = _run(db)
    frame = _translated()[list(STORED_TRANSLATED)]
    currencies = {"BR1": "BRL", "JP1": "JPY"}
    with db.tx() as conn:
        assert write_translated_balances(conn, run_id, db.tenant, frame, currencies, "USD") == 3
    with db.tx() as conn:
        back = read_translated_balances(conn, run_id, currencies, "USD", STORED_TRANSLATED)
        stored = conn.execute(sa.text(
            "SELECT entity_id, local_closing::text, rate::text, translated::text, account, book "
            "FROM translated_balances WHERE run_id = CAST(:r AS uuid) ORDER BY entity_id"),
            {"r": run_id}).all()
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert stored == [("BR1", str(Decimal(BIG).scaleb(-2)), "0.1812000000",
                       str(Decimal(BIG // 5).scaleb(-2)), "1.1", ""),
                      ("JP1", "-7", None, "-0.03", "", ""), ("ZZ", "0.05", "1.0000000000", "0.05", "", "PPA")]


def test_write_frame_keeps_empty_text(db: Database) -> None:
    """The CSV path keeps "" as "" (not NULL) and text with commas and quotes as it is."""
    from close.storage.balances import write_frame

    run_id = _run(db)
    plain = pd.DataFrame({"entity_id": ["BR1", "JP1"], "account": ["", 'a,"b"'],
                          "std_account": ["1000", "2000"], "source": ["", "file"]})
    with db.tx() as conn:
        assert write_frame(conn, "account_mappings", plain, run_id=run_id, tenant=db.tenant,
                           columns=("entity_id", "account", "std_account", "source"), money={}) == 2
        rows = conn.execute(sa.text("SELECT entity_id, account, source FROM account_mappings "
                                    "WHERE run_id = CAST(:r AS uuid) ORDER BY entity_id"),
                            {"r": run_id}).all()
    assert rows == [("BR1", "", ""), ("JP1", 'a,"b"', "file")]
