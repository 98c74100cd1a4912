-- Impacted re-runs (issue 22): each stage checkpoint records what it was computed from, so a re-run
-- of the period can tell which entities' work it may reuse and a later period can tell that its
-- prior period's closing changed under it (stale).
--   input_digest: the sha256 of ``inputs`` (its sorted name=digest pairs);
--   inputs:       name → sha256 of each input (an entity's source files, the mapping file, the
--                 config, the rates, the prior period's closing), plus ``prior_run`` (its id);
--   parts:        entity → sha256 of that entity's share of a whole-run stage's output (MAPPING).
-- run_stages keeps its RLS policy and grants; new columns need none of their own.
ALTER TABLE run_stages
    ADD COLUMN IF NOT EXISTS input_digest char(64),
    ADD COLUMN IF NOT EXISTS inputs jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS parts jsonb NOT NULL DEFAULT '{}'::jsonb;
