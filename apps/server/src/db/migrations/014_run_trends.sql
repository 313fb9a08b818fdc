-- Trends of a workflow's runs (RunTrendsStore): durations end at the run's own run.completed/run.failed event,
-- gate waits start at step.awaiting_approval. Two small partial indexes (one entry per finished run, one per gate
-- wait) find those events by run, so a range's cost follows the runs in it, not the whole event log: without
-- them PostgreSQL scanned all ~1,000,000 events of the 100,000-run benchmark for each (see `pnpm bench`, section 8).
CREATE INDEX workflow_events_run_end ON workflow_events (run_id) INCLUDE (at)
  WHERE type IN ('run.completed', 'run.failed');
CREATE INDEX workflow_events_gate_wait ON workflow_events (run_id, seq) INCLUDE (step_id, at)
  WHERE type = 'step.awaiting_approval';
