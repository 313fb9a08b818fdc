-- Who cancelled a job and why ("cancelled by alice: wrong ref"), written when the cancel is asked for: the agent
-- reports the end later, possibly to another controller, and the job then ends with these words as its error.
ALTER TABLE jobs ADD COLUMN cancel_reason text;
