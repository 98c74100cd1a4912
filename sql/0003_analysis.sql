-- Analysis: the Claude prompt cache and the month's anomalies. (variances, commentary and kpis
-- per run are in 0001_core.)

-- One answer per prompt hash and tenant: sha256 of model, temperature, max_tokens, template
-- version and prompt (close/commentary.py prompt_hash). A re-run with an unchanged prompt reads
-- the answer here and makes no call. Per tenant, because prompts carry the tenant's figures.
CREATE TABLE IF NOT EXISTS commentary_cache (
    tenant_id text NOT NULL,
    prompt_hash char(64) NOT NULL CHECK (prompt_hash ~ '^[0-9a-f]{64}$'),
    template_version text NOT NULL,
    model text NOT NULL,
    body text NOT NULL,
    input_tokens integer NOT NULL CHECK (input_tokens >= 0),
    output_tokens integer NOT NULL CHECK (output_tokens >= 0),
    cost_usd numeric(12, 6) NOT NULL CHECK (cost_usd >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, prompt_hash)
);

-- Accounts whose month-over-month change is unusual against their own history (robust z-score).
CREATE TABLE IF NOT EXISTS anomalies (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    account text NOT NULL,
    period char(7) NOT NULL,
    change numeric NOT NULL,
    median numeric NOT NULL,
    mad numeric NOT NULL,
    z_score numeric,  -- NULL: the history has no spread at all and the change differs from it
    history_points integer NOT NULL,
    PRIMARY KEY (run_id, account)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['commentary_cache', 'anomalies']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
                       '(tenant_id = current_setting(''app.tenant_id'', true)) WITH CHECK '
                       '(tenant_id = current_setting(''app.tenant_id'', true))', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO monthclose_app', t);
    END LOOP;
END $$;
