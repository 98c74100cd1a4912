-- The close as the team runs it: the checklist of human tasks beside the pipeline, a run that
-- waits at a gate, and a record of every message sent (the package, alerts).

-- AWAITING_TASKS: the run waits at a gate until the checklist tasks that gate it are done. It is
-- active (the period is still being closed) and, like AWAITING_REVIEW, waits for people.
ALTER TABLE close_runs DROP CONSTRAINT IF EXISTS close_runs_status_check;
ALTER TABLE close_runs ADD CONSTRAINT close_runs_status_check CHECK (status IN ('PENDING',
    'EXTRACTING', 'MAPPING', 'CONSOLIDATING', 'VALIDATING', 'AWAITING_REVIEW', 'AWAITING_TASKS',
    'ANALYZING', 'REPORTING', 'DISTRIBUTING', 'COMPLETED', 'FAILED', 'CANCELLED'));
-- The status list is close.run_state.ACTIVE_STATUSES; a test checks they agree.
DROP INDEX IF EXISTS close_runs_one_active;
CREATE UNIQUE INDEX close_runs_one_active ON close_runs (tenant_id, group_id, period)
    WHERE status IN ('PENDING', 'EXTRACTING', 'MAPPING', 'CONSOLIDATING', 'VALIDATING',
                     'AWAITING_REVIEW', 'AWAITING_TASKS', 'ANALYZING', 'REPORTING', 'DISTRIBUTING',
                     'FAILED');

-- A period's checklist: one row per task of the group config's [[checklist]], instantiated when
-- the period's first run is created (a re-run finds the tasks already there, done or not).
CREATE TABLE IF NOT EXISTS close_tasks (
    tenant_id text NOT NULL,
    group_id text NOT NULL,
    period char(7) NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    task_id text NOT NULL,
    title text NOT NULL,
    owner text NOT NULL,
    due_on date NOT NULL,
    depends_on jsonb NOT NULL DEFAULT '[]'::jsonb,  -- task ids and/or stage names
    gate text,  -- the stage that may not start (or SIGNOFF) until the task is done
    status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DONE')),
    done_by text,
    done_at timestamptz,
    note text,
    evidence_name text,
    evidence_sha256 char(64) CHECK (evidence_sha256 ~ '^[0-9a-f]{64}$'),
    evidence bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, group_id, period, task_id)
);

-- One row per message and recipient, written BEFORE the message is sent: its idempotency key
-- makes a resumed or redelivered DISTRIBUTING (or alert tick) send nothing twice.
CREATE TABLE IF NOT EXISTS deliveries (
    tenant_id text NOT NULL,
    id bigserial PRIMARY KEY,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    idempotency_key text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('package', 'alert')),
    channel text NOT NULL CHECK (channel IN ('email', 'slack')),
    recipient text NOT NULL,
    subject text NOT NULL,
    status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS deliveries_key ON deliveries (tenant_id, idempotency_key);
CREATE INDEX IF NOT EXISTS deliveries_run ON deliveries (run_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['close_tasks', 'deliveries']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
                       '(tenant_id = current_setting(''app.tenant_id'', true)) WITH CHECK '
                       '(tenant_id = current_setting(''app.tenant_id'', true))', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO monthclose_app', t);
    END LOOP;
END $$;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO monthclose_app;
