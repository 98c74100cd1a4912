"""Messages to people: e-mail over SMTP and Slack incoming webhooks, each sent once.

Every message and recipient is recorded in ``deliveries`` with an idempotency key BEFORE it is
sent, and marked SENT after the server accepted it. A resumed or redelivered DISTRIBUTING (or a
second alert tick) records nothing new and sends only what is not SENT, so each message reaches
each recipient once; a process killed between the server's acceptance and the mark would send that
one message again on resume (at least once, never lost), and the e-mail's Message-ID is the same
both times so mail clients fold the copies. A delivery that still fails after its retries is
recorded FAILED with a short reason and an event in the audit trail: it never fails the close.

Slack (https://api.slack.com/messaging/webhooks, "Handling errors"): a webhook answers 200 with the
body ``ok``; errors are 4xx with a short text body (``invalid_payload``, ``no_service``,
``channel_is_archived``, ``action_prohibited`` …) and are not retried; 429 carries ``Retry-After``
(webhooks allow about one message a second) and 5xx are retried.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from close.config import Settings
from close.engine.types import RunId
from close.resilience import parse_retry_after
from close.run.env import StageEnv
from close.run.state import append_event
from close.run.workflow.settings import SLACK_WEBHOOK_SECRET, SMTP_PASSWORD_SECRET, DistributionSettings
from close.storage.workflow import Delivery, mark_delivery, record_deliveries

log = logging.getLogger(__name__)

ATTEMPTS = 3
MAX_RETRY_AFTER = 30.0  # seconds: a longer Slack back-off is left to the next tick


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to an e-mail."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Message:
    """One message for one recipient on one channel."""

    key: str  # idempotency key: the same message to the same recipient has the same key
    channel: str  # email | slack
    recipient: str  # an e-mail address, or "webhook" for Slack
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class DeliveryFailed(Exception):
    """A send that failed; ``retry`` says whether trying again may help, ``wait`` for how long."""

    def __init__(self, reason: str, *, retry: bool, wait: float = 0.0) -> None:
        """Keep a short reason (never a URL or a secret)."""
        super().__init__(reason)
        self.retry, self.wait = retry, wait


def _secret(settings: Settings, name: str) -> str | None:
    value = settings.secrets.get(name)
    return value.get_secret_value() if value is not None else None


def send_email(message: Message, dist: DistributionSettings, settings: Settings) -> None:
    """Send one e-mail: SMTP, STARTTLS when configured, AUTH when a username is set.

    Raises:
        DeliveryFailed: with ``retry`` for connection problems and 4xx replies, not for 5xx.

    """
    mail = dist.email
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = mail.sender, message.recipient, message.subject
    email["Date"] = formatdate(usegmt=True)
    # The same key gives the same Message-ID: a copy sent again after a crash folds into the first.
    email["Message-ID"] = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@monthclose>"
    email.set_content(message.text)
    for a in message.attachments:
        main, _, sub = a.content_type.partition("/")
        email.add_attachment(a.content, maintype=main, subtype=sub or "octet-stream", filename=a.name)
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds) as smtp:
            smtp.ehlo()
            if mail.starttls:
                # The system's CAs; SSL_CERT_FILE names a private CA (OpenSSL's default paths).
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if mail.username:
                smtp.login(mail.username, _secret(settings, SMTP_PASSWORD_SECRET) or "")
            smtp.send_message(email)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP {exc.smtp_code}", retry=400 <= exc.smtp_code < 500) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryFailed("SMTP: recipient refused", retry=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP: {type(exc).__name__}", retry=True) from None


def send_slack(message: Message, settings: Settings, *, client: httpx.Client | None = None) -> None:
    """Post one message to the incoming webhook.

    Raises:
        DeliveryFailed: never with the webhook URL in it (the URL carries the token).

    """
    url = _secret(settings, SLACK_WEBHOOK_SECRET)
    if not url:
        raise DeliveryFailed(f"no Slack webhook: set {SLACK_WEBHOOK_SECRET}", retry=False)
    body = {"text": f"*{message.subject}*\n{message.text}"}
    try:
        with client or httpx.Client(timeout=15) as http:
            response = http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"Slack: {type(exc).__name__}", retry=True) from None
    if response.status_code == 200:
        return
    reason = f"Slack {response.status_code} {response.text.strip()[:60]}"
    if response.status_code == 429:
        # Slack's Retry-After is delay-seconds; without a readable one, wait a second.
        wait = parse_retry_after(response.headers.get("Retry-After"), cap=MAX_RETRY_AFTER)
        raise DeliveryFailed(reason, retry=True, wait=1.0 if wait is None else wait)
    raise DeliveryFailed(reason, retry=response.status_code >= 500)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one call sent, skipped (already SENT) and failed."""

    sent: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]  # (recipient, reason)
    already_sent: int


def deliver(env: StageEnv, run_id: RunId, kind: str, messages: Sequence[Message],
            dist: DistributionSettings, *, sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Record every message, then send those not yet SENT, retrying what may succeed later."""
    by_key = {m.key: m for m in messages}
    with env.db.tx() as conn:
        pending = record_deliveries(conn, run_id, kind, [(m.key, m.channel, m.recipient, m.subject)
                                                         for m in messages])
    sent, failed = [], []
    for delivery in pending:
        error = _send_with_retries(by_key[delivery.idempotency_key], dist, env.settings, sleep)
        with env.db.tx() as conn:
            mark_delivery(conn, delivery.id, sent=error is None, error=error)
            if error is not None:
                append_event(conn, run_id, "delivery_failed",
                             f"{kind} to {_who(delivery)} not delivered: {error}", actor=env.actor,
                             detail={"channel": delivery.channel, "recipient": delivery.recipient,
                                     "reason": error})
        (sent.append(_who(delivery)) if error is None else failed.append((_who(delivery), error)))
    return DeliveryReport(sent=tuple(sent), failed=tuple(failed), already_sent=len(messages) - len(pending))


def _who(delivery: Delivery) -> str:
    return "Slack" if delivery.channel == "slack" else delivery.recipient


def _send_with_retries(message: Message, dist: DistributionSettings, settings: Settings,
                       sleep: Callable[[float], None]) -> str | None:
    """Send; return None when sent, else the last short reason."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if message.channel == "email":
                send_email(message, dist, settings)
            else:
                send_slack(message, settings)
        except DeliveryFailed as exc:
            log.warning("delivery %s attempt %d failed: %s", message.key, attempt, exc)
            if not exc.retry or attempt == ATTEMPTS:
                return str(exc)
            sleep(exc.wait or 2.0 ** (attempt - 1))
        else:
            return None
    return None  # not reached: the loop returns on its last attempt
