-- Rollback on the fleet: a job either deploys (a new release, named after the job) or activates a release already
-- on its agent. An activation copies ref and sha from the deploy that made its release, so "what runs where"
-- (GET /v1/hosts) reads the same from both.
ALTER TABLE jobs ADD COLUMN action text NOT NULL DEFAULT 'deploy' CHECK (action IN ('deploy', 'activate'));
-- The release an activation switches to (NULL for a deploy, whose release is named after its own id).
ALTER TABLE jobs ADD COLUMN target_release text;
ALTER TABLE jobs ADD CONSTRAINT jobs_target_release_check
  CHECK ((action = 'activate') = (target_release IS NOT NULL));
-- An activation switches only while `current` still points at this release (NULL: whatever it points at).
ALTER TABLE jobs ADD COLUMN only_if_current text;
-- What `current` pointed at before a successful job switched it, as its agent reported: what undoing it goes back
-- to. NULL: there was none, or the agent predates the report.
ALTER TABLE jobs ADD COLUMN previous_release text;
