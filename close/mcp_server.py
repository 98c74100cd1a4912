"""The MCP server (``close mcp``): the close's figures for an AI assistant, through close.api.

Tools are verb-first and typed (their input schemas come from the signatures). Reading tools need
the viewer role; ``approve_run`` and ``sign_off_run`` need a role that allows them and respect
segregation of duties, exactly as at the other doors. Every call goes through
:class:`close.api.CloseSession`, so it is checked and written to the access log (door ``mcp``).

Who calls: over streamable HTTP each request's ``Authorization: Bearer`` token; over stdio the
user of ``CLOSE_TOKEN`` given at start.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from close.api import CloseSession
from close.config import Settings
from close.errors import CloseError, ConfigError
from close.users import NotAuthenticated, Principal, authenticate

INSTRUCTIONS = (
    "Tools over a multi-entity group's monthly close: runs, consolidated balances (presentation "
    "currency, debit positive), the drill-down of an account, variances with drivers and commentary, "
    "validation findings, KPIs and the board package's files. Amounts are exact decimal strings.")


def _plain(value: Any) -> Any:  # noqa: ANN401
    return json.loads(json.dumps(value, default=str))


def _run(run_id: str) -> str:
    """Return the run id in canonical form, or a clear error naming the argument."""
    try:
        return str(UUID(run_id))
    except ValueError:
        raise ConfigError(f"got {run_id!r}", key="run_id", expected="a run id (UUID)") from None


def build_server(session: CloseSession, *, stdio_principal: Principal | None = None) -> MCPServer:
    """Return the MCP server over a tenant's close session.

    Args:
        session: the tenant's session (calls act as their own principal through it).
        stdio_principal: who calls when a request carries no bearer token (stdio, tests).

    """
    server = MCPServer(name="monthclose", instructions=INSTRUCTIONS)

    def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register a tool whose refusals reach the assistant as the close's own message."""
        @functools.wraps(fn)
        def clear(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            try:
                return fn(*args, **kwargs)
            except CloseError as exc:
                raise ToolError(str(exc)) from None

        server.tool()(clear)
        return clear

    def as_caller(ctx: Context) -> CloseSession:
        headers = {k.lower(): v for k, v in (ctx.headers or {}).items()}
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return session.as_user(authenticate(session.env.db, auth[7:].strip(), door="mcp"))
        if stdio_principal is None:
            raise NotAuthenticated("a bearer token is required", key="Authorization")
        return session.as_user(stdio_principal)

    @tool
    def list_runs(ctx: Context, group: str | None = None, period: str | None = None,
                  status: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """List close runs, newest first, optionally of one group, period (YYYY-MM) or status."""
        views, _ = as_caller(ctx).page_runs(group_id=group, period=period, status=status,
                                            limit=max(1, min(limit, 200)))
        return [v.to_json() for v in views]

    @tool
    def get_run(ctx: Context, run_id: str) -> dict[str, Any]:
        """Get one run: status, validation score, failure, sign-off and its stage checkpoints."""
        caller = as_caller(ctx)
        return _plain({"run": caller.get_run(_run(run_id)).to_json(), "stages": caller.stages(_run(run_id))})

    @tool
    def get_consolidated_balances(ctx: Context, run_id: str) -> dict[str, Any]:
        """Get a run's consolidated trial balance and headline totals (assets, equity, income, CTA, NCI)."""
        summary = as_caller(ctx).run_summary(_run(run_id))
        return _plain({k: summary[k] for k in ("presentation_currency", "totals", "consolidated")})

    @tool
    def trace_account(ctx: Context, run_id: str, account: str) -> dict[str, Any]:
        """Trace one consolidated account to each entity's local and translated balance and the journals."""
        summary = as_caller(ctx).run_summary(_run(run_id), account=account)
        return _plain(summary["trace"])

    @tool
    def explain_variance(ctx: Context, run_id: str, account: str | None = None) -> list[dict[str, Any]]:
        """Explain material variances (budget, month over month, year over year): drivers and commentary."""
        return _plain(as_caller(ctx).variances(_run(run_id), account))

    @tool
    def get_findings(ctx: Context, run_id: str) -> list[dict[str, Any]]:
        """Get a run's validation findings with their evidence (expected, actual, difference) and waivers."""
        return _plain([f for f in as_caller(ctx).findings(_run(run_id)) if f["severity"] != "pass"])

    @tool
    def get_kpis(ctx: Context, run_id: str) -> list[dict[str, Any]]:
        """Get a run's KPIs (margins, ratios, SaaS metrics where the data exists) with formulas."""
        return _plain(as_caller(ctx).kpis(_run(run_id)))

    @tool
    def get_package_files(ctx: Context, run_id: str) -> list[dict[str, Any]]:
        """List the board package's files with their sha256 and size."""
        return _plain(as_caller(ctx).package_files(_run(run_id)))

    @tool
    def approve_run(ctx: Context, run_id: str, reason: str,
                    waivers: dict[str, str] | None = None) -> dict[str, Any]:
        """Approve a run in review, waiving findings by code with reasons (reviewers and approvers only)."""
        return as_caller(ctx).approve(_run(run_id), reason, waivers or {}, wait=False, detach=True).to_json()

    @tool
    def sign_off_run(ctx: Context, run_id: str, note: str = "") -> dict[str, Any]:
        """Sign off a completed run (approvers only; never whoever prepared it)."""
        return as_caller(ctx).sign_off(_run(run_id), note).to_json()

    return server


def run_mcp(settings: Settings, *, transport: str, host: str, port: int, token: str) -> None:
    """Serve the tools over stdio (as the user of ``token``) or streamable HTTP (bearer per request).

    Raises:
        NotAuthenticated: stdio without a valid ``CLOSE_TOKEN``.

    """
    with CloseSession.open(settings) as session:
        if transport == "stdio":
            if not token:
                raise NotAuthenticated("stdio needs the caller's token", key="CLOSE_TOKEN")
            principal = authenticate(session.env.db, token, door="mcp")
            build_server(session, stdio_principal=principal).run("stdio")
            return
        import uvicorn

        app = build_server(session).streamable_http_app(host=host)
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
