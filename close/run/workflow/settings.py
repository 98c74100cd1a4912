"""What the group config says about distribution, alerts, the calendar and the checklist.

Secrets never sit in the config: the SMTP password comes from ``CLOSE_SECRET_SMTP_PASSWORD`` and
the Slack incoming-webhook URL (which carries its token) from ``CLOSE_SECRET_SLACK_WEBHOOK_URL``,
through the process settings' secrets (environment or secrets file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from close.errors import ConfigError

if TYPE_CHECKING:
    from close.config import _Table

SMTP_PASSWORD_SECRET = "CLOSE_SECRET_SMTP_PASSWORD"  # noqa: S105 - the variable's name, not a secret
SLACK_WEBHOOK_SECRET = "CLOSE_SECRET_SLACK_WEBHOOK_URL"  # noqa: S105 - the variable's name

#: A gate is a stage that may not start, or the sign-off that may not happen, until tasks are done.
SIGNOFF_GATE = "SIGNOFF"
_TASK_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """An SMTP server and who receives what; ``host`` empty means no e-mail."""

    host: str = ""
    port: int = 587
    starttls: bool = True  # upgrade the connection before authenticating (RFC 3207)
    username: str = ""  # empty: no AUTH (a relay on the local network)
    sender: str = ""
    recipients: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role, addresses)
    attach_limit_kb: int = 10_240  # files beyond this total are linked, not attached
    timeout_seconds: int = 30

    def addresses(self, roles: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """Return the addresses of ``roles`` (all roles when None), each once, in config order."""
        seen: dict[str, None] = {}
        for role, addresses in self.recipients:
            if roles is None or role in roles:
                seen.update(dict.fromkeys(addresses))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class DistributionSettings:
    """Where the package goes and where alerts go."""

    output_dir: str = "out"  # the zip is always written here, relative to the config
    link_base: str = ""  # e.g. https://close.example.com/packages: messages link there
    email: EmailSettings = field(default_factory=EmailSettings)
    slack: bool = False  # post to the incoming webhook in CLOSE_SECRET_SLACK_WEBHOOK_URL
    alert_channels: tuple[str, ...] = ()  # email and/or slack
    alert_roles: tuple[str, ...] = ()  # e-mail recipients of alerts (empty: every role)
    slow_stage_factor: int = 3  # a stage this many times its median (and past its p90) alerts


@dataclass(frozen=True, slots=True)
class ChecklistTask:
    """One human task of the month's close, as the template declares it."""

    id: str
    title: str
    owner: str  # a role or a user
    due_day: int  # business day after the period end (1 = the first business day)
    depends_on: tuple[str, ...] = ()  # other task ids and/or stages (EXTRACTING …)
    gate: str | None = None  # the stage that may not start, or SIGNOFF


@dataclass(frozen=True, slots=True)
class CalendarSettings:
    """Which days are business days: weekends and holidays are not."""

    country: str = "BR"  # national holidays (the `holidays` package); "" for none
    holidays: tuple[date, ...] = ()  # the group's own (a local holiday, a company day off)


