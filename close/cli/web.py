"""``close serve`` (REST API and web page) and ``close mcp`` (the MCP server for assistants)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from close.cli.common import settings_from_env
from close.config import Settings
from close.errors import ConfigError

ConfigsOpt = Annotated[list[str], typer.Option("--config", "-c", help=(
    "Group configs the server may close (repeat, or CLOSE_CONFIGS=a.toml:b.toml)."))]


def _configs(config: list[str], settings: Settings) -> list[Path]:
    from workers.schedule import config_paths

    return config_paths(config or [settings.configs])


def serve(config: ConfigsOpt = [],  # noqa: B006
          host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
          secure: Annotated[bool, typer.Option("--secure", help=(
              "Mark the session cookie Secure (when served behind TLS)."))] = False) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs) and the web page."""
    import uvicorn

    from close.web.app import open_app

    settings = settings_from_env()
    secret = settings.secrets.get("CLOSE_SECRET_WEB_SESSION")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with open_app(settings, _configs(config, settings),
                  session_secret=secret.get_secret_value() if secret else None,
                  secure_cookies=secure) as app:
        # uvicorn's own access log is off: ours carries the request id and never a query string.
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")


def mcp(transport: Annotated[str, typer.Option("--transport", help="stdio or http.")] = "stdio",
        host: Annotated[str, typer.Option("--host", help="Address for http.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port for http.")] = 8001) -> None:
    """Serve the MCP tools (list_runs, get_run, trace_account, explain_variance …) to an assistant.

    stdio acts as the user of CLOSE_TOKEN; over http each request carries its bearer token.
    """
    from close.mcp_server import run_mcp

    if transport not in ("stdio", "http"):
        raise ConfigError(f"got {transport!r}", key="--transport", expected="stdio or http")
    settings = settings_from_env()
    run_mcp(settings, transport=transport, host=host, port=port,
            token=token.get_secret_value() if (token := settings.token) else "")
