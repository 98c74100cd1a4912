"""``close ar``: the collection drafts of a run, listed and approved one by one (never sent by the close)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from close.analysis.receivables.drafts import to_eml
from close.cli.common import JsonOpt, console, open_session

ar_app = typer.Typer(no_args_is_help=True, help="Receivables: collection drafts waiting for approval.")
RunArg = Annotated[str, typer.Argument(help="The run id.")]
DraftArg = Annotated[str, typer.Argument(help="The draft id (its first 8 characters are enough).")]


@ar_app.command("drafts")
def ar_drafts(run: RunArg, as_json: JsonOpt = False) -> None:
    """List a run's collection drafts: customer, tone, language, who wrote it and its status."""
    drafts = open_session().collection_drafts(run)
    if as_json:
        console.print_json(json.dumps([{"id": s.id, "status": s.status, "approved_by": s.approved_by,
                                        **{k: getattr(s.draft, k) for k in s.draft.__slots__}}
                                       for s in drafts], default=str))
        return
    if not drafts:
        console.print(f"no collection drafts for run {run} (no receivables file, or nobody overdue "
                      "above [receivables] draft_threshold)")
        return
    table = Table("draft", "entity", "customer", "tone", "language", "written by", "status")
    for s in drafts:
        d = s.draft
        by = "Claude" if d.source == "claude" else f"data only ({d.rejected_reason})"
        table.add_row(s.id[:8], d.entity, d.customer, d.tone, d.language, by, s.status)
    console.print(table)


@ar_app.command("approve")
def ar_approve(draft: DraftArg,
               out: Annotated[Path, typer.Option("--out", help="Folder the approved e-mail is written to "
                                                 "as an .eml file.")] = Path("collections"),
               sender: Annotated[str, typer.Option("--from", help="The From address of the e-mail.")]
               = "receivables@localhost") -> None:
    """Approve one draft and export it as an .eml file for your mail client; nothing is sent."""
    session = open_session()
    found = session.approve_collection_draft(draft)
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{found.draft.entity}-{found.draft.customer}-{found.id[:8]}")
    path = out / f"{name}.eml"
    path.write_bytes(to_eml(found.draft, sender=sender))
    note = "" if found.draft.email else " (no e-mail address on file: fill in To before sending)"
    console.print(f"approved by {session.actor}; written to {path}{note}")
