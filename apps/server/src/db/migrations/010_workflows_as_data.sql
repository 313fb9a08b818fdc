-- Workflows as data: stored definitions with immutable versions, runs pinned to a definition's content hash,
-- parallel steps parked on durable waits, and the conflict guard.

-- One row per (name, version); a version is never changed. `deleted_at` stops new runs, runs in flight go on.
CREATE TABLE workflow_definitions (
  name text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  hash text NOT NULL,
  document jsonb NOT NULL,
  built_in boolean NOT NULL DEFAULT false,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (name, version)
);
CREATE INDEX workflow_definitions_hash ON workflow_definitions (hash);

ALTER TABLE workflow_runs DROP CONSTRAINT workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check
  CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'));

-- The hash of the compiled document the run executes (NULL: a run from before definitions were data).
ALTER TABLE workflow_runs ADD COLUMN definition_hash text;
-- The keys of the durable waits its parked steps hold (`job:<id>`, `agent:<hostname>`, `run:<id>`), so the event
-- that ends a wait finds its run by an index.
ALTER TABLE workflow_runs ADD COLUMN wait_keys text[];
CREATE INDEX workflow_runs_wait_keys ON workflow_runs USING gin (wait_keys) WHERE wait_keys IS NOT NULL;
-- The conflict guard: at most one active run per evaluated concurrency key, enforced here rather than by a
-- read-then-write in the engine, so two starts at once (or two controllers) cannot both win.
ALTER TABLE workflow_runs ADD COLUMN concurrency_key text;
CREATE UNIQUE INDEX workflow_runs_one_active_per_key ON workflow_runs (concurrency_key)
  WHERE concurrency_key IS NOT NULL AND status IN ('running', 'waiting');
CREATE INDEX workflow_runs_queued ON workflow_runs (concurrency_key, created_at) WHERE status = 'queued';

DROP INDEX workflow_runs_unfinished;
CREATE INDEX workflow_runs_unfinished ON workflow_runs (status) WHERE status IN ('queued', 'running', 'waiting');
