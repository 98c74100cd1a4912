"""The tables of ``sql/`` declared once as SQLAlchemy Core ``Table`` objects (convention 12).

The numbered migrations create the database and stay the source of truth. This module mirrors them
(columns with types, nullability and server defaults, primary and foreign keys, the named indexes)
so that queries can be built from ``Table`` objects rather than SQL text, and
``tests/sql/test_schema_mirror.py`` fails as soon as the two disagree. CHECK constraints, row-level
security and grants live only in the migrations: no query is built from them.

Not mirrored: ``schema_migrations`` (``close/storage/migrate.py`` creates it before the first
migration) and the yearly partitions of ``trial_balances`` (created in a loop by ``0001_core``;
rows go in and out through the parent table).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# Ids are read and passed as text (``RunId = str``), as the queries in close/storage/ do.
_UUID = sa.Uuid(as_uuid=False)
_RATE = sa.Numeric(20, 10)  # convention 1: rates are NUMERIC(20,10), amounts plain NUMERIC
_NOW = sa.text("now()")
_EMPTY = sa.text("''")
_EMPTY_JSON = sa.text("'{}'::jsonb")
_FALSE = sa.text("false")


def current_tenant() -> sa.ColumnElement[str]:
    """Return the transaction's tenant (bound by ``Database.tx``): the tenant_id of every insert."""
    return sa.func.current_setting("app.tenant_id")


# The helpers below declare NOT NULL unless told otherwise, as most columns are; a bare
# ``sa.Column`` keeps SQLAlchemy's default (nullable unless part of the primary key).

def _run_id(*, primary_key: bool = False, references: bool = True) -> sa.Column:
    """Return the ``run_id`` column of a per-run output table."""
    keys = (sa.ForeignKey("close_runs.id"),) if references else ()
    return sa.Column("run_id", _UUID, *keys, nullable=False, primary_key=primary_key)


def _text(name: str, *, nullable: bool = False, primary_key: bool = False,
          default: sa.TextClause | None = None) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=nullable, primary_key=primary_key, server_default=default)


def _char(name: str, length: int, *, nullable: bool = False, primary_key: bool = False) -> sa.Column:
    return sa.Column(name, sa.CHAR(length), nullable=nullable, primary_key=primary_key)


def _amount(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Numeric, nullable=nullable)


def _at(name: str, *, nullable: bool = False, default: sa.TextClause | None = None) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


groups = sa.Table(
    "groups", metadata,
    _text("tenant_id", primary_key=True),
    _text("id", primary_key=True),
    _text("name"),
    _char("presentation_currency", 3),
    _at("updated_at", default=_NOW),
)

entities = sa.Table(
    "entities", metadata,
    _text("tenant_id", primary_key=True),
    _text("group_id", primary_key=True),
    _text("id", primary_key=True),
    _text("name"),
    _char("currency", 3),
    _text("parent_id", nullable=True),
    sa.Column("ownership", sa.Numeric(9, 8), nullable=False),
    _text("method"),
    _text("connector"),
    sa.ForeignKeyConstraint(["tenant_id", "group_id"], ["groups.tenant_id", "groups.id"]),
)

standard_accounts = sa.Table(
    "standard_accounts", metadata,
    _text("tenant_id", primary_key=True),
    _text("chart_id", primary_key=True),
    _text("code", primary_key=True),
    _text("name"),
    _text("class"),
    _text("subclass"),
    _text("normal_balance"),
    _text("rate_type"),
    _text("cash_flow_category"),
    _text("kpi_tags"),
    _text("system_role"),
)

