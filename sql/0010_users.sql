-- People and what they did through a door: users with one role each (their API token kept only as
-- an argon2 hash) and the access log, one row per authorized or refused call from the CLI, the
-- REST API, the web page or the MCP server (close/users.py).

CREATE TABLE IF NOT EXISTS users (
    tenant_id text NOT NULL,
    name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role text NOT NULL CHECK (role IN ('viewer', 'preparer', 'reviewer', 'approver', 'auditor', 'admin')),
    -- The token's public half ("mct_<token_id>_<secret>"): finds the row without the secret.
    token_id char(16) NOT NULL CHECK (token_id ~ '^[0-9a-f]{16}$'),
    token_hash text NOT NULL,  -- argon2id of the whole token; the token itself is never stored
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    PRIMARY KEY (tenant_id, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS users_token_id ON users (token_id);

CREATE TABLE IF NOT EXISTS access_log (
    tenant_id text NOT NULL,
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    role text NOT NULL,  -- the user's role, or 'operator' for the CLI's operator mode
    door text NOT NULL CHECK (door IN ('cli', 'api', 'web', 'mcp')),
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    allowed boolean NOT NULL,
    reason text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (tenant_id, at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'access_log']
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

GRANT SELECT, INSERT, UPDATE ON users TO monthclose_app;
-- The access log is append-only, like run_events.
GRANT SELECT, INSERT ON access_log TO monthclose_app;
GRANT USAGE ON SEQUENCE access_log_id_seq TO monthclose_app;
