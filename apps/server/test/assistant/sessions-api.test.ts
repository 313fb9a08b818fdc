import type { AiStatusDto, ChatMessageDto, ChatReplyDto, ChatSessionDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, expectError, expectFieldError } from '../helpers/http-client';
import { type AssistantServer, startAssistantServer } from './support/assistant-server';

let s: AssistantServer;
let alice: ApiClient;
let bob: ApiClient;
const SESSIONS = '/v1/ai/sessions';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

beforeAll(async () => {
  s = await startAssistantServer();
  alice = s.as('alice');
  bob = s.as('bob');
});
afterAll(async () => {
  await s?.close();
});

async function create(api: ApiClient, body: object = {}): Promise<ChatSessionDto> {
  const res = await api.post<ChatSessionDto>(SESSIONS, body);
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('GET /v1/ai/status', () => {
  it('says which provider answers', async () => {
    const res = await alice.get<AiStatusDto>('/v1/ai/status');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ provider: 'local', model: null, fallback: null, ready: true, reason: null });
  });
});

describe('chat sessions', () => {
  it('creates, reads, renames, archives, unarchives and deletes a session', async () => {
    const session = await create(alice);
    expect(session).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'New conversation',
      archived: false,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect((await alice.get(`${SESSIONS}/${session.id}`)).body).toEqual(session);

    const renamed = await alice.request<ChatSessionDto>('PATCH', `${SESSIONS}/${session.id}`, {
      title: 'Prod rollout',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: session.id, title: 'Prod rollout', archived: false });

    const archived = await alice.post<ChatSessionDto>(`${SESSIONS}/${session.id}/archive`);
    expect(archived.body.archived).toBe(true);
    const list = async (q: string) =>
      (await alice.get<{ sessions: ChatSessionDto[] }>(`${SESSIONS}${q}`)).body.sessions.map((x) => x.id);
    expect(await list('')).not.toContain(session.id);
    expect(await list('?archived=true')).toContain(session.id);
    expect(await list('?archived=all')).toContain(session.id);

    const back = await alice.post<ChatSessionDto>(`${SESSIONS}/${session.id}/unarchive`);
    expect(back.body.archived).toBe(false);
    expect(await list('')).toContain(session.id);

    const viaRename = await alice.post<ChatSessionDto>(`${SESSIONS}/${session.id}/rename`, {
      title: 'Renamed',
    });
    expect(viaRename.body.title).toBe('Renamed');
    const viaPatch = await alice.request<ChatSessionDto>('PATCH', `${SESSIONS}/${session.id}`, {
      archived: true,
    });
    expect(viaPatch.body).toMatchObject({ title: 'Renamed', archived: true });

    expect((await alice.request('DELETE', `${SESSIONS}/${session.id}`)).status).toBe(204);
    expectError(await alice.get(`${SESSIONS}/${session.id}`), 404, 'not_found');
    expect(await list('?archived=all')).not.toContain(session.id);
  });

  it('creates a session with a title, and lists the most recently active first', async () => {
    const older = await create(alice, { title: 'Older' });
    const newer = await create(alice, { title: 'Newer' });
    const ids = (await alice.get<{ sessions: ChatSessionDto[] }>(SESSIONS)).body.sessions.map((x) => x.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    // A message makes a session the most recent.
    await alice.post('/v1/ai/chat', { message: 'hello', session_id: older.id });
    const after = (await alice.get<{ sessions: ChatSessionDto[] }>(SESSIONS)).body.sessions.map((x) => x.id);
    expect(after.indexOf(older.id)).toBeLessThan(after.indexOf(newer.id));
    expect((await alice.get<{ sessions: unknown[] }>(`${SESSIONS}?limit=1`)).body.sessions).toHaveLength(1);
  });

  it('shows a session only to the user who created it; to anyone else it does not exist', async () => {
    const mine = await create(alice, { title: 'Alice only' });
    const theirs = (await bob.get<{ sessions: ChatSessionDto[] }>(`${SESSIONS}?archived=all`)).body.sessions;
    expect(theirs.map((x) => x.id)).not.toContain(mine.id);
    const adminList = (await s.api.get<{ sessions: ChatSessionDto[] }>(`${SESSIONS}?archived=all`)).body
      .sessions;
    expect(adminList.map((x) => x.id)).not.toContain(mine.id);
    for (const res of [
      await bob.get(`${SESSIONS}/${mine.id}`),
      await bob.get(`${SESSIONS}/${mine.id}/history`),
      await bob.request('PATCH', `${SESSIONS}/${mine.id}`, { title: 'mine now' }),
      await bob.post(`${SESSIONS}/${mine.id}/archive`),
      await bob.post(`${SESSIONS}/${mine.id}/rename`, { title: 'x' }),
      await bob.post(`${SESSIONS}/${mine.id}/runs?workflow_name=health_check`, {}),
      await bob.request('DELETE', `${SESSIONS}/${mine.id}`),
      await bob.post('/v1/ai/chat', { message: 'hi', session_id: mine.id }),
    ]) {
      expect(expectError(res, 404, 'not_found').message).toBe(`no chat session ${mine.id}`);
    }
    expect((await alice.get<ChatSessionDto>(`${SESSIONS}/${mine.id}`)).body.title).toBe('Alice only');
  });

  it('refuses bad input with 400 naming the field, and unauthenticated calls with 401', async () => {
    const session = await create(alice);
    expectFieldError(await alice.post(SESSIONS, { title: '' }), 'title');
    expectFieldError(await alice.post(SESSIONS, { name: 'x' }), 'name');
    expectFieldError(await alice.get(`${SESSIONS}/not-a-uuid`), 'params');
    expectFieldError(await alice.get(`${SESSIONS}?archived=maybe`), 'query.archived');
    expectFieldError(await alice.get(`${SESSIONS}?limit=0`), 'query.limit');
    expectFieldError(
      await alice.request('PATCH', `${SESSIONS}/${session.id}`, { archived: 'yes' }),
      'archived',
    );
    expectFieldError(await alice.request('PATCH', `${SESSIONS}/${session.id}`, { pinned: true }), 'pinned');
    expectFieldError(await alice.post(`${SESSIONS}/${session.id}/rename`, {}), 'title');
    expectFieldError(await alice.post('/v1/ai/chat', { message: '' }), 'message');
    expectFieldError(await alice.post('/v1/ai/chat', { message: 'hi', session_id: 'x' }), 'session_id');
    expectFieldError(await alice.post('/v1/ai/chat', { message: 'x'.repeat(8001) }), 'message');
    expectFieldError(await alice.post('/v1/ai/chat', { message: 'hi', stream: true }), 'stream');
    expectFieldError(await alice.post('/v1/ai/chat', { message: 'nul \u0000 byte' }), 'message');
    expectFieldError(await alice.post('/v1/ai/chat', { message: 'lone \ud83d surrogate' }), 'message');
    expectFieldError(await alice.post(SESSIONS, { title: 'a\u0000b' }), 'title');
    expectFieldError(await alice.post(`${SESSIONS}/${session.id}/rename`, { title: '\udc00' }), 'title');
    expectError(await alice.get(`${SESSIONS}/${crypto.randomUUID()}`), 404, 'not_found');
    const anonymous = apiClient(s.url, '');
    expectError(await anonymous.get(SESSIONS), 401, 'unauthorized');
    expectError(await anonymous.post('/v1/ai/chat', { message: 'hi' }), 401, 'unauthorized');
  });
});

describe('deleting a session', () => {
  it('removes its messages and stops narrating its runs there', async () => {
    const session = await create(alice);
    const run = await alice.post<{ id: string }>(
      `${SESSIONS}/${session.id}/runs?workflow_name=two_gates`,
      {},
    );
    await alice.waitForRun(run.body.id, (r) => r.status === 'waiting', 'gate');
    await s.app.assistant.narrator.idle();
    expect((await alice.request('DELETE', `${SESSIONS}/${session.id}`)).status).toBe(204);
    expect((await alice.post(`/v1/ai/workflows/${run.body.id}/cancel`, {})).status).toBe(200);
    await s.app.assistant.narrator.idle();
    const rows = await s.db.query('SELECT id FROM chat_messages WHERE session_id = $1', [session.id]);
    expect(rows).toEqual([]);
  });
});

describe('POST /v1/ai/chat (clients without sockets)', () => {
  it('creates a session when none is given, stores both messages and answers with the finished reply', async () => {
    const res = await alice.post<ChatReplyDto>('/v1/ai/chat', { message: 'Show workflows' });
    expect(res.status, res.text).toBe(200);
    const { session, userMessage, reply } = res.body;
    expect(session.title).toBe('Show workflows');
    expect(userMessage).toMatchObject({ sessionId: session.id, role: 'user', content: 'Show workflows' });
    expect(reply).toMatchObject({ sessionId: session.id, role: 'assistant', status: 'complete' });
    expect(reply.content).toMatch(/^Here are the workflows I can start for you:/);
    expect(reply.workflowCards.map((c) => c.name)).toContain('deploy_application');
    expect(reply.toolCalls).toEqual([
      expect.objectContaining({ name: 'list_workflow_definitions', arguments: {}, error: null }),
    ]);

    const again = await alice.post<ChatReplyDto>('/v1/ai/chat', {
      message: 'which agents are offline?',
      session_id: session.id,
    });
    expect(again.body.reply.content).toMatch(/No agents are registered yet/);
    const history = await alice.get<{ messages: ChatMessageDto[] }>(`${SESSIONS}/${session.id}/history`);
    expect(history.body.messages.map((m) => [m.role, m.content.slice(0, 20)])).toEqual([
      ['user', 'Show workflows'],
      ['assistant', 'Here are the workflo'],
      ['user', 'which agents are off'],
      ['assistant', 'No agents are regist'],
    ]);
    const latest = await alice.get<{ messages: ChatMessageDto[] }>(
      `${SESSIONS}/${session.id}/history?limit=1`,
    );
    expect(latest.body.messages).toEqual([history.body.messages[3]]);
    // The session's own title is kept once it has one.
    expect((await alice.get<ChatSessionDto>(`${SESSIONS}/${session.id}`)).body.title).toBe('Show workflows');
  });

  it('links a run started for the session and narrates it there', async () => {
    const session = await create(alice);
    const started = await alice.post<{ id: string; startedBy: string }>(
      `${SESSIONS}/${session.id}/runs?workflow_name=health_check`,
      {},
    );
    expect(started.status).toBe(201);
    expect(started.body.startedBy).toBe('alice');
    expectFieldError(await alice.post(`${SESSIONS}/${session.id}/runs`, {}), 'query.workflow_name');
    const deadline = Date.now() + 30_000;
    let messages: ChatMessageDto[] = [];
    while (Date.now() < deadline) {
      messages = (await alice.get<{ messages: ChatMessageDto[] }>(`${SESSIONS}/${session.id}/history`)).body
        .messages;
      if (messages.some((m) => m.content.startsWith('✅'))) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(messages.map((m) => m.content.split('\n')[0]!.slice(0, 40))).toEqual([
      // What a step produced is shown as code (issue 10, finding 10).
      '**Step 1/4: Check all agents** ✓ `No age',
      '**Step 2/4: Check running jobs** ✓ `0 jo',
      '**Step 3/4: Analyse metrics** ✓ `1h: 0 j',
      '**Step 4/4: Generate report** ✓ `Report ',
      '✅ **Check system health** completed (4/4',
    ]);
    for (const m of messages) expect(m.runId).toBe(started.body.id);
  });
});
