"""`close audit verify` on the demo: intact, then the event a direct edit broke (issue 15, acceptance 2)."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.close.run.cli_helpers import close
from tests.close.run.demo_close import DemoClose


@pytest.mark.timeout(900)  # it may be the test that runs the shared demo close (13 months)
def test_audit_verify_passes_on_the_demo_and_names_the_event_an_owner_side_edit_broke(
    demo_close: DemoClose, pg_admin_url: str
) -> None:
    intact = close(demo_close.env, "audit", "verify", "--json")
    assert intact.returncode == 0, intact.stderr
    report = json.loads(intact.stdout)
    assert report["intact"] and report["events"] > 13 * 8, report  # every month's stages left events

    tenant = demo_close.env["CLOSE_TENANT"]
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        event_id, actor = admin.execute(
            "SELECT id, actor FROM run_events WHERE tenant_id = %s AND kind = 'transition' "
            "AND run_id = CAST(%s AS uuid) ORDER BY id LIMIT 1", (tenant, demo_close.latest["id"])).fetchone()
        assert actor == "tester"  # CLOSE_ACTOR lands in the trail
        # A DBA editing the table by hand (a superuser skips the append-only trigger this way).
        admin.execute("SET session_replication_role = replica")
        admin.execute("UPDATE run_events SET actor = 'cfo@acme' WHERE id = %s", (event_id,))
        try:
            broken = close(demo_close.env, "audit", "verify", "--json")
            text = close(demo_close.env, "audit", "verify")
        finally:
            admin.execute("UPDATE run_events SET actor = %s WHERE id = %s", (actor, event_id))
    assert broken.returncode == 1, broken.stderr
    report = json.loads(broken.stdout)
    assert (report["intact"], report["broken_event"], report["broken_run"]) == (False, event_id,
                                                                              demo_close.latest["id"])
    message = " ".join(text.stderr.split())
    assert text.returncode == 1 and f"broken at event {event_id}" in message and "edited" in message, message
    restored = close(demo_close.env, "audit", "verify")
    assert restored.returncode == 0 and "chain intact" in restored.stdout, restored.stdout + restored.stderr
