-- One row per commit, not per event (issue 16). A step's completion and the starts it allows are one commit of
-- two or more events; as rows of their own each paid a tuple header, a primary-key entry and a foreign-key row
-- lock in the WAL, which made the log cost 2.2 rows per durable step against a hand-written program's one.
--
-- `seq` is the seq of the commit's last event; its events are seq - n + 1 .. seq, gap-free as before.
-- `events`: the commit's events in seq order, each `[seq, type, step_id, at, detail, patch]`, `at` in
-- milliseconds since the epoch (what a JSON number holds exactly), `patch` the RunPatch of packages/shared
-- (NULL on a run's first event). `json`, not `jsonb`: written once, read back whole.
-- `marks`: the events run trends read (a gate's wait beginning, what can end it, a run's end), each
-- `[seq, type, step_id, at]`; NULL for the ~90 % of commits that hold none. A partial index carries them, so
-- trends read an index entry per mark, as they did with migration 014's index, not every commit of a run.
-- `jsonb`: trends take four fields of each mark, which `json` would parse again for each.
--
-- No foreign key to workflow_runs: its check locked the run's row again for every row inserted (one more WAL
-- record each), and a commit row is only ever written by the statement that updates or inserts its run (the
-- INSERT selects from the run's UPDATE ... RETURNING). DeployBot never deletes a run; whoever does by hand
-- deletes its commits too.
CREATE TABLE workflow_commits (
  run_id uuid NOT NULL,
  seq integer NOT NULL,
  events json NOT NULL,
  marks jsonb,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX workflow_commits_marks ON workflow_commits (run_id, seq) INCLUDE (marks) WHERE marks IS NOT NULL;

-- The events stored so far become commits of one event each: a reader cannot tell them from newer ones.
INSERT INTO workflow_commits (run_id, seq, events, marks)
SELECT run_id, seq,
       json_build_array(json_build_array(seq, type, step_id, (extract(epoch FROM at) * 1000)::bigint, detail, patch)),
       CASE WHEN type IN ('step.awaiting_approval', 'step.approved', 'step.rejected', 'step.failed',
                          'run.completed', 'run.failed', 'run.cancelled')
            THEN jsonb_build_array(jsonb_build_array(seq, type, step_id, (extract(epoch FROM at) * 1000)::bigint))
       END
  FROM workflow_events;
DROP TABLE workflow_events;

-- Events one per row, as they were: for people and tools querying the database, and for tests. The controller
-- reads workflow_commits itself.
CREATE VIEW workflow_events AS
SELECT c.run_id,
       (e.value ->> 0)::integer AS seq,
       e.value ->> 1 AS type,
       e.value ->> 2 AS step_id,
       to_timestamp((e.value ->> 3)::float8 / 1000) AS at,
       CASE WHEN json_typeof(e.value -> 4) <> 'null' THEN (e.value -> 4)::jsonb END AS detail,
       CASE WHEN json_typeof(e.value -> 5) <> 'null' THEN e.value -> 5 END AS patch
  FROM workflow_commits c
 CROSS JOIN LATERAL json_array_elements(c.events) AS e;
