"""Collection e-mail drafts for overdue customers: Claude's wording, checked against the titles.

For each (entity, customer) whose overdue amount reaches ``[receivables] draft_threshold``, a
draft is written in the customer's language (``pt-BR`` or ``en``) with a tone set by its oldest
overdue title: ``reminder`` (1–30 days), ``firm`` (31–90), ``final_notice`` (over 90). The
wording starts from a versioned template (``collection_templates``; ``DEFAULT_TEMPLATES`` are
version 1). With an API key Claude rewrites it from the titles; the answer is then checked:
every amount and date it contains must be one of the data's (``ungrounded``), else the draft is
rejected and the data-only draft — the template filled with the titles — replaces it, with the
reason kept. Answers are cached by prompt hash and costed like the variance commentary.

Nothing here sends anything: drafts wait for ``close ar approve`` (``close/storage/receivables``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage

import pandas as pd
from pydantic import SecretStr

from close.analysis.commentary import (
    DEFAULT_BASE_URL,
    CommentaryCache,
    CommentarySettings,
    _Claude,
    _Counter,
)
from close.engine.money import ZERO, from_minor
from close.errors import ConfigError

DRAFT_TEMPLATE_VERSION = "collection-v1"  # change with any change to DRAFT_SYSTEM or render
TONES = ("reminder", "firm", "final_notice")
DRAFT_SYSTEM = (
    "You write collection e-mails for a company's accounts-receivable team. Write only the body "
    "of the e-mail, in the language and tone asked, addressed to the customer. State amounts, "
    "document numbers and dates exactly as given in the data; do not add any amount, date, "
    "interest, fee or deadline that is not in the data. No markdown, no placeholders."
)


@dataclass(frozen=True, slots=True)
class Template:
    """A collection-letter template.

    Its subject and body are ``str.format`` strings with the fields {customer}, {entity},
    {total}, {currency}, {titles} (one line per title) and {count}.
    """

    tone: str
    language: str
    version: int
    subject: str
    body: str


_EN_TITLES = "{titles}\n\nTotal overdue: {currency} {total}."
_PT_TITLES = "{titles}\n\nTotal em atraso: {currency} {total}."
DEFAULT_TEMPLATES: tuple[Template, ...] = (
    Template("reminder", "en", 1, "Payment reminder from {entity}",
             "Dear {customer},\n\nOur records show {count} open invoice(s) past their due date:\n"
             + _EN_TITLES + "\n\nIf payment is already on its way, please disregard this note.\n\n{entity}"),
    Template("firm", "en", 1, "Overdue invoices: {entity}",
             "Dear {customer},\n\nThe following invoice(s) remain unpaid well past their due date:\n"
             + _EN_TITLES + "\n\nPlease arrange payment or contact us to agree a date.\n\n{entity}"),
    Template("final_notice", "en", 1, "Final notice: overdue invoices, {entity}",
             "Dear {customer},\n\nDespite our earlier reminders, these invoice(s) are still unpaid:\n"
             + _EN_TITLES + "\n\nThis is our final notice before we take further collection steps.\n\n"
             "{entity}"),
    Template("reminder", "pt-BR", 1, "Lembrete de pagamento: {entity}",
             "Prezado(a) {customer},\n\nConstam em aberto {count} título(s) vencido(s):\n" + _PT_TITLES
             + "\n\nCaso o pagamento já tenha sido feito, por favor desconsidere este aviso.\n\n{entity}"),
    Template("firm", "pt-BR", 1, "Títulos em atraso: {entity}",
             "Prezado(a) {customer},\n\nOs título(s) abaixo seguem sem pagamento há bastante tempo:\n"
             + _PT_TITLES + "\n\nPedimos regularizar ou entrar em contato para combinarmos uma data."
             "\n\n{entity}"),
    Template("final_notice", "pt-BR", 1, "Último aviso: títulos em atraso, {entity}",
             "Prezado(a) {customer},\n\nApesar dos avisos anteriores, os título(s) abaixo seguem em aberto:\n"
             + _PT_TITLES + "\n\nEste é o último aviso antes de adotarmos outras medidas de cobrança."
             "\n\n{entity}"),
)


@dataclass(frozen=True, slots=True)
class OverdueTitle:
    """One overdue title as the draft states it."""

    document: str
    due_date: date
    amount: Decimal
    days_past_due: int


@dataclass(frozen=True, slots=True)
class CustomerDue:
    """What one draft is about: a customer's overdue titles at one entity."""

    entity: str
    customer: str
    email: str
    language: str
    currency: str
    titles: tuple[OverdueTitle, ...]

    @property
    def total(self) -> Decimal:
        """The overdue total."""
        return sum((t.amount for t in self.titles), ZERO)

    @property
    def tone(self) -> str:
        """Reminder up to 30 days past due, firm up to 90, final notice beyond."""
        oldest = max(t.days_past_due for t in self.titles)
        return "reminder" if oldest <= 30 else "firm" if oldest <= 90 else "final_notice"


