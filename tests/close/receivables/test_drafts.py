"""Acceptance 3 of issue 21: collection drafts grounded in the titles, checked, never sent unapproved.

Claude is the fake Messages API of ``tests/fakes/anthropic_server.py``; our real client code
(``close.analysis.commentary._Claude`` with the drafts' system prompt) talks to it over HTTP.
"""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from close.analysis.commentary import CLAUDE_RETRY, CommentarySettings, MemoryCache
from close.analysis.receivables.aging import age_titles
from close.analysis.receivables.drafts import (
    DEFAULT_TEMPLATES,
    customers_due,
    latest_templates,
    to_eml,
    ungrounded,
    write_drafts,
)
from close.analysis.receivables.titles import parse_titles
from close.storage.receivables import (
    approve_draft,
    ensure_templates,
    get_draft,
    list_drafts,
    load_templates,
    save_drafts,
)
from close.storage.runs import create_run
from tests.fakes.anthropic_server import FakeAnthropic

FILE = b"""entity,customer,document,issue_date,due_date,open_amount,currency,language,email
BR1,Beta Ltda,NF-101,2026-10-01,2026-10-31,1234.56,BRL,pt-BR,financeiro@beta.example
BR1,Beta Ltda,NF-102,2026-10-21,2026-11-20,300.00,BRL,pt-BR,financeiro@beta.example
BR1,Gama SA,NF-201,2026-07-01,2026-08-01,5000.00,BRL,en,ap@gama.example
BR1,Alfa,NF-301,2026-11-01,2026-12-01,999.00,BRL,pt-BR,
BR1,Tiny,NF-401,2026-10-20,2026-11-19,10.00,BRL,en,
"""
FAST = CommentarySettings(retry=dataclasses.replace(CLAUDE_RETRY, attempts=2, wait_initial=0.001,
                                                   wait_max=0.01, jitter=0.001),
                          timeout_seconds=5.0)


def _dues() -> tuple:
    titles = parse_titles(FILE, currencies={"BR1": "BRL"}, default_language="en")
    aged = titles.join(age_titles(titles, date(2026, 11, 30))[["days_past_due", "bucket"]])
    return customers_due(aged, Decimal("100"))


def _reply(body: dict[str, Any]) -> str:
    prompt = body["messages"][0]["content"]
    if "Beta Ltda" in prompt:  # grounded: only the data's documents, dates and amounts
        return ("Prezado(a) Beta Ltda, os títulos NF-101 (vencido em 31/10/2026, BRL 1.234,56) e "
                "NF-102 (vencido em 20/11/2026, BRL 300,00) somam BRL 1.534,56 em atraso.")
    # Invents a late fee and a deadline that are not in the data.
    return "Dear Gama SA, please pay USD 5,250.00 including a late fee by 2026-12-15."


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(reply=_reply) as server:
        yield server


def test_customers_tone_and_threshold() -> None:
    dues = _dues()
    # Tiny (10.00) is under the threshold; Alfa is not yet due.
    assert [(d.customer, d.tone, d.total) for d in dues] == [
        ("Gama SA", "final_notice", Decimal("5000.00")),   # 121 days past due
        ("Beta Ltda", "reminder", Decimal("1534.56"))]      # oldest (NF-101) 30 days: a reminder


def test_the_grounded_prompt_reaches_claude_and_an_invented_figure_is_rejected(fake: FakeAnthropic) -> None:
    dues = _dues()
    templates = latest_templates(DEFAULT_TEMPLATES)
    cache = MemoryCache()
    drafts = {d.customer: d for d in write_drafts(dues, templates, settings=FAST, cache=cache,
                                                   api_key=fake.api_key, base_url=fake.url)}
    assert fake.request_count == 2
    prompts = [b["messages"][0]["content"] for b in fake.bodies]
    beta_prompt = next(p for p in prompts if "Beta Ltda" in p)
    for fact in ("NF-101, 31/10/2026, BRL 1.234,56, 30", "NF-102, 20/11/2026, BRL 300,00, 10",
                 "Total overdue: BRL 1.534,56", "Brazilian Portuguese"):
        assert fact in beta_prompt
    assert drafts["Beta Ltda"].source == "claude" and drafts["Beta Ltda"].rejected_reason is None
    assert drafts["Beta Ltda"].cost_usd > 0
    gama = drafts["Gama SA"]
    assert gama.source == "data" and "5,250.00" in (gama.rejected_reason or "")
    assert "2026-12-15" in (gama.rejected_reason or "")
    assert "NF-201: due 2026-08-01, BRL 5,000.00 (121 days past due)" in gama.body
    assert gama.tone == "final_notice" and gama.subject == "Final notice: overdue invoices, BR1"
    # A second run with the same titles asks Claude nothing: the answers are cached.
    again = write_drafts(dues, templates, settings=FAST, cache=cache, api_key=fake.api_key, base_url=fake.url)
    assert fake.request_count == 2 and all(d.cached and d.cost_usd == 0 for d in again)


def test_without_a_key_the_drafts_are_data_only(fake: FakeAnthropic) -> None:
    drafts = write_drafts(_dues(), latest_templates(DEFAULT_TEMPLATES), settings=FAST, cache=MemoryCache(),
                          api_key=None, base_url=fake.url)
    assert fake.request_count == 0 and {d.source for d in drafts} == {"data"}
    assert all(ungrounded(d.body, due) == [] for d, due in zip(drafts, _dues(), strict=True))


def test_ungrounded_reads_both_number_conventions() -> None:
    (gama, beta) = _dues()
    assert ungrounded("BRL 1,534.56 and 1.234,56 due 31/10/2026, 30 days", beta) == []
    assert ungrounded("BRL 1.534,57 due 2026-10-30", beta) == ["2026-10-30", "1.534,57"]


def test_drafts_wait_for_approval_and_export_as_eml(db, fake: FakeAnthropic) -> None:  # noqa: ANN001
    with db.tx() as conn:
        ensure_templates(conn)
        templates = latest_templates(load_templates(conn))
        run = create_run(conn, group_id="g", period="2026-11", actor="test")
    drafts = write_drafts(_dues(), templates, settings=FAST, cache=MemoryCache(), api_key=None, base_url=None)
    with db.tx() as conn:
        assert save_drafts(conn, run.id, drafts) == 2
        assert save_drafts(conn, run.id, drafts) == 0  # re-delivered: nothing doubled
        stored = list_drafts(conn, run.id)
    assert {s.status for s in stored} == {"DRAFT"}  # nothing is approved, so nothing can go out
    beta = next(s for s in stored if s.draft.customer == "Beta Ltda")
    with db.tx() as conn:
        assert approve_draft(conn, beta.id, "controller@example.com")
        assert not approve_draft(conn, beta.id, "controller@example.com")  # once only
        approved = get_draft(conn, beta.id[:8])
    assert approved is not None and approved.status == "APPROVED"
    assert approved.approved_by == "controller@example.com"
    message = email.message_from_bytes(to_eml(approved.draft, sender="ar@br1.example"))
    assert message["To"] == "financeiro@beta.example" and message["Subject"] == "Lembrete de pagamento: BR1"
    assert "NF-101: vencimento 31/10/2026, BRL 1.234,56" in message.get_payload(decode=True).decode()
