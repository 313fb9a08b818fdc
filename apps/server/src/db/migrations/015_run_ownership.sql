-- Several controllers on one PostgreSQL: each registers itself here and renews a lease; a run is driven only by
-- its owner. A controller whose lease ran out (killed, paused, partitioned) loses its runs to whoever claims them,
-- and the owner column fences its commits (see SqlWorkflowStore.commit).
CREATE TABLE controllers (
  id uuid PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  -- The database's clock, never a controller's: leases compare against now() on one clock.
  lease_until timestamptz NOT NULL
);

-- NULL: nobody (a run from before this migration, or one released at a clean shutdown): the next claim takes it.
ALTER TABLE workflow_runs ADD COLUMN owner uuid;
-- Claims look up the unfinished runs of dead controllers (and of nobody) by this index, not by a scan.
CREATE INDEX workflow_runs_owner ON workflow_runs (owner) WHERE status IN ('queued', 'running', 'waiting');
