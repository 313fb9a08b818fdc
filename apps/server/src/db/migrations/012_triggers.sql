-- Triggers: schedules (cron), fleet and workflow events, and signed webhooks that start workflows.
CREATE TABLE triggers (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  workflow text NOT NULL,
  -- A pinned version, or NULL: the latest when it fires.
  version integer CHECK (version >= 1),
  -- Start inputs; string values may hold `${{ }}` over `event`; literal values of secret inputs sealed.
  inputs jsonb NOT NULL,
  -- `{ type: cron, expression, timezone, missed }`, `{ type: event, on, filter? }` or `{ type: webhook }`.
  source jsonb NOT NULL,
  -- A webhook's HMAC secret, sealed with the controller's secret key (`v1:iv:tag:body`); NULL for other sources.
  secret text,
  enabled boolean NOT NULL,
  -- Why it is disabled when it disabled itself (its rate limit).
  paused_reason text,
  -- Firings per minute before it pauses itself.
  rate_limit integer NOT NULL CHECK (rate_limit >= 1),
  -- Cron slots before this are not the trigger's to fire (it was created, enabled or rescheduled after them).
  active_since timestamptz NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- One row per firing, started or not. The run a firing starts has an id derived from the firing's key, so the
-- primary key of workflow_runs is what lets one start per key win (several controllers, restarts); the index
-- below keeps one decision per key here too, and later sightings of the key are rows of their own
-- (`deduplicated`).
CREATE TABLE trigger_firings (
  id uuid PRIMARY KEY,
  trigger_id uuid NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
  key text NOT NULL,
  -- The scheduled slot (cron) or when the event or delivery was received.
  at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('started', 'queued', 'deduplicated', 'conflict', 'disabled',
                                           'filtered', 'loop', 'rate_limited', 'missed', 'failed')),
  reason text,
  run_id uuid,
  event_type text NOT NULL,
  event_id text NOT NULL
);
CREATE UNIQUE INDEX trigger_firings_one_decision ON trigger_firings (key) WHERE outcome <> 'deduplicated';
CREATE INDEX trigger_firings_recent ON trigger_firings (trigger_id, recorded_at DESC);
CREATE INDEX trigger_firings_slots ON trigger_firings (trigger_id, at DESC);
CREATE INDEX trigger_firings_run ON trigger_firings (run_id) WHERE run_id IS NOT NULL;
