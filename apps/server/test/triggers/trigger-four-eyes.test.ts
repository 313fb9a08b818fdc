import type { FiringDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../security/support/http';
import { WORKFLOWS, waitForRun, waitingAt } from '../security/support/runs';
import { type SecurityServer, startSecurityServer } from '../security/support/server';
import { createUser, type TestUser } from '../security/support/users';
import { sendHook } from './support';

/**
 * A trigger never approves, and cannot be used to get around four-eyes: a run a trigger started counts as set
 * going by the person who last set the trigger up, who may not approve its gates; anyone else with the role may.
 */

let s: SecurityServer;
let author: TestUser;
let other: TestUser;

beforeAll(async () => {
  s = await startSecurityServer({ security: { fourEyes: true } });
  [author, other] = await Promise.all([
    createUser(s.url, 'fe-author', 'admin'),
    createUser(s.url, 'fe-other', 'admin'),
  ]);
});

afterAll(async () => {
  await s?.close();
});

describe('four-eyes on runs a trigger started', () => {
  it("the trigger's author may not approve its runs' gates; another person may", async () => {
    const created = await author.api.post<{ id: string; secret: string }>('/v1/triggers', {
      name: 'gated-hook',
      workflow: 'two_gates',
      source: { type: 'webhook' },
    });
    expect(created.status, created.text).toBe(201);
    const fire = async (delivery: string) => {
      const res = await sendHook(s.url, created.body.id, { body: {}, secret: created.body.secret, delivery });
      expect(res.status, res.text).toBe(202);
      return (res.body as { firing: FiringDto }).firing.runId!;
    };
    const approve = (u: TestUser, runId: string) =>
      u.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/approve`, { approved: true });

    const runId = await fire('fe-1');
    const run = await waitForRun(other.api, runId, waitingAt('first_gate'), 'first gate');
    expect(run).toMatchObject({ startedBy: 'trigger:gated-hook', trigger: { configuredBy: 'fe-author' } });
    const refused = await approve(author, runId);
    expect(expectError(refused, 403, 'forbidden').message).toBe(
      'four-eyes rule: you set up trigger gated-hook, which started this run, so another person must approve it',
    );
    const ok = await approve(other, runId);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.steps[0]!.decisions[0]).toMatchObject({ by: 'fe-other', decision: 'approved' });

    // Whoever changes the trigger last is the one who sets its next runs going.
    const changed = await other.api.patch(`/v1/triggers/${created.body.id}`, { rate_limit: 11 });
    expect(changed.status, changed.text).toBe(200);
    const next = await fire('fe-2');
    await waitForRun(author.api, next, waitingAt('first_gate'), 'first gate');
    expectError(await approve(other, next), 403, 'forbidden');
    expect((await approve(author, next)).status).toBe(200);
  });
});
