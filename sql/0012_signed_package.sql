-- Issue 17: the board package is rendered again at sign-off as a second, signed edition kept
-- beside the first. A run's files are keyed by (run, edition, name), so the signed edition reuses
-- the file names of the unsigned one; rows written before this migration are the unsigned edition.
-- artifacts keeps its RLS policy, its seal trigger and its insert-only grant (0004).
ALTER TABLE artifacts ADD COLUMN edition text NOT NULL DEFAULT 'unsigned'
    CONSTRAINT artifacts_edition CHECK (edition IN ('unsigned', 'signed'));
ALTER TABLE artifacts DROP CONSTRAINT artifacts_pkey;
ALTER TABLE artifacts ADD PRIMARY KEY (run_id, edition, name);
