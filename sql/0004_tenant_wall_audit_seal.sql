-- The tenant wall and the sealed audit trail (issue 15).
--
-- 1. The tenant is bound by the database, not by a setting the application can write. The
--    application logs in as monthclose_app (a LOGIN role that owns nothing and is a member of no
--    role). When a connection opens it calls monthclose_open_session() once: the function records
--    the backend (pid and start time) with the sha256 of a random nonce and returns the nonce,
--    which only the application process keeps. Each transaction then binds its tenant with
--    monthclose_bind(nonce, tenant); the binding lives in app_sessions (no grants: only these
--    SECURITY DEFINER functions touch it) and expires with the transaction (bound_at = now()).
--    The policies compare tenant_id with monthclose_tenant(), so set_config('app.tenant_id'),
--    RESET ROLE or SET ROLE from the application's SQL reach nothing new; without the nonce a
--    second session cannot be opened on the same backend.
-- 2. run_events: written only through monthclose_append_event(nonce, …); `at`, `actor` and `id`
--    are set by a trigger (the actor the bound session carries), and each tenant's events form a
--    hash chain (prev_hash = the previous event's row_hash; row_hash = sha256 of prev_hash and the
--    row's content, run_event_hash). UPDATE and DELETE raise for everyone.
-- 3. The outputs of a COMPLETED run cannot be updated or deleted (grants and triggers), nor once
--    an adjustment has cancelled it; a COMPLETED run's row only takes its sign-off, its
--    superseded_by (once each) and the adjustment's move to CANCELLED.

CREATE TABLE app_sessions (
    pid integer PRIMARY KEY,
    backend_start timestamptz NOT NULL,
    nonce_sha256 char(64) NOT NULL,
    bound_tenant text,
    actor text,
    bound_at timestamptz
);
REVOKE ALL ON app_sessions FROM PUBLIC;

CREATE FUNCTION monthclose_backend_start() RETURNS timestamptz
    LANGUAGE sql STABLE SET search_path = pg_catalog
    AS $$ SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid()) $$;

CREATE FUNCTION monthclose_open_session() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
DECLARE
    started timestamptz := monthclose_backend_start();
    nonce text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
    IF started IS NULL THEN
        RAISE EXCEPTION 'cannot identify this connection' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM app_sessions WHERE pid = pg_backend_pid() AND backend_start = started) THEN
        RAISE EXCEPTION 'this connection already has a session' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO app_sessions (pid, backend_start, nonce_sha256)
    VALUES (pg_backend_pid(), started, encode(sha256(convert_to(nonce, 'UTF8')), 'hex'))
    ON CONFLICT (pid) DO UPDATE SET backend_start = excluded.backend_start,
        nonce_sha256 = excluded.nonce_sha256, bound_tenant = NULL, actor = NULL, bound_at = NULL;
    RETURN nonce;
END $$;

-- Bind the current transaction to a tenant (and optionally an actor); raises without the nonce.
CREATE FUNCTION monthclose_bind(nonce text, tenant text, who text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF tenant IS NULL OR tenant !~ '^[A-Za-z0-9_.-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid tenant id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE app_sessions SET bound_tenant = tenant, actor = who, bound_at = now()
    WHERE pid = pg_backend_pid() AND backend_start = monthclose_backend_start()
      AND nonce_sha256 = encode(sha256(convert_to(coalesce(nonce, ''), 'UTF8')), 'hex');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this session may not bind a tenant' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Kept for the SQL that fills tenant_id from it; the policies do not trust it.
    PERFORM set_config('app.tenant_id', tenant, true);
END $$;

CREATE FUNCTION monthclose_tenant() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT bound_tenant FROM app_sessions WHERE pid = pg_backend_pid()
          AND backend_start = monthclose_backend_start() AND bound_at = now() $$;

CREATE FUNCTION monthclose_actor() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT actor FROM app_sessions WHERE pid = pg_backend_pid()
          AND backend_start = monthclose_backend_start() AND bound_at = now() $$;

REVOKE ALL ON FUNCTION monthclose_open_session(), monthclose_bind(text, text, text),
    monthclose_tenant(), monthclose_actor(), monthclose_backend_start() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION monthclose_open_session(), monthclose_bind(text, text, text),
    monthclose_tenant(), monthclose_actor() TO monthclose_app;

-- Every tenant policy checks the bound tenant. (SELECT …) makes it one InitPlan per query.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = 'public'
             AND policyname = 'tenant_isolation' ORDER BY tablename
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
                       '(tenant_id = (SELECT monthclose_tenant())) WITH CHECK '
                       '(tenant_id = (SELECT monthclose_tenant()))', t);
    END LOOP;