close_runs = sa.Table(
    "close_runs", metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
    _text("tenant_id"),
    _text("group_id"),
    _char("period", 7),
    _text("status"),
    _text("trigger_key", nullable=True),
    sa.Column("parent_run_id", _UUID, sa.ForeignKey("close_runs.id")),
    sa.Column("root_run_id", _UUID, sa.ForeignKey("close_runs.id")),
    sa.Column("superseded_by", _UUID, sa.ForeignKey("close_runs.id")),
    _text("created_by"),
    _at("created_at", default=_NOW),
    _at("updated_at", default=_NOW),
    _at("finished_at", nullable=True),
    _at("as_of", default=sa.text("date_trunc('second', now())")),
    _text("failed_stage", nullable=True),
    _text("failed_entity", nullable=True),
    _text("failure_reason", nullable=True),
    _text("start_stage", default=sa.text("'EXTRACTING'")),
    _text("signed_off_by", nullable=True),
    _at("signed_off_at", nullable=True),
    sa.Column("validation_score", sa.Numeric(5, 2)),
)
# At most one active run per (tenant, group, period); the statuses as 0009_workflow lists them. Spelt
# out, not taken from close.run.state (which writes through this package: an import cycle);
# tests/sql/test_schema_mirror.py checks they are run.state's ACTIVE_STATUSES.
ACTIVE_RUN_STATUSES = ("PENDING", "EXTRACTING", "MAPPING", "CONSOLIDATING", "VALIDATING", "AWAITING_REVIEW",
                       "AWAITING_TASKS", "ANALYZING", "REPORTING", "DISTRIBUTING", "FAILED")
sa.Index("close_runs_one_active", close_runs.c.tenant_id, close_runs.c.group_id, close_runs.c.period,
         unique=True, postgresql_where=close_runs.c.status.in_(ACTIVE_RUN_STATUSES))
sa.Index("close_runs_trigger_key", close_runs.c.tenant_id, close_runs.c.trigger_key, unique=True,
         postgresql_where=close_runs.c.trigger_key.is_not(None))
sa.Index("close_runs_group_period", close_runs.c.tenant_id, close_runs.c.group_id, close_runs.c.period,
         close_runs.c.created_at)
# 0014_run_list_index: the run list's newest-first keyset pages.
sa.Index("close_runs_newest", close_runs.c.tenant_id, close_runs.c.created_at.desc(), close_runs.c.id.desc())

