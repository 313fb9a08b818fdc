-- The fleet sweeper deletes heartbeat history past its retention window across all agents: find it by time.
CREATE INDEX agent_heartbeats_at ON agent_heartbeats (at);
