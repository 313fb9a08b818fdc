-- Trends of a workflow's runs (RunTrendsStore) read, per run in the range, the events that begin and end a wait at
-- a gate and the run's own end (durations end there, not at updated_at, which a later rollback moves). A partial
-- index holds only those (3-4 of a run's ~10 events) with what the statement reads, so a range's cost follows the
-- runs in it: without it PostgreSQL scanned all ~1,000,000 events of the 100,000-run benchmark (`pnpm bench`, 8).
CREATE INDEX workflow_events_trends ON workflow_events (run_id, seq) INCLUDE (type, step_id, at)
  WHERE type IN ('step.awaiting_approval', 'step.approved', 'step.rejected', 'step.failed',
                 'run.completed', 'run.failed', 'run.cancelled');
