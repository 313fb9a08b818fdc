-- Deploy agents. Online/offline is derived from heartbeat freshness, not stored.
CREATE TABLE agents (
  id uuid PRIMARY KEY,
  hostname text NOT NULL UNIQUE,
  environment text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}',
  draining boolean NOT NULL DEFAULT false,
  -- sha256 of the long-lived credential; the credential itself is never stored.
  credential_hash text UNIQUE,
  info jsonb,
  address text,
  last_heartbeat_at timestamptz,
  connected_at timestamptz,
  disconnected_at timestamptz,
  registered_by text NOT NULL,
  run_id uuid,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);

-- One-time, expiring enrollment tokens, stored hashed.
CREATE TABLE join_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  hostname text NOT NULL,
  run_id uuid,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE agent_heartbeats (
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  load real NOT NULL,
  running_jobs integer NOT NULL
);
CREATE INDEX agent_heartbeats_agent_at ON agent_heartbeats (agent_id, at DESC);

CREATE TABLE repositories (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  url text NOT NULL,
  default_ref text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  repository_id uuid NOT NULL REFERENCES repositories (id),
  ref text NOT NULL,
  sha text NOT NULL,
  agent_id uuid NOT NULL REFERENCES agents (id),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'cancelled')),
  exit_code integer,
  error text,
  cause text,
  step text,
  release_dir text,
  attempt integer NOT NULL DEFAULT 1,
  retry_of uuid REFERENCES jobs (id),
  idempotency_key text UNIQUE,
  run_id uuid,
  timeout_sec integer NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  -- When the agent running it was last seen disconnected; the job is declared lost after a grace period.
  lost_since timestamptz
);
CREATE INDEX jobs_agent_status ON jobs (agent_id, status);
CREATE INDEX jobs_status_created ON jobs (status, created_at DESC);
CREATE INDEX jobs_finished ON jobs (finished_at DESC) WHERE finished_at IS NOT NULL;

CREATE TABLE job_logs (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  stream text NOT NULL,
  line text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (job_id, seq)
);
