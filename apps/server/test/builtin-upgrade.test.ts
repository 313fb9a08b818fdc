import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DefinitionVersionDto, WorkflowDocument, WorkflowRun } from '@deploybot/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import type { Db } from '../src/db/db';
import { openDb } from '../src/db/open-db';
import { DEFAULT_FLEET_OPTIONS } from '../src/fleet/fleet';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../src/testing/test-security';
import {
  type ApiClient,
  apiClient,
  expectGapFree,
  isStatus,
  isWaitingAt,
  stepOf,
  WORKFLOWS,
} from './helpers/http-client';

const NAME = 'pinned_release';
const DEFINITION = `${WORKFLOWS}/definitions/${NAME}`;

/** The built-in as the first release of the controller ships it: a gate, then one value. */
const V1 = `
name: ${NAME}
title: Pinned release
description: A person approves, then the release is recorded.
inputs: []
steps:
  - id: review
    title: Review
    uses: approval
    with:
      message: Ship release v1?
  - id: finish
    title: Finish
    uses: set
    with:
      shipped: v1
`;

/** The same built-in after an upgrade: another message, a step more, another value. */
const V2 = `
name: ${NAME}
title: Pinned release
description: A person approves, the release is announced, then recorded.
inputs: []
steps:
  - id: review
    title: Review
    uses: approval
    with:
      message: Ship release v2?
  - id: announce
    title: Announce
    uses: set
    with:
      channel: ops
  - id: finish
    title: Finish
    uses: set
    with:
      shipped: v2
`;

/** One controller life: the real app on PGlite files under `dataDir`, shipping `text` as its only built-in. */
interface Controller {
  app: App;
  db: Db;
  api: ApiClient;
  stop(): Promise<void>;
}

async function startController(dataDir: string, text: string): Promise<Controller> {
  const db = await openDb({ dataDir });
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: () => ({ kinds: [], documents: [{ name: NAME, text }] }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: 'http://127.0.0.1:0' },
    version: '0.0.0-upgrade-test',
    security: TEST_SECURITY,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  return {
    app,
    db,
    api: apiClient(`http://127.0.0.1:${port}`),
    async stop() {
      await app.close();
      await db.close();
    },
  };
}

let dataDir: string;
let controller: Controller | undefined;

// The first start creates the database files: on a busy machine the slowest part, so it gets the hook's time.
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'deploybot-upgrade-'));
  controller = await startController(dataDir, V1);
});

