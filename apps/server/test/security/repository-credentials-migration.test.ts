import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db';
import { loadMigrations, migrate } from '../../src/db/migrate';
import { createPostgresTestDb } from '../../src/testing/test-db';

/**
 * Migration 007 on a database written before credentials were kept apart: copies of credentialed URLs in job
 * errors, the audit log, runs, their events and chat lose their user-info; the repository's own URL is left for
 * the controller to seal at start-up (SQL cannot seal). Runs on PostgreSQL, the migration path a real upgrade
 * takes; PGlite runs the same SQL on every test database it creates.
 */

const SECRET = 'S3cret-PAT-mig7';
const URL_WITH = `https://deployer:${SECRET}@git.example.com/org/app.git`;
const URL_BARE = 'https://git.example.com/org/app.git';

let db: Db;
const ids = {
  agent: randomUUID(),
  repo: randomUUID(),
  job: randomUUID(),
  run: randomUUID(),
  chat: randomUUID(),
};

beforeAll(async () => {
  db = await createPostgresTestDb({ below: 7 });
  const at = new Date().toISOString();
  await db.query(
    `INSERT INTO agents (id, hostname, environment, registered_by, created_at) VALUES ($1, 'web-01', 'staging', 'admin', $2)`,
    [ids.agent, at],
  );
  await db.query(
    `INSERT INTO repositories (id, name, url, default_ref, created_at) VALUES ($1, 'org/app', $2, 'main', $3)`,
    [ids.repo, URL_WITH, at],
  );
  await db.query(
    `INSERT INTO jobs (id, repository_id, ref, sha, agent_id, status, error, timeout_sec, created_by, created_at)
     VALUES ($1, $2, 'main', $3, $4, 'failed', $5, 60, 'admin', $6)`,
    [
      ids.job,
      ids.repo,
      'a'.repeat(40),
      ids.agent,
      `cannot fetch '${URL_WITH}/': 403; db postgres://app:pg-${SECRET}@db/x`,
      at,
    ],
  );
  await db.query(
    `INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ($1, $2, 'admin', 'repository.create', 'org/app', $3)`,
    [randomUUID(), at, JSON.stringify({ url: URL_WITH, note: 'quote " and \\ stay' })],
  );
  const doc = {
    steps: [{ id: 'validate_repository', data: { url: URL_WITH }, error: `cannot reach ${URL_WITH}` }],
  };
  await db.query(
    `INSERT INTO workflow_runs (id, name, version, status, started_by, created_at, updated_at, seq, doc)
     VALUES ($1, 'deploy_application', 1, 'failed', 'admin', $2, $2, 1, $3)`,
    [ids.run, at, JSON.stringify(doc)],
  );
  await db.query(
    `INSERT INTO workflow_events (run_id, seq, type, step_id, at, detail) VALUES ($1, 1, 'step_failed', 'validate_repository', $2, $3)`,
    [ids.run, at, JSON.stringify({ error: `cannot reach ${URL_WITH}` })],
  );
  await db.query(
    `INSERT INTO chat_sessions (id, owner, title, created_at, updated_at) VALUES ($1, 'admin', 'chat', $2, $2)`,
    [ids.chat, at],
  );
  await db.query(
    `INSERT INTO chat_messages (id, session_id, role, content, status, tool_calls, created_at, updated_at)
     VALUES ($1, $2, 'assistant', $3, 'complete', $4, $5, $5)`,
    [randomUUID(), ids.chat, `Registered ${URL_WITH}.`, JSON.stringify([{ result: { url: URL_WITH } }]), at],
  );
  await migrate(
    db,
    (await loadMigrations()).filter((m) => m.version <= 7),
  );
});

afterAll(async () => {
  await db?.close();
});

describe('migration 007', () => {
  it('removes user-info from copies of URLs, keeping the JSON valid', async () => {
    const [job] = await db.query<{ error: string }>('SELECT error FROM jobs');
    expect(job!.error).toBe(`cannot fetch '${URL_BARE}/': 403; db postgres://app@db/x`);
    const [audit] = await db.query<{ detail: unknown }>('SELECT detail FROM audit_log');
    expect(audit!.detail).toEqual({ url: URL_BARE, note: 'quote " and \\ stay' });
    const [run] = await db.query<{ doc: unknown }>('SELECT doc FROM workflow_runs');
    expect(run!.doc).toEqual({
      steps: [{ id: 'validate_repository', data: { url: URL_BARE }, error: `cannot reach ${URL_BARE}` }],
    });
    const [event] = await db.query<{ detail: unknown }>('SELECT detail FROM workflow_events');
    expect(event!.detail).toEqual({ error: `cannot reach ${URL_BARE}` });
    const [chat] = await db.query<{ content: string; tool_calls: unknown }>(
      'SELECT content, tool_calls FROM chat_messages',
    );
    expect(chat).toEqual({ content: `Registered ${URL_BARE}.`, tool_calls: [{ result: { url: URL_BARE } }] });
  });

  it("leaves the repository's URL for the controller to seal, with a column for the sealed credentials", async () => {
    const [repo] = await db.query<{ url: string; credentials: string | null }>(
      'SELECT url, credentials FROM repositories',
    );
    expect(repo).toEqual({ url: URL_WITH, credentials: null });
  });
});
