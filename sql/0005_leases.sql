-- Leases: who is working on a run right now (issue 15). Every stage, and every per-entity
-- extract, holds a row here while it works, renewed by a heartbeat; a row with no holder is a
-- task handed to the broker that no worker has taken yet. A run in a working status whose
-- leases have all expired has no live holder: the reaper (close/leases.py) moves it to FAILED.
CREATE TABLE IF NOT EXISTS run_leases (
    tenant_id text NOT NULL,
    run_id uuid NOT NULL REFERENCES close_runs (id),
    stage text NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    holder text,  -- host:pid:token of the process working; NULL: queued, not taken yet
    acquired_at timestamptz NOT NULL DEFAULT now(),
    renewed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    deadline timestamptz,  -- the task's hard time limit, when it has one
    PRIMARY KEY (run_id, stage, entity_id)
);

DO $$
BEGIN
    ALTER TABLE run_leases ENABLE ROW LEVEL SECURITY;
    ALTER TABLE run_leases FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON run_leases;
    -- The tenant bound by the database (0004), not a setting the application could change.
    CREATE POLICY tenant_isolation ON run_leases USING
        (tenant_id = (SELECT monthclose_tenant())) WITH CHECK
        (tenant_id = (SELECT monthclose_tenant()));
    GRANT SELECT, INSERT, UPDATE, DELETE ON run_leases TO monthclose_app;
END $$;