afterAll(async () => {
  await controller?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface DefinitionAnswer {
  definition: DefinitionVersionDto;
  document: WorkflowDocument;
  versions: DefinitionVersionDto[];
}

describe('a run keeps its version across a restart that changes a built-in', () => {
  let v1Hash: string;
  let atGate: WorkflowRun;

  it('first release: a run of v1 waits at its gate when the controller stops', async () => {
    const { api } = controller!;
    const stored = await api.get<DefinitionAnswer>(DEFINITION);
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body.versions).toHaveLength(1);
    expect(stored.body.definition).toMatchObject({ version: 1, builtIn: true, createdBy: 'deploybot' });
    v1Hash = stored.body.definition.hash;

    const run = await api.start(NAME);
    expect(run).toMatchObject({ version: 1, definitionHash: v1Hash });
    atGate = await api.waitForRun(run.id, isWaitingAt('review'), 'the v1 gate');
    expect(stepOf(atGate, 'review').plan).toMatchObject({ summary: 'Ship release v1?' });
    expect(atGate.steps.map((s) => s.id)).toEqual(['review', 'finish']);

    await controller!.stop();
    controller = undefined;
  });

  it('upgraded release: the waiting run is still v1 and completes as v1 says; a new run is v2', async () => {
    controller = await startController(dataDir, V2);
    const { api } = controller;

    // The changed built-in became version 2, stored by the controller itself; version 1 is still there.
    const stored = await api.get<DefinitionAnswer>(DEFINITION);
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body.versions.map((v) => [v.version, v.createdBy, v.builtIn])).toEqual([
      [1, 'deploybot', true],
      [2, 'deploybot', true],
    ]);
    const [first, second] = stored.body.versions;
    expect(first!.hash).toBe(v1Hash);
    expect(second!.hash).not.toBe(v1Hash);
    expect(stored.body.definition.version).toBe(2);
    expect(JSON.stringify(stored.body.document)).toContain('Ship release v2?');
    const v1 = await api.get<DefinitionAnswer>(`${DEFINITION}?version=1`);
    expect(JSON.stringify(v1.body.document)).toContain('Ship release v1?');
    expect(JSON.stringify(v1.body.document)).not.toContain('announce');

    // The run parked before the upgrade is exactly as it was.
    expect(await api.run(atGate.id)).toEqual(atGate);

    // A run started now takes the new version: its plan, its steps.
    const fresh = await api.start(NAME);
    expect(fresh).toMatchObject({ version: 2, definitionHash: second!.hash });
    const freshAtGate = await api.waitForRun(fresh.id, isWaitingAt('review'), 'the v2 gate');
    expect(stepOf(freshAtGate, 'review').plan).toMatchObject({ summary: 'Ship release v2?' });
    expect(freshAtGate.steps.map((s) => s.id)).toEqual(['review', 'announce', 'finish']);

    // Approved after the upgrade, the old run finishes as v1 says.
    const approved = await api.post(`${WORKFLOWS}/${atGate.id}/approve`, {
      approved: true,
      note: 'after the upgrade',
      step_id: 'review',
    });
    expect(approved.status, approved.text).toBe(200);
    const done = await api.waitForRun(atGate.id, isStatus('completed', 'failed', 'cancelled'), 'v1 to end');
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done).toMatchObject({ version: 1, definitionHash: v1Hash });
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ['review', 'completed'],
      ['finish', 'completed'],
    ]);
    expect(stepOf(done, 'review').plan).toMatchObject({ summary: 'Ship release v1?' });
    expect(stepOf(done, 'review').summary).toBe('Approved by admin: after the upgrade.');
    expect(stepOf(done, 'finish').outputs).toEqual({ shipped: 'v1' });
    const events = await api.events(done.id);
    expectGapFree(
      events.map((e) => e.seq),
      done.seq,
    );

    // The new run, approved, finishes as v2 says.
    expect(
      (await api.post(`${WORKFLOWS}/${fresh.id}/approve`, { approved: true, step_id: 'review' })).status,
    ).toBe(200);
    const freshDone = await api.waitForRun(
      fresh.id,
      isStatus('completed', 'failed', 'cancelled'),
      'v2 to end',
    );
    expect(freshDone.status, freshDone.error ?? '').toBe('completed');
    expect(freshDone).toMatchObject({ version: 2, definitionHash: second!.hash });
    expect(freshDone.steps.map((s) => [s.id, s.status])).toEqual([
      ['review', 'completed'],
      ['announce', 'completed'],
      ['finish', 'completed'],
    ]);
    expect(stepOf(freshDone, 'announce').outputs).toEqual({ channel: 'ops' });
    expect(stepOf(freshDone, 'finish').outputs).toEqual({ shipped: 'v2' });

    // The old version can still be asked for by number.
    const pinned = await api.post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=${NAME}&version=1`, {});
    expect(pinned.status, pinned.text).toBe(201);
    expect(pinned.body).toMatchObject({ version: 1, definitionHash: v1Hash });
    const pinnedAtGate = await api.waitForRun(pinned.body.id, isWaitingAt('review'), 'a v1 gate');
    expect(stepOf(pinnedAtGate, 'review').plan).toMatchObject({ summary: 'Ship release v1?' });
    expect((await api.post(`${WORKFLOWS}/${pinned.body.id}/cancel`, { reason: 'only a check' })).status).toBe(
      200,
    );

    await controller.stop();
    controller = undefined;
  });

  it('the same release started again stores no new version', async () => {
    controller = await startController(dataDir, V2);
    const stored = await controller.api.get<DefinitionAnswer>(DEFINITION);
    expect(stored.body.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(stored.body.definition.version).toBe(2);
  });
});