END $$;

-- The audit trail's hash chain.
ALTER TABLE run_events ADD COLUMN prev_hash char(64);
ALTER TABLE run_events ADD COLUMN row_hash char(64);
CREATE INDEX run_events_tenant_chain ON run_events (tenant_id, id);

CREATE FUNCTION run_event_hash(prev text, tenant text, event_id bigint, run uuid, at timestamptz,
                               actor text, kind text, stage text, entity text, message text,
                               detail jsonb) RETURNS char(64)
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog
    AS $$ SELECT encode(sha256(convert_to(jsonb_build_array(prev, tenant, event_id, run::text,
              extract(epoch FROM at), actor, kind, stage, entity, message, detail)::text, 'UTF8')), 'hex') $$;

-- Backfill the chain of the events recorded before this migration (the owner bypasses RLS while
-- it is not forced).
ALTER TABLE run_events NO FORCE ROW LEVEL SECURITY;
DO $$
DECLARE
    e record;
    previous text;
    current_tenant text;
BEGIN
    FOR e IN SELECT * FROM run_events ORDER BY tenant_id, id LOOP
        IF current_tenant IS DISTINCT FROM e.tenant_id THEN
            previous := repeat('0', 64);
            current_tenant := e.tenant_id;
        END IF;
        UPDATE run_events SET prev_hash = previous,
            row_hash = run_event_hash(previous, e.tenant_id, e.id, e.run_id, e.at, e.actor, e.kind,
                                      e.stage, e.entity_id, e.message, e.detail)
        WHERE id = e.id RETURNING row_hash INTO previous;
    END LOOP;
END $$;
ALTER TABLE run_events FORCE ROW LEVEL SECURITY;
ALTER TABLE run_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE run_events ALTER COLUMN row_hash SET NOT NULL;

CREATE FUNCTION run_events_seal() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
    AS $$
DECLARE
    previous text;
BEGIN
    NEW.at := clock_timestamp();
    NEW.actor := coalesce(monthclose_actor(), session_user::text);
    -- One writer per tenant chain at a time; ids are taken under the lock so they follow the chain.
    PERFORM pg_advisory_xact_lock(727004, hashtext(NEW.tenant_id));
    NEW.id := nextval(pg_get_serial_sequence('public.run_events', 'id'));
    SELECT row_hash INTO previous FROM run_events WHERE tenant_id = NEW.tenant_id
    ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, repeat('0', 64));
    NEW.row_hash := run_event_hash(NEW.prev_hash, NEW.tenant_id, NEW.id, NEW.run_id, NEW.at,
                                   NEW.actor, NEW.kind, NEW.stage, NEW.entity_id, NEW.message,
                                   NEW.detail);
    RETURN NEW;
END $$;
CREATE TRIGGER run_events_seal BEFORE INSERT ON run_events FOR EACH ROW EXECUTE FUNCTION run_events_seal();

CREATE FUNCTION refuse_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER run_events_append_only BEFORE UPDATE OR DELETE ON run_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER run_events_no_truncate BEFORE TRUNCATE ON run_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The one way the application appends an event: the nonce proves the caller is the process that
-- opened the session; the actor it names is bound to the session and the trigger records it.
CREATE FUNCTION monthclose_append_event(nonce text, who text, run uuid, event_kind text,
                                        event_stage text, entity text, event_message text,
                                        event_detail jsonb) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
