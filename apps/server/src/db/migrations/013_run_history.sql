-- Run history: keyset pages newest first, filtered by workflow, starter, repository and agent, at 100,000 runs.

-- What the history filters and searches on, kept by the database from the run's document: a stored generated
-- column is filled for every existing row by this ALTER and follows every write without the store naming it.
-- The repository is the run's `repository` input; the agent the one it chose (`agent_hostname`, a deploy's
-- output) or enrolls (`hostname`, register_agent's input). Only string values: a sealed secret (an object) that
-- a template happened to name so is never copied out of the document.
ALTER TABLE workflow_runs ADD COLUMN title text GENERATED ALWAYS AS (doc ->> 'title') STORED;
ALTER TABLE workflow_runs ADD COLUMN repository text GENERATED ALWAYS AS (
  CASE WHEN jsonb_typeof(doc -> 'context' -> 'repository') = 'string' THEN doc -> 'context' ->> 'repository' END
) STORED;
ALTER TABLE workflow_runs ADD COLUMN agent text GENERATED ALWAYS AS (
  CASE
    WHEN jsonb_typeof(doc -> 'context' -> 'agent_hostname') = 'string' THEN doc -> 'context' ->> 'agent_hostname'
    WHEN jsonb_typeof(doc -> 'context' -> 'hostname') = 'string' THEN doc -> 'context' ->> 'hostname'
  END
) STORED;

-- One order for every page: (created_at, id) descending, so a cursor names one row exactly.
DROP INDEX workflow_runs_created;
CREATE INDEX workflow_runs_created ON workflow_runs (created_at DESC, id DESC);
-- A filter with few matches walks its own index in page order instead of the whole table.
CREATE INDEX workflow_runs_name_created ON workflow_runs (name, created_at DESC, id DESC);
CREATE INDEX workflow_runs_started_by_created ON workflow_runs (started_by, created_at DESC, id DESC);
CREATE INDEX workflow_runs_repository_created ON workflow_runs (repository, created_at DESC, id DESC)
  WHERE repository IS NOT NULL;
CREATE INDEX workflow_runs_agent_created ON workflow_runs (agent, created_at DESC, id DESC)
  WHERE agent IS NOT NULL;

-- A run's timeline names who cancelled it from the audit log, found by the run's id.
CREATE INDEX audit_log_target ON audit_log (target, at) WHERE target IS NOT NULL;
