"""Multi-level NCI per subsidiary: direct and indirect NCI %, and the indirect holding adjustment."""

from __future__ import annotations

from decimal import Decimal

from close.engine.consolidation import consolidate

from .helpers import inputs, rates
from .test_multilevel import BAL, GROUP


def test_direct_and_indirect_nci_with_the_indirect_holding_adjustment_on_the_intermediate_parent():
    """Direct and indirect NCI, "AU: Consolidation: other issues" (Advanced Accounting study notes,
    https://china-concepts-stock.blogspot.com/2019/05/au-consolidation-other-issues.html): "P Ltd
    80% A Ltd 60% B Ltd ... P Ltd 48% DNCI 20% [in A] DNCI 40% INCI 12% [in B]"; "Indirect NCI
    receives a proportionate share of only the post-acquisition equity of the subsidiary".
    The deduction, OpenTuition ACCA SBR "NCI calculation for a D-shaped group"
    (https://opentuition.com/topic/nci-calculation-for-a-d-shaped-group), quoting the study text:
    "NCI at acquisition, NCI share of post-acquisition ret earnings, Less NCI share of investment in
    the sub-subsidiary" — in the working of the subsidiary whose NCI owns that investment.

    The group of test_multilevel.py (the same structure): A's NCI = 20% × 1,200 − 20% × 660 (its
    investment in B) = 240 − 132 = 108.00; B's NCI = 52% × 1,440 = 748.80 (40% direct, 12%
    indirect); together 856.80, as before the split.
    """
    r = consolidate(
        inputs("2025-01", GROUP, BAL, rates({"BRL": "0.20", "EUR": "1.20"}, {"BRL": "0.20", "EUR": "1.10"}))
    )
    nci = r.nci.set_index("entity")
    a, b = nci.loc["A"], nci.loc["B"]
    assert (Decimal(a["direct_pct"]), Decimal(a["indirect_pct"])) == (Decimal("0.2"), 0)
    assert (Decimal(b["direct_pct"]), Decimal(b["indirect_pct"])) == (Decimal("0.4"), Decimal("0.12"))
    assert (int(a["indirect_adjustment"]), int(a["equity"])) == (13200, 10800)
    assert (int(b["indirect_adjustment"]), int(b["equity"])) == (0, 74880)
    assert int(nci["equity"].sum()) == 85680  # the consolidated NCI, 856.80
    (adjustment,) = [
        ln for j in r.journals if j.journal_id == "INV:A:B" for ln in j.lines if ln.std_account == "3400" and
        ln.entity == "A"
    ]  # fmt: skip
    assert adjustment.amount == 13200  # a debit on A's NCI
