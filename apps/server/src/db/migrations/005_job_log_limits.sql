-- What a job's log holds, kept on the job so that its cap is checked without counting rows on every batch.
ALTER TABLE jobs ADD COLUMN log_lines integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN log_bytes bigint NOT NULL DEFAULT 0;
-- The seq of the marker line written when the log reached its cap; no line of the job is stored after it.
ALTER TABLE jobs ADD COLUMN log_capped_at integer;
UPDATE jobs SET log_lines = t.n, log_bytes = t.b
  FROM (SELECT job_id, count(*)::int AS n, coalesce(sum(octet_length(line)), 0)::bigint AS b
          FROM job_logs GROUP BY job_id) t
 WHERE t.job_id = jobs.id;
