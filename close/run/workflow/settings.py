"""What the group config says about distribution, alerts, the calendar and the checklist.

Secrets never sit in the config: the SMTP password comes from ``CLOSE_SECRET_SMTP_PASSWORD`` and
the Slack incoming-webhook URL (which carries its token) from ``CLOSE_SECRET_SLACK_WEBHOOK_URL``,
through the process settings' secrets (environment or secrets file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from pydantic import StrictStr, StringConstraints, model_validator

from close.config.types import Flag, Integer, Text, TomlTable, default_of, described, invalid

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


_ADDRESS = Annotated[StrictStr, StringConstraints(pattern=_EMAIL.pattern)]


class EmailTable(TomlTable):
    """``[distribution.email]``: the SMTP server and who receives what."""

    host: Text = described("the SMTP server's host name; empty: no e-mail", default_of(EmailSettings, "host"))
    port: Integer = described("a TCP port 1..65535", default_of(EmailSettings, "port"), ge=1, le=65535)
    starttls: Flag = described("true or false: upgrade the connection before authenticating",
                               default_of(EmailSettings, "starttls"))
    username: Text = described("the SMTP login; empty: no AUTH", default_of(EmailSettings, "username"))
    sender: Text = described("the sender's e-mail address", default_of(EmailSettings, "sender"))
    recipients: dict[str, tuple[_ADDRESS, ...]] = described(
        "a table role = [e-mail addresses]", {})
    attach_limit_kb: Integer = described("kilobytes 0..1048576; larger packages are linked",
                                         default_of(EmailSettings, "attach_limit_kb"), ge=0, le=1_048_576)
    timeout_seconds: Integer = described("seconds 1..600", default_of(EmailSettings, "timeout_seconds"),
                                         ge=1, le=600)

    @model_validator(mode="after")
    def _sender_with_host(self) -> EmailTable:
        if self.host and not _EMAIL.match(self.sender):
            raise invalid("sender", f"got {self.sender!r}", "the sender's e-mail address")
        return self


class SlackTable(TomlTable):
    """``[distribution.slack]``: the webhook URL is the secret CLOSE_SECRET_SLACK_WEBHOOK_URL."""

    enabled: Flag = described("true or false: post to the Slack incoming webhook",
                              default_of(DistributionSettings, "slack"))


class AlertsTable(TomlTable):
    """``[distribution.alerts]``: where alerts go and when a slow stage alerts."""

    channels: tuple[Literal["email", "slack"], ...] = described("email and/or slack", ())
    roles: tuple[Text, ...] = described("e-mail recipient roles of alerts (empty: every role)", ())
    slow_stage_factor: Integer = described("an integer 2..100", default_of(DistributionSettings,
                                                                           "slow_stage_factor"), ge=2, le=100)


class DistributionTable(TomlTable):
    """``[distribution]``: where the package goes and where alerts go."""

    output_dir: Text = described("a folder, relative to the config",
                                 default_of(DistributionSettings, "output_dir"))
    link_base: Text = described("a URL messages link packages under",
                                default_of(DistributionSettings, "link_base"))
    email: EmailTable = EmailTable()
    slack: SlackTable = SlackTable()
    alerts: AlertsTable = AlertsTable()

    def settings(self) -> DistributionSettings:
        """Return the runtime settings."""
        m = self.email
        email = EmailSettings(
            host=m.host, port=m.port, starttls=m.starttls, username=m.username, sender=m.sender,
            recipients=tuple((role, m.recipients[role]) for role in sorted(m.recipients)),
            attach_limit_kb=m.attach_limit_kb, timeout_seconds=m.timeout_seconds)
        return DistributionSettings(
            output_dir=self.output_dir, link_base=self.link_base, email=email, slack=self.slack.enabled,
            alert_channels=self.alerts.channels, alert_roles=self.alerts.roles,
            slow_stage_factor=self.alerts.slow_stage_factor)


class CalendarTable(TomlTable):
    """``[calendar]``: the holiday country and the group's own holidays."""

    country: Text = described("a country code for national holidays (the holidays package); \"\" for none",
                              default_of(CalendarSettings, "country"))
    holidays: tuple[date, ...] = described("ISO dates such as 2026-11-03", ())

    def settings(self) -> CalendarSettings:
        """Return the runtime settings, holidays sorted."""
        return CalendarSettings(country=self.country, holidays=tuple(sorted(self.holidays)))


def _stage_names() -> frozenset[str]:
    from close.run.state import STAGE_ORDER  # the config is read below the run machinery

    return frozenset(s.value for s in STAGE_ORDER)


class ChecklistTable(TomlTable):
    """One ``[[checklist]]`` task of the month's close."""

    id: Annotated[StrictStr, StringConstraints(pattern=_TASK_ID.pattern)] = described(
        "a lower-case id (letters, digits, _ -)")
    title: Text = described("the task's title")
    owner: Text = described("a role or a user")
    due_day: Integer = described("the business day after the period end it is due, 1..60", ge=1, le=60)
    depends_on: tuple[Text, ...] = described("task ids or stage names", ())
    gate: Text | None = described("a stage name or SIGNOFF: what may not start until the task is done", None)

    @model_validator(mode="after")
    def _known_gate(self) -> ChecklistTable:
        gates = (*_stage_names(), SIGNOFF_GATE)
        if self.gate is not None and self.gate not in gates:
            raise invalid("gate", f"got {self.gate!r}", " | ".join(sorted(gates)))
        return self

    def task(self) -> ChecklistTask:
        """Return the runtime task."""
        return ChecklistTask(id=self.id, title=self.title, owner=self.owner, due_day=self.due_day,
                             depends_on=self.depends_on, gate=self.gate)


def check_checklist(tasks: tuple[ChecklistTask, ...]) -> None:
    """Refuse duplicate task ids, unknown dependencies and cycles (keys from the document's top).

    Raises:
        PydanticCustomError: naming the key, turned into a ``ConfigError`` by the loader.

    """
    stages = _stage_names()
    ids = [task.id for task in tasks]
    for i, task in enumerate(tasks):
        if ids.count(task.id) > 1:
            raise invalid(f"checklist[{i}].id", f"task id {task.id!r} is used twice", "unique task ids")
        for dep in task.depends_on:
            if dep not in ids and dep not in stages:
                raise invalid(f"checklist[{i}].depends_on", f"unknown dependency {dep!r}",
                              "task ids or stage names")
    _refuse_cycles(tasks)


def _refuse_cycles(tasks: tuple[ChecklistTask, ...]) -> None:
    by_id = {t.id: t for t in tasks}
    done: set[str] = set()

    def visit(task_id: str, path: tuple[str, ...]) -> None:
        if task_id in path:
            raise invalid("checklist", " → ".join((*path, task_id)), "dependencies without a cycle")
        if task_id in done or task_id not in by_id:
            return
        for dep in by_id[task_id].depends_on:
            visit(dep, (*path, task_id))
        done.add(task_id)

    for task in tasks:
        visit(task.id, ())
