-- Row-level security on every tenant table, forced so the owner is subject to it too, and the
-- application role: it owns nothing, sees only its tenant (app.tenant_id, set with SET LOCAL per
-- transaction) and may only append to the audit trail.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'monthclose_app') THEN
        CREATE ROLE monthclose_app NOLOGIN;
    END IF;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['groups', 'entities', 'standard_accounts', 'close_runs', 'run_inputs',
        'run_stages', 'run_events', 'trial_balances', 'account_mappings', 'fx_rates',
        'translated_balances', 'journal_entries', 'journal_lines', 'consolidated_balances',
        'consolidation_worksheet', 'consolidation_facts', 'validation_results', 'variances',
        'commentary', 'kpis', 'artifacts', 'period_locks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
                       '(tenant_id = current_setting(''app.tenant_id'', true)) WITH CHECK '
                       '(tenant_id = current_setting(''app.tenant_id'', true))', t);
        IF t = 'run_events' THEN
            EXECUTE format('GRANT SELECT, INSERT ON %I TO monthclose_app', t);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO monthclose_app', t);
        END IF;
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO monthclose_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO monthclose_app;
REVOKE UPDATE, DELETE, TRUNCATE ON run_events FROM monthclose_app;
-- The migrating user assumes the application role for every session of the application.
GRANT monthclose_app TO CURRENT_USER;
