"""An MCP client from the official SDK over the demo close: tools, balances, a variance, refusals."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from mcp import Client

from close.mcp_server import build_server
from close.storage.users import access_entries
from close.users import authenticate

TOOLS = {"list_runs", "get_run", "get_consolidated_balances", "trace_account", "explain_variance",
         "get_findings", "get_kpis", "get_package_files", "approve_run", "sign_off_run"}


def _calls(web_app: FastAPI, token: str, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], Any]:
    session = web_app.state.session
    server = build_server(session, stdio_principal=authenticate(session.env.db, token, door="mcp"))

    async def go() -> tuple[list[Any], Any]:
        async with Client(server) as client:
            tools = await client.list_tools()
            return [await client.call_tool(name, args) for name, args in calls], tools

    return asyncio.run(go())


def test_an_mcp_client_reads_balances_and_explains_a_variance(
        web_app: FastAPI, tokens: dict[str, str], demo_run: dict[str, Any]) -> None:
    run_id = demo_run["id"]
    (runs, balances, variance, findings, refused), tools = _calls(web_app, tokens["viewer"], [
        ("list_runs", {"group": "acme"}),
        ("get_consolidated_balances", {"run_id": run_id}),
        ("explain_variance", {"run_id": run_id}),
        ("get_findings", {"run_id": "not-a-run"}),
        ("approve_run", {"run_id": run_id, "reason": "looks fine"}),
    ])
    listed = {t.name: t for t in tools.tools}
    assert set(listed) == TOOLS
    assert listed["trace_account"].input_schema["required"] == ["run_id", "account"]
    assert not runs.is_error and any(r["id"] == run_id for r in runs.structured_content["result"])
    body = balances.structured_content
    assert body["presentation_currency"] == "USD"
    assert sum(Decimal(r["amount"]) for r in body["consolidated"]) == 0
    explained = variance.structured_content["result"]
    assert explained and {"account", "kind", "delta", "commentary"} <= set(explained[0])
    assert findings.is_error and "run_id" in findings.content[0].text
    # A viewer's token cannot call a mutating tool; the refusal is in the access log.
    assert refused.is_error and "may not approve" in refused.content[0].text
    with web_app.state.session.env.db.tx() as conn:
        log = access_entries(conn, limit=20)
    assert any(e["door"] == "mcp" and e["action"] == "approve" and not e["allowed"] for e in log)
    assert any(e["door"] == "mcp" and e["action"] == "read" and e["allowed"] for e in log)
    # The preparer who started the run cannot sign it off through the assistant either.
    (own,), _ = _calls(web_app, tokens["preparer"], [("sign_off_run", {"run_id": run_id})])
    assert own.is_error and "may not sign off" in own.content[0].text


def test_over_streamable_http_each_request_brings_its_bearer_token(
        web_app: FastAPI, tokens: dict[str, str], demo_run: dict[str, Any]) -> None:
    import socket
    import threading
    import time

    import httpx2
    import uvicorn
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_server(web_app.state.session).streamable_http_app(host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    async def call(token: str | None) -> Any:  # noqa: ANN401
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http, \
                Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
            return await client.call_tool("get_run", {"run_id": demo_run["id"]})

    try:
        read = asyncio.run(call(tokens["auditor"]))
        anonymous = asyncio.run(call(None))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not read.is_error and read.structured_content["run"]["id"] == demo_run["id"]
    assert anonymous.is_error and "bearer token is required" in anonymous.content[0].text
