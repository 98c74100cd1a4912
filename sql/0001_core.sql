-- monthclose core schema. Every table carries tenant_id; row-level security comes in 0002.
-- Amounts are NUMERIC at the currency's minor-unit scale; rates NUMERIC(20,10).
-- gen_random_uuid() is built in since PostgreSQL 13 (no pgcrypto: the embedded server has none).


CREATE TABLE groups (
    tenant_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    presentation_currency char(3) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE entities (
    tenant_id text NOT NULL,
    group_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    currency char(3) NOT NULL,
    parent_id text,
    ownership numeric(9, 8) NOT NULL,
    method text NOT NULL CHECK (method IN ('full', 'equity', 'none')),
    connector text NOT NULL,
    PRIMARY KEY (tenant_id, group_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id)
);

-- The chart a run used, keyed by the sha256 of its file (the shipped default included).
CREATE TABLE standard_accounts (
    tenant_id text NOT NULL,
    chart_id text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    class text NOT NULL CHECK (class IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    subclass text NOT NULL,
    normal_balance text NOT NULL CHECK (normal_balance IN ('debit', 'credit')),
    rate_type text NOT NULL CHECK (rate_type IN ('closing', 'average', 'historical')),
    cash_flow_category text NOT NULL,
    kpi_tags text NOT NULL,
    system_role text NOT NULL,
    PRIMARY KEY (tenant_id, chart_id, code)
);

CREATE TABLE close_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    group_id text NOT NULL,
    period char(7) NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    status text NOT NULL CHECK (status IN ('PENDING', 'EXTRACTING', 'MAPPING', 'CONSOLIDATING',
        'VALIDATING', 'AWAITING_REVIEW', 'ANALYZING', 'REPORTING', 'DISTRIBUTING', 'COMPLETED',
        'FAILED', 'CANCELLED')),
    trigger_key text,
    parent_run_id uuid REFERENCES close_runs (id),
    root_run_id uuid REFERENCES close_runs (id),
    superseded_by uuid REFERENCES close_runs (id),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- the one time documents embed, so the same run renders the same bytes anywhere
    as_of timestamptz NOT NULL DEFAULT date_trunc('second', now()),
    failed_stage text,
    failed_entity text,
    failure_reason text,
    start_stage text NOT NULL DEFAULT 'EXTRACTING',
    signed_off_by text,
    signed_off_at timestamptz,
    validation_score numeric(5, 2)
);
-- At most one active run per (tenant, group, period): the database enforces it, not hope.
-- The status list is close.run_state.ACTIVE_STATUSES; a test checks they agree.
CREATE UNIQUE INDEX close_runs_one_active ON close_runs (tenant_id, group_id, period)
    WHERE status IN ('PENDING', 'EXTRACTING', 'MAPPING', 'CONSOLIDATING', 'VALIDATING',
                     'AWAITING_REVIEW', 'ANALYZING', 'REPORTING', 'DISTRIBUTING', 'FAILED');
CREATE UNIQUE INDEX close_runs_trigger_key ON close_runs (tenant_id, trigger_key)
    WHERE trigger_key IS NOT NULL;
CREATE INDEX close_runs_group_period ON close_runs (tenant_id, group_id, period, created_at);

-- Everything a run was built from: the config text and every file, bytes and sha256.
-- A resume that re-reads a file adds a new version; stages read the latest version.
CREATE TABLE run_inputs (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    name text NOT NULL,
    version integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('config', 'file')),
    entity_id text,
    sha256 char(64) NOT NULL,
    size bigint NOT NULL,
    content bytea NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, name, version)
);

-- One row per done stage (and per entity for EXTRACTING), written with the stage's outputs.
CREATE TABLE run_stages (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    stage text NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('DONE')),
    attempt integer NOT NULL DEFAULT 1,
    output_digest char(64),
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stage, entity_id)
);

