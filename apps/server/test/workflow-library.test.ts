import {
  type DefinitionVersionDto,
  type WorkflowRun,
  type WorkflowSummaryDto,
  workflowLibraryResponseSchema,
} from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, isStatus, stepOf, WORKFLOWS } from './helpers/http-client';
import { startTestServer, type TestServer } from './helpers/test-server';
import { createUser } from './security/support/users';

let server: TestServer;
let api: ApiClient;
let viewer: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  viewer = apiClient(server.url, (await createUser(server.url, 'lib-viewer', 'viewer')).token);
});

afterAll(async () => {
  await server?.close();
});

const LIBRARY = `${WORKFLOWS}/library`;
const DEFINITIONS = `${WORKFLOWS}/definitions`;
const yaml = (text: string) => ({ raw: text, headers: { 'content-type': 'application/yaml' } });

/** Ends at a gate: approved → completed, rejected → cancelled; `fail: true` makes its first step fail. */
const GATED = `
name: library_stats
title: Library stats
description: A set, then a gate.
inputs:
  - { key: fail, label: Fail, type: choice, choices: ["yes", "no"], required: true }
steps:
  - id: prepare
    title: Prepare
    uses: set
    with: { ready: true }
  - id: maybe_fail
    title: Maybe fail
    uses: workflow
    if: inputs.fail == 'yes'
    with: { name: no_such_workflow_anywhere }
  - id: confirm
    title: Confirm
    uses: approval
    needs: [prepare, maybe_fail]
    with: { message: Go on? }
`;

async function library(client = api): Promise<WorkflowSummaryDto[]> {
  const res = await client.get(LIBRARY);
  expect(res.status, res.text).toBe(200);
  // The answer is exactly what the shared schema says the web app reads.
  return workflowLibraryResponseSchema.parse(res.body).workflows;
}

describe('GET /v1/ai/workflows/library', () => {
  it('lists the built-ins first, marked, with their author and no runs yet', async () => {
    const workflows = await library(viewer);
    const builtIns = workflows.filter((w) => w.builtIn).map((w) => w.name);
    expect(builtIns).toEqual([
      'register_agent',
      'deploy_application',
      'troubleshoot_failure',
      'health_check',
    ]);
    expect(workflows.map((w) => w.name)).not.toContain('rollback');
    const health = workflows.find((w) => w.name === 'health_check')!;
    expect(health).toMatchObject({
      builtIn: true,
      latestVersion: 1,
      versions: 1,
      updatedBy: 'deploybot',
      runs: { total: 0, completed: 0, failed: 0, cancelled: 0, active: 0, successRate: null },
    });
    expect(health.steps).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(health.updatedAt))).toBe(false);
  });

  it('shows the latest version, who saved it and when, and the success rate of every version’s runs', async () => {
    const v1 = await api.post<DefinitionVersionDto>(DEFINITIONS, undefined, yaml(GATED));
    expect(v1.status, v1.text).toBe(201);
    const run = async (fail: 'yes' | 'no', approved: boolean): Promise<WorkflowRun> => {
      const started = await api.start('library_stats', { fail });
      const settled = await api.waitForRun(
        started.id,
        (r) => r.status === 'failed' || stepOf(r, 'confirm').status === 'awaiting_approval',
        'the gate or the failure',
      );
      if (settled.status === 'failed') return settled;
      await api.post(`${WORKFLOWS}/${started.id}/approve`, { approved, note: approved ? undefined : 'no' });
      return api.waitForRun(started.id, isStatus('completed', 'failed', 'cancelled'), 'the end');
    };
    expect((await run('no', true)).status).toBe('completed');
    expect((await run('yes', true)).status).toBe('failed');

    // A second version, saved by another admin: its runs and the first version's count together.
    const other = apiClient(server.url, (await createUser(server.url, 'lib-admin', 'admin')).token);
    const v2 = await other.post<DefinitionVersionDto>(
      DEFINITIONS,
      undefined,
      yaml(GATED.replace('Go on?', 'Go on now?')),
    );
    expect(v2.status, v2.text).toBe(201);
    expect((await run('no', true)).status).toBe('completed');
    expect((await run('no', false)).status).toBe('cancelled');
    const waiting = await api.start('library_stats', { fail: 'no' });
    await api.waitForRun(waiting.id, (r) => r.status === 'waiting', 'the gate');

    const row = (await library(viewer)).find((w) => w.name === 'library_stats');
    expect(row).toMatchObject({
      title: 'Library stats',
      description: 'A set, then a gate.',
      builtIn: false,
      latestVersion: 2,
      versions: 2,
      updatedBy: 'lib-admin',
      updatedAt: v2.body.createdAt,
      steps: 3,
      runs: { total: 5, completed: 2, failed: 1, cancelled: 1, active: 1 },
    });
    // Cancelled (rejected) runs count neither way: 2 completed of 3 decided.
    expect(row!.runs.successRate).toBeCloseTo(2 / 3);
    await api.post(`${WORKFLOWS}/${waiting.id}/cancel`, {});
  });

  it('leaves out a deleted workflow, and needs a signed-in user', async () => {
    const gone = GATED.replace('name: library_stats', 'name: library_gone');
    expect((await api.post(DEFINITIONS, undefined, yaml(gone))).status).toBe(201);
    expect((await library()).map((w) => w.name)).toContain('library_gone');
    expect((await api.request('DELETE', `${DEFINITIONS}/library_gone`)).status).toBe(204);
    expect((await library()).map((w) => w.name)).not.toContain('library_gone');
    const anonymous = await fetch(`${server.url}${LIBRARY}`);
    expect(anonymous.status).toBe(401);
  });
});
