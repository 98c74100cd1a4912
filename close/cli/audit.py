"""``close audit verify``: check the tenant's sealed audit trail."""

from __future__ import annotations

import json

import typer

from close.cli.common import EXIT_FAILED, JsonOpt, console, err, open_session

audit_app = typer.Typer(no_args_is_help=True, help="The sealed audit trail.")


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Recompute the tenant's event hash chain; exit 1 naming the first broken event."""
    session = open_session()
    check = session.verify_audit_trail()
    if as_json:
        console.print_json(json.dumps({"tenant": session.settings.tenant, "events": check.events,
                                       "intact": check.intact, "broken_event": check.broken_event,
                                       "broken_run": check.broken_run, "problem": check.problem}))
    elif check.intact:
        console.print(f"audit trail of tenant {session.settings.tenant}: {check.events} events, chain intact")
    else:
        err.print(f"audit trail of tenant {session.settings.tenant} is broken at event {check.broken_event} "
                  f"(run {check.broken_run}): {check.problem}")
    if not check.intact:
        raise typer.Exit(EXIT_FAILED)