def parse_distribution(table: _Table) -> DistributionSettings:
    """Parse ``[distribution]`` with its ``email``, ``slack`` and ``alerts`` sub-tables."""
    mail = table.table("email")
    recipients = mail.table("recipients")
    roles = []
    for role in sorted(recipients.data):
        addresses = recipients.strings(role)
        for a in addresses:
            if not _EMAIL.match(a):
                raise ConfigError(f"got {a!r}", file=table.source, key=f"{recipients.prefix}.{role}",
                                  expected="e-mail addresses")
        roles.append((role, addresses))
    host = mail.text("host", "")
    email = EmailSettings(
        host=host, port=mail.integer("port", 587, lo=1, hi=65535), starttls=mail.boolean("starttls", True),
        username=mail.text("username", ""), sender=mail.text("sender", ""), recipients=tuple(roles),
        attach_limit_kb=mail.integer("attach_limit_kb", 10_240, lo=0, hi=1_048_576),
        timeout_seconds=mail.integer("timeout_seconds", 30, lo=1, hi=600))
    if host and not _EMAIL.match(email.sender):
        raise ConfigError(f"got {email.sender!r}", file=table.source, key=f"{mail.prefix}.sender",
                          expected="the sender's e-mail address")
    slack = table.table("slack")
    alerts = table.table("alerts")
    channels = alerts.strings("channels")
    for c in channels:
        if c not in ("email", "slack"):
            raise ConfigError(f"got {c!r}", file=table.source, key=f"{alerts.prefix}.channels",
                              expected="email and/or slack")
    settings = DistributionSettings(
        output_dir=table.text("output_dir", "out"), link_base=table.text("link_base", ""), email=email,
        slack=slack.boolean("enabled", False), alert_channels=channels, alert_roles=alerts.strings("roles"),
        slow_stage_factor=alerts.integer("slow_stage_factor", 3, lo=2, hi=100))
    for t in (mail, slack, alerts):
        t.reject_unknown()
    return settings


def parse_calendar(table: _Table) -> CalendarSettings:
    """Parse ``[calendar]``: the holiday country and the group's own holidays (ISO dates)."""
    days = []
    for text in table.strings("holidays"):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise ConfigError(f"got {text!r}", file=table.source, key=f"{table.prefix}.holidays",
                              expected="ISO dates such as 2026-11-03") from None
    calendar = CalendarSettings(country=table.text("country", "BR"), holidays=tuple(sorted(days)))
    table.reject_unknown()
    return calendar


def parse_checklist(tables: list[_Table]) -> tuple[ChecklistTask, ...]:
    """Parse the ``[[checklist]]`` template; ids unique, dependencies known and acyclic."""
    from close.run.state import STAGE_ORDER  # the config is read below the run machinery

    stages = {s.value for s in STAGE_ORDER}
    gates = (*stages, SIGNOFF_GATE)
    tasks = []
    for t in tables:
        gate = t.text("gate", None)
        if gate is not None and gate not in gates:
            raise ConfigError(f"got {gate!r}", file=t.source, key=f"{t.prefix}.gate",
                              expected=" | ".join(sorted(gates)))
        tasks.append(ChecklistTask(
            id=t.text("id", pattern=_TASK_ID, expected="a lower-case id (letters, digits, _ -)"),
            title=t.text("title"), owner=t.text("owner"), due_day=t.integer("due_day", lo=1, hi=60),
            depends_on=t.strings("depends_on"), gate=gate))
        t.reject_unknown()
    ids = [task.id for task in tasks]
    for i, task in enumerate(tasks):
        where = f"checklist[{i}]"
        if ids.count(task.id) > 1:
            raise ConfigError(f"task id {task.id!r} is used twice", file=tables[i].source, key=f"{where}.id",
                              expected="unique task ids")
        for dep in task.depends_on:
            if dep not in ids and dep not in stages:
                raise ConfigError(f"unknown dependency {dep!r}", file=tables[i].source,
                                  key=f"{where}.depends_on", expected="task ids or stage names")
    _refuse_cycles(tasks, tables[0].source if tables else "config")
    return tuple(tasks)


def _refuse_cycles(tasks: list[ChecklistTask], source: str) -> None:
    by_id = {t.id: t for t in tasks}
    done: set[str] = set()

    def visit(task_id: str, path: tuple[str, ...]) -> None:
        if task_id in path:
            raise ConfigError(" → ".join((*path, task_id)), file=source, key="checklist",
                              expected="dependencies without a cycle")
        if task_id in done or task_id not in by_id:
            return
        for dep in by_id[task_id].depends_on:
            visit(dep, (*path, task_id))
        done.add(task_id)

    for task in tasks:
        visit(task.id, ())
