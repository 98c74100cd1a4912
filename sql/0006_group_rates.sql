-- Rates scoped per group (issue 16): a figure from a group's rates file (a file-routed pair, a
-- fallback or an override) belongs to that group and never feeds another group of the tenant;
-- rates fetched from an official source (BCB PTAX, ECB) are the same for everyone and stay shared
-- (group_id NULL), stored with their source. fx_rates keeps its row-level security and grants.
ALTER TABLE fx_rates ADD COLUMN IF NOT EXISTS group_id text;

DROP INDEX IF EXISTS fx_rates_key;
CREATE UNIQUE INDEX fx_rates_key ON fx_rates (tenant_id, period, currency, presentation_currency,
    rate_type, coalesce(entity_id, ''), coalesce(account, ''), coalesce(run_id::text, ''),
    coalesce(group_id, ''));
