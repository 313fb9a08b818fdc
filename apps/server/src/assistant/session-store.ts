import type {
  ChatMessageDto,
  ChatSessionDto,
  QuickAction,
  ToolCallDto,
  WorkflowCard,
} from '@deploybot/shared';
import type { Db } from '../db/db';
import { AssistantError } from './errors';

interface SessionRow {
  id: string;
  owner: string;
  title: string;
  archived: boolean;
  created_at: Date;
  updated_at: Date;
}

interface MessageRow {
  id: string;
  session_id: string;
  role: ChatMessageDto['role'];
  content: string;
  status: ChatMessageDto['status'];
  quick_actions: QuickAction[];
  workflow_cards: WorkflowCard[];
  tool_calls: ToolCallDto[];
  run_id: string | null;
  narration_key: string | null;
  meta: Record<string, unknown> | null;
  created_at: Date;
}

/** A message as stored: the DTO plus what only the server uses. */
export interface StoredMessage extends ChatMessageDto {
  meta: Record<string, unknown> | null;
}

export type MessagePatch = Partial<
  Pick<
    StoredMessage,
    'content' | 'status' | 'quickActions' | 'workflowCards' | 'toolCalls' | 'runId' | 'meta'
  >
>;

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

function toSession(r: SessionRow): ChatSessionDto {
  return {
    id: r.id,
    title: r.title,
    archived: r.archived,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function toMessage(r: MessageRow): StoredMessage {
  return {
    id: r.id,
    sessionId: r.session_id,
    role: r.role,
    content: r.content,
    status: r.status,
    createdAt: iso(r.created_at),
    quickActions: r.quick_actions ?? [],
    workflowCards: r.workflow_cards ?? [],
    toolCalls: r.tool_calls ?? [],
    runId: r.run_id,
    ...(r.narration_key ? { narration: true as const } : {}),
    meta: r.meta,
  };
}

/** What clients see of a stored message. */
export function toDto(m: StoredMessage): ChatMessageDto {
  const { meta: _meta, ...dto } = m;
  return dto;
}

const notFound = (id: string) => new AssistantError('not_found', `no chat session ${id}`);

/** SQL for chat sessions, their messages and the runs started from them. */
export class ChatStore {
  constructor(private readonly db: Db) {}

  async createSession(s: { id: string; owner: string; title: string; at: string }): Promise<ChatSessionDto> {
    const [row] = await this.db.query<SessionRow>(
      `INSERT INTO chat_sessions (id, owner, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *`,
      [s.id, s.owner, s.title, s.at],
    );
    return toSession(row!);
  }

  /** The owner's session; someone else's is "not found", exactly like a missing one. */
  async session(owner: string, id: string): Promise<ChatSessionDto> {
    const [row] = await this.db.query<SessionRow>(
      'SELECT * FROM chat_sessions WHERE id = $1 AND owner = $2',
      [id, owner],
    );
    if (!row) throw notFound(id);
    return toSession(row);
  }

  async ownerOf(id: string): Promise<string | null> {
    const [row] = await this.db.query<{ owner: string }>('SELECT owner FROM chat_sessions WHERE id = $1', [
      id,
    ]);
    return row?.owner ?? null;
  }

  async listSessions(owner: string, q: { archived: 'true' | 'false' | 'all'; limit: number }) {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM chat_sessions WHERE owner = $1 AND ($2 = 'all' OR archived = ($2 = 'true'))
        ORDER BY updated_at DESC, id LIMIT $3`,
      [owner, q.archived, q.limit],
    );
    return rows.map(toSession);
  }

  async updateSession(
    owner: string,
    id: string,
    patch: { title?: string; archived?: boolean },
    at: string,
  ): Promise<ChatSessionDto> {
    const [row] = await this.db.query<SessionRow>(
      `UPDATE chat_sessions SET title = COALESCE($3, title), archived = COALESCE($4, archived), updated_at = $5
        WHERE id = $1 AND owner = $2 RETURNING *`,
      [id, owner, patch.title ?? null, patch.archived ?? null, at],
    );
    if (!row) throw notFound(id);
    return toSession(row);
  }

  async touchSession(id: string, at: string): Promise<void> {
    await this.db.query('UPDATE chat_sessions SET updated_at = $2 WHERE id = $1', [id, at]);
  }

  async deleteSession(owner: string, id: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM chat_sessions WHERE id = $1 AND owner = $2 RETURNING id', [
      id,
      owner,
    ]);
    if (rows.length === 0) throw notFound(id);
  }

  async insertMessage(m: StoredMessage, narrationKey: string | null = null): Promise<StoredMessage> {
    const [row] = await this.db.query<MessageRow>(
      `INSERT INTO chat_messages (id, session_id, role, content, status, quick_actions, workflow_cards, tool_calls,
                                  run_id, narration_key, meta, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *`,
      [
        m.id,
        m.sessionId,
        m.role,
        m.content,
        m.status,
        JSON.stringify(m.quickActions),
        JSON.stringify(m.workflowCards),
        JSON.stringify(m.toolCalls),
        m.runId,
        narrationKey,
        m.meta && JSON.stringify(m.meta),
        m.createdAt,
      ],
    );
    return toMessage(row!);
  }

  async updateMessage(id: string, patch: MessagePatch, at: string): Promise<StoredMessage | null> {
    const [row] = await this.db.query<MessageRow>(
      `UPDATE chat_messages SET
         content = COALESCE($2, content),
         status = COALESCE($3, status),
         quick_actions = COALESCE($4, quick_actions),
         workflow_cards = COALESCE($5, workflow_cards),
         tool_calls = COALESCE($6, tool_calls),
         run_id = COALESCE($7, run_id),
         meta = COALESCE($8, meta),
         updated_at = $9
       WHERE id = $1 RETURNING *`,
      [
        id,
        patch.content ?? null,
        patch.status ?? null,
        patch.quickActions ? JSON.stringify(patch.quickActions) : null,
        patch.workflowCards ? JSON.stringify(patch.workflowCards) : null,
        patch.toolCalls ? JSON.stringify(patch.toolCalls) : null,
        patch.runId ?? null,
        patch.meta ? JSON.stringify(patch.meta) : null,
        at,
      ],
    );
    return row ? toMessage(row) : null;
  }

  /** The latest `limit` messages of a session, oldest first. */
  async messages(sessionId: string, limit: number): Promise<StoredMessage[]> {
    const rows = await this.db.query<MessageRow>(
      `SELECT * FROM (SELECT * FROM chat_messages WHERE session_id = $1 ORDER BY position DESC LIMIT $2) m
        ORDER BY position`,
      [sessionId, limit],
    );
    return rows.map(toMessage);
  }

  /**
   * The narration message for one step (or the end) of a run: created the first time, updated in place after.
   * Returns null when nothing changed, or when the session was deleted meanwhile.
   */
  async upsertNarration(
    sessionId: string,
    runId: string,
    key: string,
    m: {
      id: string;
      content: string;
      status: ChatMessageDto['status'];
      quickActions: QuickAction[];
      at: string;
    },
  ): Promise<StoredMessage | null> {
    const [row] = await this.db.query<MessageRow>(
      `INSERT INTO chat_messages (id, session_id, role, content, status, quick_actions, run_id, narration_key,
                                  created_at, updated_at)
       SELECT $1, $2, 'assistant', $3, $4, $5, $6, $7, $8, $8
        WHERE EXISTS (SELECT 1 FROM chat_sessions WHERE id = $2)
       ON CONFLICT (session_id, run_id, narration_key) WHERE narration_key IS NOT NULL
       DO UPDATE SET content = EXCLUDED.content, status = EXCLUDED.status,
                     quick_actions = EXCLUDED.quick_actions, updated_at = EXCLUDED.updated_at
         WHERE chat_messages.content IS DISTINCT FROM EXCLUDED.content
            OR chat_messages.status IS DISTINCT FROM EXCLUDED.status
            OR chat_messages.quick_actions IS DISTINCT FROM EXCLUDED.quick_actions
       RETURNING *`,
      [m.id, sessionId, m.content, m.status, JSON.stringify(m.quickActions), runId, key, m.at],
    );
    if (row) await this.touchSession(sessionId, m.at);
    return row ? toMessage(row) : null;
  }

  async linkRun(sessionId: string, runId: string, at: string): Promise<void> {
    await this.db.query(
      `INSERT INTO chat_session_runs (run_id, session_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (run_id) DO NOTHING`,
      [runId, sessionId, at],
    );
  }

  async sessionOfRun(runId: string): Promise<string | null> {
    const [row] = await this.db.query<{ session_id: string }>(
      'SELECT session_id FROM chat_session_runs WHERE run_id = $1',
      [runId],
    );
    return row?.session_id ?? null;
  }

  /** Runs started from the session, newest first. */
  async runIds(sessionId: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ run_id: string }>(
      'SELECT run_id FROM chat_session_runs WHERE session_id = $1 ORDER BY created_at DESC, run_id LIMIT $2',
      [sessionId, limit],
    );
    return rows.map((r) => r.run_id);
  }

  /** Replies left `streaming` by a controller that died mid-answer: they will never finish. */
  async failInterrupted(at: string): Promise<number> {
    const rows = await this.db.query(
      `UPDATE chat_messages SET status = 'error',
              content = content || CASE WHEN content = '' THEN '' ELSE E'\n\n' END || '⚠ Interrupted by a controller restart.',
              updated_at = $1
        WHERE status = 'streaming' AND narration_key IS NULL RETURNING id`,
      [at],
    );
    return rows.length;
  }
}
