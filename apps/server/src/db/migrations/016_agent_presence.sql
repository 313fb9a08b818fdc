-- Which controller holds each agent's socket, so any controller can tell whether an agent is connected and send
-- its jobs through the one that holds it. The holder writes the row when the agent says hello, renews seen_at on
-- every fleet sweep and deletes the row when the socket closes; a controller that dies stops renewing, and its
-- rows count as gone once seen_at is older than the offline threshold (any controller's sweep then deletes them).
CREATE TABLE agent_presence (
  agent_id uuid PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  controller_id text NOT NULL,
  connected_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
CREATE INDEX agent_presence_controller ON agent_presence (controller_id);

-- @socket.io/postgres-adapter: a message over NOTIFY's 8,000-byte limit (a log batch, a large run event) is stored
-- here and only its id is notified. The adapter deletes rows older than its cleanup interval; it does not create
-- the table, so the migrations do (the schema the controllers share is the one it is looked up in).
CREATE TABLE socket_io_attachments (
  id bigserial UNIQUE,
  created_at timestamptz DEFAULT now(),
  payload bytea
);