@dataclass(frozen=True, slots=True)
class Draft:
    """A collection draft, never sent by the close."""

    entity: str
    customer: str
    email: str
    tone: str
    language: str
    template_version: int
    subject: str
    body: str
    source: str  # claude | data
    rejected_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = ZERO
    cached: bool = False


def customers_due(aged: pd.DataFrame, threshold: Decimal) -> tuple[CustomerDue, ...]:
    """Group overdue titles by entity and customer; keep those whose total reaches ``threshold``.

    Args:
        aged: ``age_titles`` output with ``language`` and ``email``.
        threshold: the least overdue total (in the entity's currency) worth a letter.

    Returns:
        One ``CustomerDue`` per customer, largest overdue first.

    """
    late = aged[aged["days_past_due"] > 0]
    found = []
    for (entity, customer), rows in late.groupby(["entity", "customer"], sort=True):
        first = rows.iloc[0]
        titles = tuple(OverdueTitle(str(r["document"]), pd.Timestamp(r["due_date"]).date(),
                                    from_minor(int(r["open_amount"]), r["currency"]), int(r["days_past_due"]))
                       for r in rows.sort_values(["due_date", "document"]).to_dict("records"))
        due = CustomerDue(str(entity), str(customer), str(first.get("email", "") or ""),
                          str(first.get("language", "en") or "en"), str(first["currency"]), titles)
        if due.total >= threshold:
            found.append(due)
    return tuple(sorted(found, key=lambda d: (-d.total, d.entity, d.customer)))


def money_text(amount: Decimal, language: str) -> str:
    """Format an amount as the language writes it: 1,234.56 (en) or 1.234,56 (pt-BR)."""
    text = f"{amount:,.2f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".") if language == "pt-BR" else text


def date_text(day: date, language: str) -> str:
    """Format a date: 2026-11-30 (en, ISO, unambiguous) or 30/11/2026 (pt-BR)."""
    return day.strftime("%d/%m/%Y") if language == "pt-BR" else day.isoformat()


def render_template(template: Template, due: CustomerDue) -> tuple[str, str]:
    """Fill a template with a customer's titles: the data-only draft (subject, body)."""
    lang = due.language
    if lang == "pt-BR":
        line = "- {doc}: vencimento {date}, {cur} {amount} ({days} dias de atraso)"
    else:
        line = "- {doc}: due {date}, {cur} {amount} ({days} days past due)"
    titles = "\n".join(line.format(doc=t.document, date=date_text(t.due_date, lang), cur=due.currency,
                                   amount=money_text(t.amount, lang), days=t.days_past_due)
                       for t in due.titles)
    fields = {"customer": due.customer, "entity": due.entity, "total": money_text(due.total, lang),
              "currency": due.currency, "titles": titles, "count": len(due.titles)}
    return template.subject.format(**fields), template.body.format(**fields)


def render_prompt(due: CustomerDue, template: Template) -> str:
    """Render the user message: the tone, the language, the titles and the template to start from."""
    _, body = render_template(template, due)
    language = "Brazilian Portuguese (pt-BR)" if due.language == "pt-BR" else "English"
    return "\n".join([
        f"Write a collection e-mail in {language}, tone: {due.tone.replace('_', ' ')}.",
        f"Creditor: {due.entity}. Customer: {due.customer}.",
        "Overdue titles (document, due date, amount, days past due):",
        *(f"- {t.document}, {date_text(t.due_date, due.language)}, {due.currency} "
          f"{money_text(t.amount, due.language)}, {t.days_past_due}" for t in due.titles),
        f"Total overdue: {due.currency} {money_text(due.total, due.language)}",
        "Start from this approved wording, keeping every figure as it is:",
        body,
    ])


def prompt_hash(settings: CommentarySettings, prompt: str) -> str:
    """Cache key of a draft: sha256 of model, sampling, template version, system and prompt."""
    return hashlib.sha256(json.dumps({
        "model": settings.model, "temperature": str(settings.temperature),
        "max_tokens": settings.max_tokens, "template": DRAFT_TEMPLATE_VERSION,
        "system": DRAFT_SYSTEM, "prompt": prompt}, sort_keys=True).encode()).hexdigest()


_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_NUMBER = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)*")


def ungrounded(text: str, due: CustomerDue) -> list[str]:
    """Return the amounts and dates in ``text`` that are not in the customer's data.

    Dates (ISO or dd/mm/yyyy) must be a title's due date; numbers must be a title's amount or
    the total (read either as 1,234.56 or 1.234,56), a title's days past due or the count of
    titles, or appear in a document number or the customer's or entity's name.
    """
    dates = {t.due_date for t in due.titles}
    amounts = {t.amount for t in due.titles} | {due.total}
    counts = {Decimal(t.days_past_due) for t in due.titles} | {Decimal(len(due.titles))}
    names = " ".join([due.customer, due.entity, *(t.document for t in due.titles)])
    found: list[str] = []
    for m in _DATE.finditer(text):
        try:
            day = (date(int(m[1]), int(m[2]), int(m[3])) if m[1]
                   else date(int(m[6]), int(m[5]), int(m[4])))
        except ValueError:
            found.append(m[0])
            continue
        if day not in dates:
            found.append(m[0])
    rest = _DATE.sub(" ", text)
    for m in _NUMBER.finditer(rest):
        token = m[0]
        values = _readings(token)
        if values & amounts or values & counts or token in names:
            continue
        found.append(token)
    return found