run_inputs = sa.Table(
    "run_inputs", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("name", primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    _text("kind"),
    _text("entity_id", nullable=True),
    _char("sha256", 64),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    _at("recorded_at", default=_NOW),
)

run_stages = sa.Table(
    "run_stages", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("stage", primary_key=True),
    _text("entity_id", primary_key=True, default=_EMPTY),
    _text("status"),
    sa.Column("attempt", sa.Integer, nullable=False, server_default=sa.text("1")),
    _char("output_digest", 64, nullable=True),
    _at("started_at"),
    _at("finished_at", default=_NOW),
    # 0015: what the stage was computed from, and each entity's share of its output (re-runs).
    _char("input_digest", 64, nullable=True),
    sa.Column("inputs", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("parts", JSONB, nullable=False, server_default=_EMPTY_JSON),
)

run_events = sa.Table(
    "run_events", metadata,
    _text("tenant_id"),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # bigserial
    _run_id(),
    _at("at", default=sa.text("clock_timestamp()")),
    _text("actor"),
    _text("kind"),
    _text("stage", nullable=True),
    _text("entity_id", nullable=True),
    _text("message"),
    sa.Column("detail", JSONB, nullable=False, server_default=_EMPTY_JSON),
    _char("prev_hash", 64),  # 0004: the hash chain, set by the run_events_seal trigger
    _char("row_hash", 64),
)
sa.Index("run_events_run", run_events.c.run_id, run_events.c.id)
sa.Index("run_events_tenant_chain", run_events.c.tenant_id, run_events.c.id)

trial_balances = sa.Table(
    "trial_balances", metadata,
    _text("tenant_id"),
    _run_id(references=False),
    _text("entity_id"),
    _char("period", 7),
    sa.Column("line_no", sa.Integer, nullable=False),
    _text("account"),
    _text("account_name"),
    _text("counterparty", nullable=True),
    _text("cost_center", nullable=True),
    _text("department", nullable=True),
    _char("currency", 3),
    _amount("opening"),
    _amount("debit"),
    _amount("credit"),
    _amount("closing"),
    # Declared apart: the key's column order is not the columns' order.
    sa.PrimaryKeyConstraint("run_id", "entity_id", "line_no", "period"),
    postgresql_partition_by="RANGE (period)",
)

account_mappings = sa.Table(
    "account_mappings", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("entity_id", primary_key=True),
    _text("account", primary_key=True),
    _text("std_account"),
    _text("source"),
)

fx_rates = sa.Table(
    "fx_rates", metadata,
    _text("tenant_id"),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # bigserial
    sa.Column("run_id", _UUID, sa.ForeignKey("close_runs.id")),  # NULL: fetched, shared by runs
    _char("period", 7),
    _char("currency", 3),
    _char("presentation_currency", 3),
    _text("rate_type"),
    sa.Column("rate", _RATE, nullable=False),
    sa.Column("quoted", _RATE),
    _text("quote_direction", nullable=True),
    _text("source"),
    _text("method"),
    sa.Column("as_of", sa.Date),
    _text("path", nullable=True),
    sa.Column("is_override", sa.Boolean, nullable=False, server_default=_FALSE),
    _text("entity_id", nullable=True),
    _text("account", nullable=True),
    sa.Column("rate_date", sa.Date),
    sa.Column("raw", JSONB, nullable=False, server_default=_EMPTY_JSON),
    _at("retrieved_at", default=_NOW),
    _text("group_id", nullable=True),  # 0006: a group's own file figure; NULL: shared source rate
)
# An expression index: one rate per need, whether or not it is an entity's, an account's, a
# run's or a group's own. Declared in full; reflection reports the coalesce() parts as expressions only.
sa.Index("fx_rates_key", fx_rates.c.tenant_id, fx_rates.c.period, fx_rates.c.currency,
         fx_rates.c.presentation_currency, fx_rates.c.rate_type,
         sa.func.coalesce(fx_rates.c.entity_id, ""), sa.func.coalesce(fx_rates.c.account, ""),
         sa.func.coalesce(sa.cast(fx_rates.c.run_id, sa.Text), ""),
         sa.func.coalesce(fx_rates.c.group_id, ""), unique=True)

translated_balances = sa.Table(
    "translated_balances", metadata,
    _text("tenant_id"),
    _run_id(),
    _text("entity_id"),
    _text("account", default=_EMPTY),
    _text("std_account"),
    _text("counterparty", default=_EMPTY),
    _text("cost_center", default=_EMPTY),
    _text("department", default=_EMPTY),
    _text("book", default=_EMPTY),
    _amount("local_closing"),
    _amount("local_movement"),
    sa.Column("rate", _RATE),
    _text("rate_type"),
    _amount("translated"),
    _amount("translated_movement"),
)
sa.Index("translated_balances_run", translated_balances.c.run_id, translated_balances.c.entity_id)

journal_entries = sa.Table(
    "journal_entries", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("journal_id", primary_key=True),
    _text("kind"),
    _text("basis", default=sa.text("'IFRS'")),
    _text("memo"),
)

journal_lines = sa.Table(
    "journal_lines", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True, references=False),
    _text("journal_id", primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    _text("entity_id", default=_EMPTY),
    _text("std_account"),
    _text("counterparty", default=_EMPTY),
    _amount("amount"),
    _text("memo", default=_EMPTY),
    _text("source", default=_EMPTY),
    sa.ForeignKeyConstraint(["run_id", "journal_id"],
                            ["journal_entries.run_id", "journal_entries.journal_id"]),
)

consolidated_balances = sa.Table(
    "consolidated_balances", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("std_account", primary_key=True),
    _amount("amount"),
    _amount("movement"),
)

consolidation_worksheet = sa.Table(
    "consolidation_worksheet", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("entity_id", primary_key=True),
    _text("std_account", primary_key=True),
    _text("column", primary_key=True),
    _text("basis", primary_key=True, default=sa.text("'IFRS'")),
    _amount("amount"),
)

consolidation_facts = sa.Table(
    "consolidation_facts", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("kind", primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("payload", JSONB, nullable=False),
)

validation_results = sa.Table(
    "validation_results", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    _text("code"),
    _text("category"),
    _text("severity"),
    _text("entity_id", nullable=True),
    _text("account", nullable=True),
    _text("expected", nullable=True),
    _text("actual", nullable=True),
    _text("difference", nullable=True),
    _text("message"),
    _text("waived_by", nullable=True),
    _text("waived_reason", nullable=True),
    _at("waived_at", nullable=True),
)

variances = sa.Table(
    "variances", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    _text("entity_id", nullable=True),  # NULL: the consolidated figure
    _text("account"),
    _text("kind"),
    _amount("current_amount"),
    _amount("comparison_amount"),
    _amount("delta"),
    _amount("pct", nullable=True),
    sa.Column("material", sa.Boolean, nullable=False),
    sa.Column("detail", JSONB, nullable=False, server_default=_EMPTY_JSON),
)

commentary = sa.Table(
    "commentary", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    _text("entity_id", nullable=True),
    _text("account"),
    _text("kind"),
    _text("body"),
    _text("source"),
    _text("model", nullable=True),
    _char("prompt_hash", 64, nullable=True),
    sa.Column("input_tokens", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("output_tokens", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("cost", sa.Numeric(12, 6), nullable=False, server_default=sa.text("0")),
    sa.Column("latency_ms", sa.Integer),
    sa.Column("confidence", sa.Integer),
    _text("light", nullable=True),
    sa.Column("revised", sa.Boolean, nullable=False, server_default=_FALSE),
    sa.Column("cached", sa.Boolean, nullable=False, server_default=_FALSE),
    _text("fallback_reason", nullable=True),
    sa.Column("figures", JSONB, nullable=False, server_default=_EMPTY_JSON),
)

kpis = sa.Table(
    "kpis", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("code", primary_key=True),
    _text("name"),
    _amount("value", nullable=True),
    _text("unit"),
    _text("reason", nullable=True),
    _text("formula", default=_EMPTY),
)

artifacts = sa.Table(
    "artifacts", metadata,
    _text("tenant_id"),
    _run_id(),
    _text("name"),
    _text("content_type"),
    _char("sha256", 64),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    _at("created_at", default=_NOW),
    _text("edition", default=sa.text("'unsigned'")),  # 0012: "unsigned", or "signed" at sign-off
    sa.PrimaryKeyConstraint("run_id", "edition", "name"),
)

period_locks = sa.Table(
    "period_locks", metadata,
    _text("tenant_id", primary_key=True),
    _text("group_id", primary_key=True),
    _char("period", 7, primary_key=True),
    _run_id(),
    _text("locked_by"),
    _at("locked_at", default=_NOW),
    _text("reason", default=_EMPTY),
)

# 0003_analysis.

commentary_cache = sa.Table(
    "commentary_cache", metadata,
    _text("tenant_id", primary_key=True),
    _char("prompt_hash", 64, primary_key=True),
    _text("template_version"),
    _text("model"),
    _text("body"),
    sa.Column("input_tokens", sa.Integer, nullable=False),
    sa.Column("output_tokens", sa.Integer, nullable=False),
    sa.Column("cost_usd", sa.Numeric(12, 6), nullable=False),
    _at("created_at", default=_NOW),
)

anomalies = sa.Table(
    "anomalies", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("account", primary_key=True),
    _char("period", 7),
    _amount("change"),
    _amount("median"),
    _amount("mad"),
    _amount("z_score", nullable=True),  # NULL: no spread in the history and the change differs
    sa.Column("history_points", sa.Integer, nullable=False),
)

# 0005_leases.

run_leases = sa.Table(
    "run_leases", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("stage", primary_key=True),
    _text("entity_id", primary_key=True, default=_EMPTY),
    _text("holder", nullable=True),  # NULL: queued for the broker, not taken by a worker yet
    _at("acquired_at", default=_NOW),
    _at("renewed_at", default=_NOW),
    _at("expires_at"),
    _at("deadline", nullable=True),
)

# 0009_workflow.

close_tasks = sa.Table(
    "close_tasks", metadata,
    _text("tenant_id", primary_key=True),
    _text("group_id", primary_key=True),
    _char("period", 7, primary_key=True),
    _text("task_id", primary_key=True),
    _text("title"),
    _text("owner"),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("depends_on", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    _text("gate", nullable=True),
    _text("status", default=sa.text("'OPEN'")),
    _text("done_by", nullable=True),
    _at("done_at", nullable=True),
    _text("note", nullable=True),
    _text("evidence_name", nullable=True),
    _char("evidence_sha256", 64, nullable=True),
    sa.Column("evidence", sa.LargeBinary),
    _at("created_at", default=_NOW),
)

deliveries = sa.Table(
    "deliveries", metadata,
    _text("tenant_id"),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # bigserial
    _run_id(),
    _text("idempotency_key"),
    _text("kind"),
    _text("channel"),
    _text("recipient"),
    _text("subject"),
    _text("status", default=sa.text("'PENDING'")),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    _text("last_error", nullable=True),
    _at("created_at", default=_NOW),
    _at("sent_at", nullable=True),
)
sa.Index("deliveries_key", deliveries.c.tenant_id, deliveries.c.idempotency_key, unique=True)
sa.Index("deliveries_run", deliveries.c.run_id)
# 0004_tenant_wall_audit_seal: the database's record of each application session (no grants).

app_sessions = sa.Table(
    "app_sessions", metadata,
    sa.Column("pid", sa.Integer, primary_key=True, autoincrement=False),
    _at("backend_start"),
    _char("nonce_sha256", 64),
    _text("bound_tenant", nullable=True),
    _text("actor", nullable=True),
    _at("bound_at", nullable=True),
)
# 0010_users.

users = sa.Table(
    "users", metadata,
    _text("tenant_id", primary_key=True),
    _text("name", primary_key=True),
    _text("role"),
    _char("token_id", 16),
    _text("token_hash"),
    _text("created_by"),
    _at("created_at", default=_NOW),
    _at("disabled_at", nullable=True),
)
sa.Index("users_token_id", users.c.token_id, unique=True)

access_log = sa.Table(
    "access_log", metadata,
    _text("tenant_id"),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # bigserial
    _at("at", default=sa.text("clock_timestamp()")),
    _text("actor"),
    _text("role"),
    _text("door"),
    _text("action"),
    _text("target", default=_EMPTY),
    sa.Column("allowed", sa.Boolean, nullable=False),
    _text("reason", default=_EMPTY),
)
sa.Index("access_log_at", access_log.c.tenant_id, access_log.c.at)

# 0011_receivables.

ar_aging_snapshots = sa.Table(
    "ar_aging_snapshots", metadata,
    _text("tenant_id"),
    _run_id(primary_key=True),
    _text("entity", primary_key=True),
    _text("document", primary_key=True),
    _text("customer"),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    _char("currency", 3),
    _amount("open_amount"),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    _text("bucket"),
    _text("language", default=sa.text("'en'")),
    _text("email", default=_EMPTY),
)

collection_templates = sa.Table(
    "collection_templates", metadata,
    _text("tenant_id", primary_key=True),
    _text("tone", primary_key=True),
    _text("language", primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    _text("subject"),
    _text("body"),
    _at("created_at", default=_NOW),
)

collection_drafts = sa.Table(
    "collection_drafts", metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
    _text("tenant_id"),
    _run_id(),
    _text("entity"),
    _text("customer"),
    _text("email", default=_EMPTY),
    _text("tone"),
    _text("language"),
    sa.Column("template_version", sa.Integer, nullable=False),
    _text("subject"),
    _text("body"),
    _text("source"),
    _text("rejected_reason", nullable=True),
    sa.Column("input_tokens", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("output_tokens", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("cost_usd", sa.Numeric(12, 6), nullable=False, server_default=sa.text("0")),
    _text("status", default=sa.text("'DRAFT'")),
    _text("approved_by", nullable=True),
    _at("approved_at", nullable=True),
    _at("created_at", default=_NOW),
)
sa.Index("collection_drafts_key", collection_drafts.c.run_id, collection_drafts.c.entity,
         collection_drafts.c.customer, unique=True)