DECLARE
    tenant text := monthclose_tenant();
    new_id bigint;
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant is bound to this transaction' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM monthclose_bind(nonce, tenant, who);
    INSERT INTO run_events (tenant_id, run_id, actor, kind, stage, entity_id, message, detail)
    VALUES (tenant, run, who, event_kind, event_stage, entity, event_message, coalesce(event_detail, '{}'))
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;
REVOKE ALL ON FUNCTION monthclose_append_event(text, text, uuid, text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION monthclose_append_event(text, text, uuid, text, text, text, text, jsonb)
    TO monthclose_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON run_events FROM monthclose_app;

-- The outputs of a COMPLETED run are sealed, and stay sealed when an adjustment cancels the run
-- (the audit trail, itself sealed, says whether it ever completed).
CREATE FUNCTION run_was_completed(run uuid, run_status text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, public
    AS $$ SELECT run_status = 'COMPLETED' OR (run_status = 'CANCELLED' AND EXISTS (
              SELECT 1 FROM run_events e WHERE e.run_id = run AND e.kind = 'transition'
              AND e.detail ->> 'to' = 'COMPLETED')) $$;

CREATE FUNCTION seal_completed_run_rows() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM close_runs r WHERE r.id = OLD.run_id AND run_was_completed(r.id, r.status)) THEN
        RAISE EXCEPTION 'run % is COMPLETED: its % rows are sealed', OLD.run_id, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['run_inputs', 'run_stages', 'trial_balances', 'account_mappings',
        'fx_rates', 'translated_balances', 'journal_entries', 'journal_lines',
        'consolidated_balances', 'consolidation_worksheet', 'consolidation_facts',
        'validation_results', 'variances', 'commentary', 'kpis', 'artifacts', 'anomalies']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION seal_completed_run_rows()', t || '_sealed', t);
        EXECUTE format('REVOKE TRUNCATE ON %I FROM monthclose_app', t);
    END LOOP;
    -- Outputs are written once per stage (outputs and done-mark in one transaction): the
    -- application never updates or deletes them. (validation_results takes waivers, fx_rates
    -- upserts fetched rates, run_stages its checkpoints: they keep UPDATE, under the trigger.)
    FOREACH t IN ARRAY ARRAY['run_inputs', 'trial_balances', 'account_mappings',
        'translated_balances', 'journal_entries', 'journal_lines', 'consolidated_balances',
        'consolidation_worksheet', 'consolidation_facts', 'variances', 'commentary', 'kpis',
        'artifacts', 'anomalies']
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE ON %I FROM monthclose_app', t);
    END LOOP;
END $$;
REVOKE DELETE ON validation_results, close_runs FROM monthclose_app;

CREATE FUNCTION seal_completed_run() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
    AS $$
DECLARE
    free_columns text[] := ARRAY['superseded_by', 'signed_off_by', 'signed_off_at', 'updated_at'];
BEGIN
    IF NOT run_was_completed(OLD.id, OLD.status) THEN
        RETURN NEW;
    END IF;
    IF OLD.status = 'COMPLETED' AND NEW.status = 'CANCELLED' THEN  -- an adjustment replaces it
        free_columns := free_columns || ARRAY['status', 'finished_at'];
    END IF;
    IF (to_jsonb(OLD) - free_columns) <> (to_jsonb(NEW) - free_columns)
       OR (OLD.superseded_by IS NOT NULL AND NEW.superseded_by IS DISTINCT FROM OLD.superseded_by)
       OR (OLD.signed_off_by IS NOT NULL AND (NEW.signed_off_by IS DISTINCT FROM OLD.signed_off_by
           OR NEW.signed_off_at IS DISTINCT FROM OLD.signed_off_at)) THEN
        RAISE EXCEPTION 'run % is %: only its sign-off and superseded_by may be set, once',
            OLD.id, OLD.status USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER close_runs_sealed BEFORE UPDATE ON close_runs FOR EACH ROW EXECUTE FUNCTION seal_completed_run();

-- The application reads which migrations ran (it refuses to start on a stale schema).
GRANT SELECT ON schema_migrations TO monthclose_app;