def _readings(token: str) -> set[Decimal]:
    """Read a number token; the last separator followed by 1–2 digits is its decimal point."""
    out = set()
    last = max(token.rfind("."), token.rfind(","))
    if last >= 0 and len(token) - last - 1 in (1, 2):
        whole, frac = re.sub(r"[.,]", "", token[:last]), token[last + 1:]
        candidates = [f"{whole}.{frac}"]
    else:
        candidates = [re.sub(r"[.,]", "", token)]
    for c in candidates:
        try:
            out.add(Decimal(c))
        except InvalidOperation:
            continue
    return out


def latest_templates(templates: Iterable[Template]) -> dict[tuple[str, str], Template]:
    """Return the newest version of each (tone, language)."""
    best: dict[tuple[str, str], Template] = {}
    for t in templates:
        if (t.tone, t.language) not in best or t.version > best[(t.tone, t.language)].version:
            best[(t.tone, t.language)] = t
    return best


class _DraftClaude(_Claude):
    """The commentary's Claude client (retries, breaker, pricing) with the drafts' system prompt."""

    system = DRAFT_SYSTEM

    def answer_text(self, text: str) -> str:
        """Keep the whole e-mail body (the commentary's cleaning would cut it to three sentences)."""
        return text.strip()


def write_drafts(dues: Sequence[CustomerDue], templates: Mapping[tuple[str, str], Template], *,
                 settings: CommentarySettings, cache: CommentaryCache, api_key: str | SecretStr | None,
                 base_url: str | None, redis_url: str | None = None) -> tuple[Draft, ...]:
    """Write one draft per customer: Claude's when grounded, else the data-only one.

    Args:
        dues: the customers to write to (``customers_due``).
        templates: the newest template per (tone, language).
        settings: model and sampling (``[ai]``), retries and breaker.
        cache: answers by prompt hash (the commentary cache).
        api_key: the Anthropic key; None → data-only drafts.
        base_url: the API's base URL; None → the public API.
        redis_url: share Claude's circuit breaker through this Redis (workers).

    Returns:
        The drafts in the order of ``dues``.

    Raises:
        ConfigError: the model has no price.

    """
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    drafts: list[Draft] = []
    claude = None
    if key and settings.enabled and dues:
        price = settings.prices.get(settings.model)
        if price is None:
            raise ConfigError(f"no price for model {settings.model!r}", key="ai.model",
                              expected=f"one of {', '.join(sorted(settings.prices))}")
        claude = _DraftClaude(settings, key, base_url or DEFAULT_BASE_URL, redis_url, price,
                              _Counter())
    try:
        for due in dues:
            template = templates[(due.tone, due.language)]
            subject, body = render_template(template, due)
            base = Draft(due.entity, due.customer, due.email, due.tone, due.language, template.version,
                         subject, body, "data")
            if claude is None:
                reason = "AI is disabled" if not settings.enabled else "no Anthropic API key"
                drafts.append(replace(base, rejected_reason=reason))
                continue
            prompt = render_prompt(due, template)
            h = prompt_hash(settings, prompt)
            completion, cached = cache.get(h), True
            if completion is None:
                completion, _, error = claude.complete(prompt)
                cached = False
                if completion is None:
                    drafts.append(replace(base, rejected_reason=error or "Claude failed"))
                    continue
                cache.put(h, completion)
            bad = ungrounded(completion.text, due)
            spent = {"input_tokens": 0 if cached else completion.input_tokens,
                     "output_tokens": 0 if cached else completion.output_tokens,
                     "cost_usd": ZERO if cached else completion.cost_usd, "cached": cached}
            if bad:
                drafts.append(replace(base, rejected_reason="Claude's draft states figures not in the data: "
                                    + ", ".join(bad[:5]), **spent))
                continue
            drafts.append(replace(base, body=completion.text, source="claude", **spent))
    finally:
        if claude is not None:
            claude.client.close()
    return tuple(drafts)


def to_eml(draft: Draft, *, sender: str) -> bytes:
    """Return an approved draft as an RFC 5322 message (.eml), for the user's mail client."""
    msg = EmailMessage()
    msg["From"] = sender
    if draft.email:  # without an address on file the reviewer fills in To in the mail client
        msg["To"] = draft.email
    msg["Subject"] = draft.subject
    msg.set_content(draft.body)
    return bytes(msg)

