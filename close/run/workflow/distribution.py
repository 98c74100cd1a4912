"""DISTRIBUTING's messages: the package by e-mail and a Slack note, to the roles the config names.

The e-mail attaches the executive summary, then the other files while the total stays under
``attach_limit_kb``; the rest is named with the package's link (``link_base``) or path. The Slack
message gives the period, the status, the validation score and three headline figures from the one
summary every page uses (``close.run.summary.run_summary``), and the link.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from close.config import GroupConfig
from close.run.env import StageEnv
from close.run.workflow.delivery import Attachment, DeliveryReport, Message, deliver
from close.storage.artifacts import artifact_files
from close.storage.runs import Run

HEADLINES = (("net_income", "Net income"), ("equity", "Equity"), ("assets", "Total assets"))


def package_link(config: GroupConfig, zip_path: Path) -> str:
    """Where a reader gets the package: ``link_base``/name, or the path it was written to."""
    base = config.distribution.link_base.rstrip("/")
    return f"{base}/{zip_path.name}" if base else str(zip_path)


def package_text(run: Run, config: GroupConfig, summary: dict[str, Any], link: str) -> tuple[str, str]:
    """Return the subject and body of the package message."""
    currency = config.presentation_currency
    score = f"{Decimal(run.validation_score):.0f}" if run.validation_score else "n/a"
    subject = f"{config.name}: {run.period} close completed (validation score {score})"
    lines = [f"The {run.period} close of {config.name} is complete.", f"Validation score: {score}", ""]
    lines += [f"{label}: {currency} {summary['totals'][key]:,.2f}" for key, label in HEADLINES]
    lines += ["", f"Board package: {link}", f"Run: {run.id}"]
    return subject, "\n".join(lines)


def _attachments(files: dict[str, tuple[str, bytes]], limit_bytes: int) -> tuple[tuple[Attachment, ...],
                                                                               tuple[str, ...]]:
    """Attach the executive summary, then the other files while they fit; name the rest."""
    order = sorted(files, key=lambda n: (not n.endswith("executive-summary.pdf"), n))
    attached, left, used = [], [], 0
    for name in order:
        content_type, content = files[name]
        if used + len(content) <= limit_bytes or (not attached and name.endswith("executive-summary.pdf")):
            attached.append(Attachment(name, content_type, content))
            used += len(content)
        else:
            left.append(name)
    return tuple(attached), tuple(left)


def package_messages(run: Run, config: GroupConfig, summary: dict[str, Any],
                     files: dict[str, tuple[str, bytes]], zip_path: Path) -> list[Message]:
    """Build one message per e-mail recipient (every role) and one for Slack."""
    dist = config.distribution
    link = package_link(config, zip_path)
    subject, text = package_text(run, config, summary, link)
    messages = []
    if dist.email.host:
        attached, left = _attachments(files, dist.email.attach_limit_kb * 1024)
        body = text + ("\n\nIn the package, not attached: " + ", ".join(left) if left else "")
        messages += [Message(key=f"package:{run.id}:email:{to}", channel="email", recipient=to,
                             subject=subject, text=body, attachments=attached)
                     for to in dist.email.addresses()]
    if dist.slack:
        messages.append(Message(key=f"package:{run.id}:slack:webhook", channel="slack", recipient="webhook",
                                subject=subject, text=text))
    return messages


def distribute_package(env: StageEnv, run: Run, config: GroupConfig, zip_path: Path) -> DeliveryReport | None:
    """Send the package's messages (once each); None when the group configures no channel."""
    from close.run.summary import run_summary

    dist = config.distribution
    if not dist.email.host and not dist.slack:
        return None
    with env.db.tx() as conn:
        summary = run_summary(conn, run.id)
        files = artifact_files(conn, run.id)
    return deliver(env, run.id, "package", package_messages(run, config, summary, files, zip_path), dist)