-- The audit trail: append-only (UPDATE and DELETE are revoked from the application role).
CREATE TABLE run_events (
    tenant_id text NOT NULL,
    id bigserial PRIMARY KEY,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    kind text NOT NULL,
    stage text,
    entity_id text,
    message text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX run_events_run ON run_events (run_id, id);

-- Extracted local trial balances, partitioned by year of the period.
CREATE TABLE trial_balances (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL,
    entity_id text NOT NULL,
    period char(7) NOT NULL,
    line_no integer NOT NULL,
    account text NOT NULL,
    account_name text NOT NULL,
    counterparty text,
    cost_center text,
    department text,
    currency char(3) NOT NULL,
    opening numeric NOT NULL,
    debit numeric NOT NULL,
    credit numeric NOT NULL,
    closing numeric NOT NULL,
    PRIMARY KEY (run_id, entity_id, line_no, period)
) PARTITION BY RANGE (period);
DO $$
BEGIN
    FOR y IN 2000..2049 LOOP
        EXECUTE format('CREATE TABLE trial_balances_%s PARTITION OF trial_balances '
                       'FOR VALUES FROM (%L) TO (%L)', y, y || '-01', (y + 1) || '-01');
    END LOOP;
END $$;
CREATE TABLE trial_balances_other PARTITION OF trial_balances DEFAULT;

-- The mapping a run resolved: each entity account to its standard account (MAPPING's output).
CREATE TABLE account_mappings (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    entity_id text NOT NULL,
    account text NOT NULL,
    std_account text NOT NULL,
    source text NOT NULL,
    PRIMARY KEY (run_id, entity_id, account)
);

CREATE TABLE fx_rates (
    tenant_id text NOT NULL,
    id bigserial PRIMARY KEY,
    run_id uuid REFERENCES close_runs (id),  -- NULL: fetched from a source, shared by runs
    period char(7) NOT NULL,
    currency char(3) NOT NULL,
    presentation_currency char(3) NOT NULL,
    rate_type text NOT NULL CHECK (rate_type IN ('closing', 'average', 'historical')),
    rate numeric(20, 10) NOT NULL CHECK (rate > 0),
    quoted numeric(20, 10),
    quote_direction text,
    source text NOT NULL,
    method text NOT NULL,
    as_of date,
    path text,
    is_override boolean NOT NULL DEFAULT false,
    entity_id text,
    account text,
    rate_date date,
    raw jsonb NOT NULL DEFAULT '{}'::jsonb,
    retrieved_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX fx_rates_key ON fx_rates (tenant_id, period, currency, presentation_currency,
    rate_type, coalesce(entity_id, ''), coalesce(account, ''), coalesce(run_id::text, ''));

-- CONSOLIDATING's outputs.
CREATE TABLE translated_balances (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    entity_id text NOT NULL,
    account text NOT NULL DEFAULT '',  -- the entity's own account ('' for engine lines such as CTA)
    std_account text NOT NULL,
    counterparty text NOT NULL DEFAULT '',
    cost_center text NOT NULL DEFAULT '',
    department text NOT NULL DEFAULT '',
    book text NOT NULL DEFAULT '',  -- '' for the entity's books, else a push-down book such as PPA
    local_closing numeric NOT NULL,
    local_movement numeric NOT NULL,
    rate numeric(20, 10),
    rate_type text NOT NULL,
    translated numeric NOT NULL,
    translated_movement numeric NOT NULL
);
CREATE INDEX translated_balances_run ON translated_balances (run_id, entity_id);

CREATE TABLE journal_entries (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    journal_id text NOT NULL,
    kind text NOT NULL,
    basis text NOT NULL DEFAULT 'IFRS',
    memo text NOT NULL,
    PRIMARY KEY (run_id, journal_id)
);
CREATE TABLE journal_lines (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL,
    journal_id text NOT NULL,
    line_no integer NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    std_account text NOT NULL,
    counterparty text NOT NULL DEFAULT '',
    amount numeric NOT NULL,
    memo text NOT NULL DEFAULT '',
    source text NOT NULL DEFAULT '',  -- the TB line, rule or file row the posting comes from
    PRIMARY KEY (run_id, journal_id, line_no),
    FOREIGN KEY (run_id, journal_id) REFERENCES journal_entries (run_id, journal_id)
);

CREATE TABLE consolidated_balances (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    std_account text NOT NULL,
    amount numeric NOT NULL,
    movement numeric NOT NULL,
    PRIMARY KEY (run_id, std_account)
);

CREATE TABLE consolidation_worksheet (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    entity_id text NOT NULL,
    std_account text NOT NULL,
    "column" text NOT NULL,
    basis text NOT NULL DEFAULT 'IFRS',
    amount numeric NOT NULL,
    PRIMARY KEY (run_id, entity_id, std_account, "column", basis)
);

-- Small per-run result tables of the consolidation (CTA check, IC pairs, NCI, goodwill), as rows.
CREATE TABLE consolidation_facts (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    kind text NOT NULL,
    seq integer NOT NULL,
    payload jsonb NOT NULL,
    PRIMARY KEY (run_id, kind, seq)
);

CREATE TABLE validation_results (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    seq integer NOT NULL,
    code text NOT NULL,
    category text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('pass', 'warn', 'fail')),
    entity_id text,
    account text,
    expected text,
    actual text,
    difference text,
    message text NOT NULL,
    waived_by text,
    waived_reason text,
    waived_at timestamptz,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE variances (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    seq integer NOT NULL,
    entity_id text,  -- NULL: the consolidated figure
    account text NOT NULL,
    kind text NOT NULL,
    current_amount numeric NOT NULL,
    comparison_amount numeric NOT NULL,
    delta numeric NOT NULL,
    pct numeric,
    material boolean NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE commentary (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    seq integer NOT NULL,
    entity_id text,
    account text NOT NULL,
    kind text NOT NULL,
    body text NOT NULL,
    source text NOT NULL,
    model text,
    prompt_hash char(64),
    input_tokens integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    cost numeric(12, 6) NOT NULL DEFAULT 0,
    latency_ms integer,
    confidence integer,
    light text,
    revised boolean NOT NULL DEFAULT false,
    cached boolean NOT NULL DEFAULT false,
    fallback_reason text,
    figures jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE kpis (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    code text NOT NULL,
    name text NOT NULL,
    value numeric,
    unit text NOT NULL,
    reason text,
    formula text NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, code)
);

CREATE TABLE artifacts (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    name text NOT NULL,
    content_type text NOT NULL,
    sha256 char(64) NOT NULL,
    size bigint NOT NULL,
    content bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, name)
);

CREATE TABLE period_locks (
    tenant_id text NOT NULL,
    group_id text NOT NULL,
    period char(7) NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    locked_by text NOT NULL,
    locked_at timestamptz NOT NULL DEFAULT now(),
    reason text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, group_id, period)
);
