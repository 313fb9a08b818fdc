-- A group commit's events are stored together, in one compressed row, not one row per event (issue 16).
--
-- Before, each event was a row of its own: a step's completion and the start it allows were two rows, each with
-- a tuple header, a primary-key entry and a foreign-key row lock in the WAL, plus its patch as plain text. The
-- events of ~100 runs committed together are similar JSON (the same keys, step ids, timestamps a millisecond
-- apart): as one row PostgreSQL compresses them (past about 2 KB a value is compressed), about 6:1.
--
-- workflow_batches: one row per group commit; `commits` holds each of its commits' events, a JSON array per
-- commit of `[seq, type, step_id, at, detail, patch]`, `at` in milliseconds since the epoch, `patch` the RunPatch
-- of packages/shared (NULL on a run's first event). `jsonb`: a reader takes one commit out of the array without
-- parsing the others.
CREATE TABLE workflow_batches (
  id bigserial PRIMARY KEY,
  commits jsonb NOT NULL
);

-- workflow_commits: where a run's commits are. One row per commit: `seq` is its last event's seq (its events are
-- gap-free, as before), `pos` its place in its batch's `commits`. `marks`: the events run trends read (a gate's
-- wait beginning, what can end it, a run's end), each `[seq, type, step_id, at]`, NULL for the ~90 % of commits
-- that hold none; a partial index carries them, so trends read an index entry per mark.
--
-- No foreign keys: the check locked the run's row again for every row inserted (one more WAL record each), and a
-- commit row is only ever written by the statement that updates or inserts its run, with its batch. DeployBot never
-- deletes a run; whoever does by hand deletes its commits too (and batches no commit points to).
CREATE TABLE workflow_commits (
  run_id uuid NOT NULL,
  seq integer NOT NULL,
  batch_id bigint NOT NULL,
  pos integer NOT NULL,
  marks jsonb,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX workflow_commits_marks ON workflow_commits (run_id, seq) INCLUDE (marks) WHERE marks IS NOT NULL;

-- The events stored so far: each run's become one batch, an event per commit, which a reader cannot tell from newer
-- ones.
CREATE TEMPORARY TABLE migrated_batches ON COMMIT DROP AS
  SELECT run_id, nextval('workflow_batches_id_seq') AS batch_id FROM (SELECT DISTINCT run_id FROM workflow_events) r;
INSERT INTO workflow_batches (id, commits)
SELECT b.batch_id,
       jsonb_agg(jsonb_build_array(jsonb_build_array(
         e.seq, e.type, e.step_id, (extract(epoch FROM e.at) * 1000)::bigint, e.detail, e.patch::jsonb)) ORDER BY e.seq)
  FROM workflow_events e JOIN migrated_batches b USING (run_id)
 GROUP BY b.batch_id;
INSERT INTO workflow_commits (run_id, seq, batch_id, pos, marks)
SELECT e.run_id, e.seq, b.batch_id, (row_number() OVER (PARTITION BY e.run_id ORDER BY e.seq) - 1)::integer,
       CASE WHEN e.type IN ('step.awaiting_approval', 'step.approved', 'step.rejected', 'step.failed',
                            'run.completed', 'run.failed', 'run.cancelled')
            THEN jsonb_build_array(jsonb_build_array(e.seq, e.type, e.step_id, (extract(epoch FROM e.at) * 1000)::bigint))
       END
  FROM workflow_events e JOIN migrated_batches b USING (run_id);
DROP TABLE workflow_events;

-- Events one per row, as they were: for people and tools querying the database, and for tests. The controller
-- reads workflow_commits and workflow_batches itself.
CREATE VIEW workflow_events AS
SELECT c.run_id,
       (e.value ->> 0)::integer AS seq,
       e.value ->> 1 AS type,
       e.value ->> 2 AS step_id,
       to_timestamp((e.value ->> 3)::float8 / 1000) AS at,
       CASE WHEN jsonb_typeof(e.value -> 4) <> 'null' THEN e.value -> 4 END AS detail,
       CASE WHEN jsonb_typeof(e.value -> 5) <> 'null' THEN (e.value -> 5)::json END AS patch
  FROM workflow_commits c
  JOIN workflow_batches b ON b.id = c.batch_id
 CROSS JOIN LATERAL jsonb_array_elements(b.commits -> c.pos) AS e;
