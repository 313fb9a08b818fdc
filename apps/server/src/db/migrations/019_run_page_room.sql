-- Runs started together are now inserted by one statement (issue 16), so they fill a page side by side, and each
-- then updates its row some ten times within a second. At fillfactor 80 the room left on a page ran out before
-- the old row versions could be pruned, and about one update in four left the page: a non-HOT update writes an
-- entry in every index, 69 more bytes of WAL per step on PostgreSQL than when runs were inserted one at a time.
-- At 70 about half of that comes back (`pnpm bench`, throughput: 898 -> 858 bytes per step). 50 got it all back
-- (810), but approvals on PGlite (8 MB of shared buffers) then took longer: p99 144-153 ms against 81-90 at 70, in
-- alternating runs. The rows are small (the document is out of line), so the table grows by a few tens of bytes a
-- run. Pages written before keep their layout.
ALTER TABLE workflow_runs SET (fillfactor = 70);
