-- Runs started together are now inserted by one statement (issue 16), so they fill a page side by side, and each
-- then updates its row some ten times within a second. At fillfactor 80 the room left on a page ran out before
-- the old row versions could be pruned, and about one update in four left the page (a non-HOT update writes an
-- entry in every index: 73 more bytes of WAL per step on PostgreSQL). At 50 it is one in eleven, as it was when
-- runs were inserted one at a time. The rows are small (the document is out of line), so the table grows by a few
-- tens of bytes a run. Pages written before keep their layout.
ALTER TABLE workflow_runs SET (fillfactor = 50);
