import type { AuditEntryDto, WorkflowRun } from '@deploybot/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import type { PgliteDb } from '../src/db/pglite-db';
import type { WorkflowDefinition } from '../src/engine/types';
import { DEFAULT_FLEET_OPTIONS } from '../src/fleet/fleet';
import { createPgliteTestDb } from '../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../src/testing/test-security';
import { testWorkflows } from './fixtures/test-workflows';
import { type ApiClient, apiClient, expectError, isStatus, WORKFLOWS } from './helpers/http-client';

const SECRET = 'rerun-sealed-Pa55word';

/** A workflow with a secret input whose step proves, without echoing it, that it saw the right value. */
const sealedCheck: WorkflowDefinition = {
  name: 'sealed_check',
  title: 'Sealed check',
  description: 'Checks a secret input against the expected value.',
  version: 1,
  inputs: [
    { key: 'label', label: 'Label', type: 'text', required: true },
    { key: 'password', label: 'Password', type: 'secret', required: true },
  ],
  steps: [
    {
      id: 'check',
      title: 'Check',
      description: 'Compares the secret.',
      kind: 'automatic',
      run: async (ctx) => ({
        summary: `checked ${String(ctx.context.label)}`,
        data: { secretSeen: ctx.context.password === SECRET },
      }),
    },
  ],
};

let app: App;
let db: PgliteDb;
let api: ApiClient;

beforeAll(async () => {
  db = await createPgliteTestDb();
  app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: () => ({ kinds: [], documents: [], definitions: [...testWorkflows(), sealedCheck] }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1:0' },
    version: '0.0.0-test',
    security: TEST_SECURITY,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  api = apiClient(`http://127.0.0.1:${port}`);
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('POST /v1/ai/workflows/:id/rerun', () => {
  it('starts a new run with the same inputs, re-using a sealed secret without ever answering it', async () => {
    const first = await api.start('sealed_check', { label: 'db', password: SECRET });
    await api.waitForRun(first.id, isStatus('completed'), 'first run completed');

    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${first.id}/rerun`, {});
    expect(res.status, res.text).toBe(201);
    expect(res.text).not.toContain(SECRET);
    const second = res.body;
    expect(second.id).not.toBe(first.id);
    expect(second.name).toBe('sealed_check');
    expect(second.context.label).toBe('db');
    expect(second.context.password).not.toBe(SECRET);

    const done = await api.waitForRun(second.id, isStatus('completed'), 're-run completed');
    expect(done.steps[0]?.data).toEqual({ secretSeen: true });
    expect(JSON.stringify(done)).not.toContain(SECRET);

    const audit = await api.get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    const about = audit.body.entries.filter((e) => e.target === second.id).map((e) => e.action);
    expect(about).toEqual(expect.arrayContaining(['workflow.start', 'workflow.rerun']));
    const rerun = audit.body.entries.find((e) => e.action === 'workflow.rerun' && e.target === second.id);
    expect(rerun?.detail).toEqual({ workflow: 'sealed_check', rerunOf: first.id });
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);
  });

  it('re-runs a run that is still going, and a run without inputs', async () => {
    const gated = await api.start('two_gates');
    const res = await api.post<WorkflowRun>(`${WORKFLOWS}/${gated.id}/rerun`);
    expect(res.status, res.text).toBe(201);
    expect(res.body.name).toBe('two_gates');
    expect(res.body.id).not.toBe(gated.id);
  });

  it('refuses an unknown run (404), a malformed id and a body with fields (400)', async () => {
    expectError(
      await api.post(`${WORKFLOWS}/00000000-0000-4000-8000-000000000000/rerun`, {}),
      404,
      'not_found',
    );
    expectError(await api.post(`${WORKFLOWS}/not-a-uuid/rerun`, {}), 400, 'validation_failed');
    const run = await api.start('auto_chain', { who: 'x' });
    expectError(await api.post(`${WORKFLOWS}/${run.id}/rerun`, { who: 'y' }), 400, 'validation_failed');
  });
});
