-- Assistant conversations. A session belongs to the user who created it (`owner` is the username).
CREATE TABLE chat_sessions (
  id uuid PRIMARY KEY,
  owner text NOT NULL,
  title text NOT NULL,
  archived boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX chat_sessions_owner ON chat_sessions (owner, archived, updated_at DESC);

-- Messages in order of `position`. Narration messages (one per step of a run started from the conversation,
-- plus one for its end) carry `narration_key` and are updated in place as the step moves.
CREATE TABLE chat_messages (
  id uuid PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY,
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content text NOT NULL,
  status text NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'error')),
  quick_actions jsonb NOT NULL DEFAULT '[]',
  workflow_cards jsonb NOT NULL DEFAULT '[]',
  tool_calls jsonb NOT NULL DEFAULT '[]',
  run_id uuid,
  narration_key text,
  -- Provider state carried to the next turn (e.g. the local assistant's pending question); never sent to clients.
  meta jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, position);
CREATE UNIQUE INDEX chat_messages_narration ON chat_messages (session_id, run_id, narration_key)
  WHERE narration_key IS NOT NULL;

-- Runs started from a conversation: narration posts their steps there, and the model sees their state.
CREATE TABLE chat_session_runs (
  run_id uuid PRIMARY KEY REFERENCES workflow_runs (id) ON DELETE CASCADE,
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL
);
CREATE INDEX chat_session_runs_session ON chat_session_runs (session_id, created_at DESC);
