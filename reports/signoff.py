"""The sign-off as the signed package prints it: who prepared, reviewed and signed off, and when.

The texts come from ``BoardPackData.signoff`` only (loaded from the sealed ``run_events`` by
``close.storage.signoff``); times are printed in UTC, so every process and time zone renders the
same bytes. The unsigned edition says it was rendered before sign-off.
"""

from __future__ import annotations

from reports.format import format_timestamp
from reports.labels import t
from reports.model import BoardPackData, Signature


def signature_text(sig: Signature | None, locale: str) -> str:
    """Return ``"ana · 2026-11-03 14:05 UTC"`` (``"(operator mode)"`` when the CLI operator acted).

    A missing reviewer means validation passed and no review was needed: the text says so.
    """
    if sig is None:
        return t(locale, "no_review")
    mode = f" ({t(locale, 'operator_mode')})" if sig.operator else ""
    return f"{sig.actor}{mode} · {format_timestamp(sig.time, locale)}"


def signoff_rows(data: BoardPackData) -> list[tuple[str, str]]:
    """Return the cover's sign-off rows: the three signatures, the waivers and the note.

    The unsigned edition gets one row saying it is not signed off.
    """
    loc, signed = data.locale, data.signoff
    if signed is None:
        return [(t(loc, "signoff_status"), t(loc, "not_signed_off"))]
    waivers = (f"{len(signed.waivers)}: " + ", ".join(w.code for w in signed.waivers)
               if signed.waivers else t(loc, "no_waivers"))
    rows = [(t(loc, "prepared_by"), signature_text(signed.preparer, loc)),
            (t(loc, "reviewed_by"), signature_text(signed.reviewer, loc)),
            (t(loc, "signed_off_by"), signature_text(signed.approver, loc)),
            (t(loc, "waivers"), waivers)]
    if signed.note:
        rows.append((t(loc, "signoff_note"), signed.note))
    return rows
