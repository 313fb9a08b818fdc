-- A transition writes what it changed, not the whole run (issue 16). Each event carries its patch (the
-- `RunPatch` of packages/shared, NULL on a run's first event); the run's row keeps a document of the run as it
-- stood at `doc_seq`, rewritten only now and then (when the patches since outweigh it, or a column the history
-- reads from it would change). A reader takes the document and applies the patches of the events after
-- `doc_seq`. NULL `doc_seq` (rows from before, or written by hand): the document is the run at `seq`.
-- `json`, not `jsonb`: a patch is written once and read back whole, never queried inside.
-- `doc_seq` changes only when the document does: a transition's update then changes a few adjacent columns, and
-- PostgreSQL logs only those (it leaves out the unchanged start and end of a row updated on its own page).
ALTER TABLE workflow_events ADD COLUMN patch json;
ALTER TABLE workflow_runs ADD COLUMN doc_seq integer;

-- Most transitions now change no indexed column and leave the document where it is, so PostgreSQL can update the
-- row in place on its page (a HOT update: no index entries written). That needs room on the page (fillfactor) and
-- the document out of the row (toast_tuple_target), so that a row version copies an 18-byte pointer to the
-- document instead of the document. Rows written before keep their layout until their next write.
ALTER TABLE workflow_runs SET (fillfactor = 80, toast_tuple_target = 128);
