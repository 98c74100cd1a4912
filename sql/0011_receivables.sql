-- Receivables (issue 21): the aging snapshot of every run, the versioned collection-letter
-- templates and the collection drafts that wait for a person's approval.

-- The open titles as the run aged them: immutable (the app role may insert and read, never
-- update or delete), so last month's aging is still there to measure the movement between buckets.
CREATE TABLE IF NOT EXISTS ar_aging_snapshots (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    entity text NOT NULL,
    document text NOT NULL,
    customer text NOT NULL,
    issue_date date NOT NULL,
    due_date date NOT NULL,
    currency char(3) NOT NULL,
    open_amount numeric NOT NULL CHECK (open_amount > 0),
    days_past_due integer NOT NULL,
    bucket text NOT NULL CHECK (bucket IN ('current', '1-30', '31-60', '61-90', '91-120', 'over_120')),
    language text NOT NULL DEFAULT 'en' CHECK (language IN ('pt-BR', 'en')),
    email text NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, entity, document)
);

-- Collection-letter templates by tone and language; a new wording is a new version, never an
-- edit, so every draft names the template version it was written from.
CREATE TABLE IF NOT EXISTS collection_templates (
    tenant_id text NOT NULL,
    tone text NOT NULL CHECK (tone IN ('reminder', 'firm', 'final_notice')),
    language text NOT NULL CHECK (language IN ('pt-BR', 'en')),
    version integer NOT NULL CHECK (version > 0),
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, tone, language, version)
);

-- One draft per run, entity and overdue customer. Never sent by the close: a person approves it
-- (status APPROVED, who and when), and only then is it exported or handed to distribution.
CREATE TABLE IF NOT EXISTS collection_drafts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    entity text NOT NULL,
    customer text NOT NULL,
    email text NOT NULL DEFAULT '',
    tone text NOT NULL CHECK (tone IN ('reminder', 'firm', 'final_notice')),
    language text NOT NULL CHECK (language IN ('pt-BR', 'en')),
    template_version integer NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    source text NOT NULL CHECK (source IN ('claude', 'data')),
    rejected_reason text,  -- why Claude's draft was replaced by the data-only one
    input_tokens integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cost_usd numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'APPROVED')),
    approved_by text,
    approved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS collection_drafts_key ON collection_drafts (run_id, entity, customer);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ar_aging_snapshots', 'collection_templates', 'collection_drafts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        -- The tenant bound by the database (0004), not a setting the application could change.
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
                       '(tenant_id = (SELECT monthclose_tenant())) WITH CHECK '
                       '(tenant_id = (SELECT monthclose_tenant()))', t);
    END LOOP;
END $$;
-- Snapshots and templates are append-only; a draft's status changes once, on approval.
GRANT SELECT, INSERT ON ar_aging_snapshots, collection_templates TO monthclose_app;
GRANT SELECT, INSERT, UPDATE ON collection_drafts TO monthclose_app;
