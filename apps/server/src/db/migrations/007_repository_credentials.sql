-- Credentials given in a repository URL (`https://user:TOKEN@host/…`) live here, sealed (AES-256-GCM with the
-- controller's secret key, `v1:iv:tag:body`), never in `url`. SQL cannot seal: the controller moves user-info
-- still found in `url` here when it starts (RepositoriesService.sealStoredCredentials).
ALTER TABLE repositories ADD COLUMN credentials text;

-- Copies of such URLs already written elsewhere lose their user-info (http(s): all of it, other schemes: the
-- password). They are history, not needed to reach the host. The character classes stop at quotes and
-- backslashes, so JSON stays valid.
UPDATE jobs SET error = regexp_replace(error, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')
 WHERE error ~* 'https?://[^\s/?#"\\]*@';

UPDATE jobs SET error = regexp_replace(error, '([a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*):[^\s/?#"\\]*@', '\1@', 'gi')
 WHERE error ~* '[a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*:[^\s/?#"\\]*@';

UPDATE audit_log SET detail = regexp_replace(detail::text, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')::jsonb
 WHERE detail::text ~* 'https?://[^\s/?#"\\]*@';

UPDATE audit_log SET detail = regexp_replace(detail::text, '([a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*):[^\s/?#"\\]*@', '\1@', 'gi')::jsonb
 WHERE detail::text ~* '[a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*:[^\s/?#"\\]*@';

UPDATE workflow_runs SET doc = regexp_replace(doc::text, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')::jsonb
 WHERE doc::text ~* 'https?://[^\s/?#"\\]*@';

UPDATE workflow_runs SET doc = regexp_replace(doc::text, '([a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*):[^\s/?#"\\]*@', '\1@', 'gi')::jsonb
 WHERE doc::text ~* '[a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*:[^\s/?#"\\]*@';

UPDATE workflow_events SET detail = regexp_replace(detail::text, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')::jsonb
 WHERE detail::text ~* 'https?://[^\s/?#"\\]*@';

UPDATE workflow_events SET detail = regexp_replace(detail::text, '([a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*):[^\s/?#"\\]*@', '\1@', 'gi')::jsonb
 WHERE detail::text ~* '[a-z][a-z0-9+.-]*://[^\s/?#:@"\\]*:[^\s/?#"\\]*@';

UPDATE chat_messages SET content = regexp_replace(content, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')
 WHERE content ~* 'https?://[^\s/?#"\\]*@';

UPDATE chat_messages SET tool_calls = regexp_replace(tool_calls::text, '(https?://)[^\s/?#"\\]*@', '\1', 'gi')::jsonb
 WHERE tool_calls::text ~* 'https?://[^\s/?#"\\]*@';
