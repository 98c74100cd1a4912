"""The tiny group with distribution, alerts and a checklist, for the workflow tests."""

from __future__ import annotations

from pathlib import Path

from tests.close.run.small_group import write_group
from tests.fakes.smtp import USER


def write_workflow_group(folder: Path, smtp_port: int, *, checklist: str = "", period: str = "2026-01",
                         slack: bool = True) -> Path:
    """Write the tiny group with e-mail (and Slack) distribution and alerts; return the config."""
    config = write_group(folder, period=period)
    config.write_text(config.read_text() + f"""
[distribution]
output_dir = "out"
link_base = "https://close.example.com/packages"

[distribution.email]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
username = "{USER}"
sender = "{USER}"

[distribution.email.recipients]
cfo = ["cfo@example.com"]
controller = ["controller@example.com"]

[distribution.slack]
enabled = {"true" if slack else "false"}

[distribution.alerts]
channels = ["email"{', "slack"' if slack else ''}]
roles = ["controller"]
""" + checklist, encoding="utf-8")
    return config
