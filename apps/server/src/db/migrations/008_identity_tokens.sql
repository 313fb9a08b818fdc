-- A deleted user stays as a tombstone: its name is never given to anyone else, so the runs it started, the
-- decisions it made, its chat sessions and its audit entries keep naming one person.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;

-- Personal API tokens may carry an expiry; NULL means until revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
