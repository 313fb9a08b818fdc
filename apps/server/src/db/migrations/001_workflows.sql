-- Workflow runs: one row per run, the run's whole state (context and step records) as jsonb.
CREATE TABLE workflow_runs (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'cancelled')),
  current_step text,
  started_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- When the step the run waits on expires; NULL when it has no deadline or the run is not waiting.
  deadline_at timestamptz,
  -- Seq of the last event; every transition bumps it by one (optimistic concurrency).
  seq integer NOT NULL,
  doc jsonb NOT NULL
);

CREATE INDEX workflow_runs_unfinished ON workflow_runs (status) WHERE status IN ('running', 'waiting');
CREATE INDEX workflow_runs_deadline ON workflow_runs (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX workflow_runs_created ON workflow_runs (created_at DESC);

-- Append-only: one row per committed transition, seq gap-free per run.
CREATE TABLE workflow_events (
  run_id uuid NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  type text NOT NULL,
  step_id text,
  at timestamptz NOT NULL,
  detail jsonb,
  PRIMARY KEY (run_id, seq)
);
