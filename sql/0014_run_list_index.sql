-- The run list (REST, web page, MCP) shows a tenant's runs newest first and pages by keyset on
-- (created_at, id): this index hands them over in that order, so a page reads its rows and stops,
-- whatever the number of runs; a filter on status is checked on the same rows.
CREATE INDEX IF NOT EXISTS close_runs_newest ON close_runs (tenant_id, created_at DESC, id DESC);
