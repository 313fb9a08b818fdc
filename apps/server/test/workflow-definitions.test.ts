import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefinitionVersionDto, StepKindDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, isStatus, stepOf, WORKFLOWS } from './helpers/http-client';
import { startTestServer, type TestServer } from './helpers/test-server';
import { createUser } from './security/support/users';

let server: TestServer;
let api: ApiClient;
let operator: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  operator = apiClient(server.url, (await createUser(server.url, 'def-operator', 'operator')).token);
});

afterAll(async () => {
  await server?.close();
});

const DEFINITIONS = `${WORKFLOWS}/definitions`;
const yaml = (text: string) => ({ raw: text, headers: { 'content-type': 'application/yaml' } });
const saveYaml = (text: string, client = api) =>
  client.post<DefinitionVersionDto>(DEFINITIONS, undefined, yaml(text));

/** A template written by an operator: a fan-out of two branches, an if/else pair that joins, a timer. */
const PARALLEL = `
name: release_notes
title: Release notes
description: Gathers two lists at once, then picks a format.
inputs:
  - key: format
    label: Format
    type: choice
    choices: [short, long]
    required: true
outputs:
  text: "\${{ steps.render_long.status == 'completed' ? steps.render_long.outputs.text : steps.render_short.outputs.text }}"
steps:
  - id: fixes
    title: Collect fixes
    uses: set
    needs: []
    with:
      items: [fix-a, fix-b]
      count: 2
  - id: features
    title: Collect features
    uses: set
    needs: []
    with:
      items: [feature-x]
  - id: pause
    title: Let things settle
    uses: wait
    needs: []
    with:
      duration: 300ms
  - id: render_long
    title: Render long
    uses: set
    needs: [fixes, features, pause]
    if: inputs.format == 'long'
    with:
      text: "\${{ steps.fixes.outputs.count }} fixes: \${{ steps.fixes.outputs.items.join(', ') }}; features: \${{ steps.features.outputs.items.join(', ') }}"
  - id: render_short
    title: Render short
    uses: set
    needs: [fixes, features, pause]
    if: inputs.format != 'long'
    with:
      text: "\${{ size(steps.fixes.outputs.items) + size(steps.features.outputs.items) }} changes"
  - id: publish
    title: Publish
    uses: approval
    needs: [render_long, render_short]
    with:
      message: Publish the notes?
`;

describe('workflow definitions: save, version, run', () => {
  it('stores YAML as version 1, the same name again as version 2, and runs the latest', async () => {
    const first = await saveYaml(PARALLEL);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({
      name: 'release_notes',
      version: 1,
      builtIn: false,
      createdBy: 'admin',
    });
    const second = await saveYaml(PARALLEL.replace('Publish the notes?', 'Publish the release notes?'));
    expect(second.status, second.text).toBe(201);
    expect(second.body.version).toBe(2);
    expect(second.body.hash).not.toBe(first.body.hash);

    const got = await api.get<{ definition: DefinitionVersionDto; versions: DefinitionVersionDto[] }>(
      `${DEFINITIONS}/release_notes`,
    );
    expect(got.body.definition.version).toBe(2);
    expect(got.body.versions.map((v) => v.version)).toEqual([1, 2]);
    const v1 = await api.get<{ document: { steps: Array<{ with: unknown }> } }>(
      `${DEFINITIONS}/release_notes?version=1`,
    );
    expect(JSON.stringify(v1.body.document)).toContain('Publish the notes?');

    const run = await api.start('release_notes', { format: 'long' });
    expect(run).toMatchObject({ version: 2, definitionHash: second.body.hash });
    const atGate = (r: WorkflowRun) =>
      stepOf(r, 'publish').status === 'awaiting_approval' || r.status === 'failed';
    const waiting = await api.waitForRun(run.id, atGate, 'the publish gate');
    expect(waiting.status).toBe('waiting');
    // Three branches ran at the same time: each started before the slowest (the 300 ms timer) finished.
    const pause = stepOf(waiting, 'pause');
    for (const id of ['fixes', 'features'])
      expect(Date.parse(stepOf(waiting, id).startedAt!)).toBeLessThan(Date.parse(pause.finishedAt!));
    expect(stepOf(waiting, 'render_short')).toMatchObject({
      status: 'skipped',
      condition: { expression: "inputs.format != 'long'", value: false },
    });
    expect(stepOf(waiting, 'render_short').summary).toContain("inputs.format != 'long'");
    expect(stepOf(waiting, 'render_long').outputs).toEqual({
      text: '2 fixes: fix-a, fix-b; features: feature-x',
    });
    expect(stepOf(waiting, 'publish').plan?.summary).toBe('Publish the release notes?');
    const approved = await api.post(`${WORKFLOWS}/${run.id}/approve`, { approved: true });
    expect(approved.status, approved.text).toBe(200);
    const done = await api.waitForRun(run.id, isStatus('completed', 'failed'), 'the end');
    expect(done.status).toBe('completed');
    expect(done.context.text).toBe('2 fixes: fix-a, fix-b; features: feature-x');

    // A pinned version runs as it was written.
    const old = await api.post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=release_notes&version=1`, {
      format: 'short',
    });
    expect(old.status, old.text).toBe(201);
    const oldWaiting = await api.waitForRun(old.body.id, atGate, 'the v1 gate');
    expect(stepOf(oldWaiting, 'publish').plan?.summary).toBe('Publish the notes?');
    expect(stepOf(oldWaiting, 'render_short').outputs).toEqual({ text: '3 changes' });
    await api.post(`${WORKFLOWS}/${old.body.id}/cancel`, {});
  });

  it('exports YAML and JSON that, saved under another name, make the same workflow', async () => {
    await saveYaml(PARALLEL.replace('name: release_notes', 'name: export_source'));
    for (const format of ['yaml', 'json'] as const) {
      const exported = await api.get(`${DEFINITIONS}/export_source/export?format=${format}`);
      expect(exported.status).toBe(200);
      expect(exported.contentType).toContain(format === 'yaml' ? 'application/yaml' : 'application/json');
      const renamed =
        format === 'yaml'
          ? exported.text.replace('name: export_source', `name: copy_${format}`)
          : JSON.stringify({ ...JSON.parse(exported.text), name: `copy_${format}` });
      const saved =
        format === 'yaml'
          ? await saveYaml(renamed)
          : await api.post<DefinitionVersionDto>(DEFINITIONS, undefined, {
              raw: renamed,
            });
      expect(saved.status, saved.text).toBe(201);
      const [a, b] = await Promise.all([
        api.get<{ document: Record<string, unknown> }>(`${DEFINITIONS}/export_source`),
        api.get<{ document: Record<string, unknown> }>(`${DEFINITIONS}/copy_${format}`),
      ]);
      expect({ ...b.body.document, name: 'x' }).toEqual({ ...a.body.document, name: 'x' });
    }
  });

  it('refuses a document that does not compile: 400 naming each path and line, nothing stored', async () => {
    const broken = `
name: broken_one
title: Broken
steps:
  - id: a
    title: A
    uses: set
    colour: blue
  - id: b
    title: B
    uses: wait
    needs: [c]
    with:
      duration: soon
  - id: c
    title: C
    uses: no.such_kind
    needs: [b]
  - id: d
    title: D
    uses: set
    if: "inputs.x =="
    with:
      v: "\${{ steps.a.outputs.v }}"
`;
    const res = await saveYaml(broken);
    expect(res.status, res.text).toBe(400);
    const body = res.body as unknown as {
      error: {
        code: string;
        message: string;
        details: Array<{ path: string; line?: number; message: string }>;
      };
    };
    expect(body.error.code).toBe('validation_failed');
    const details = body.error.details;
    expect(
      details.find((d) => d.path === 'steps[0]')?.message ?? details.map((d) => d.message).join('|'),
    ).toMatch(/colour/);
    expect(details.find((d) => d.message.includes('colour'))?.line).toBe(8);
    expect((await api.get(`${DEFINITIONS}/broken_one`)).status).toBe(404);
    // Fixed one problem at a time, the compiler's other checks speak.
    const next = await saveYaml(broken.replace('    colour: blue\n', ''));
    const messages = (next.body as unknown as typeof body).error.details
      .map((d) => `${d.path}: ${d.message}`)
      .join('\n');
    expect(messages).toMatch(/steps\[1\]\.with\.duration/);
    expect(messages).toMatch(/no\.such_kind/);
    expect(messages).toMatch(/cycle/i);
    expect(messages).toMatch(/steps\[3\]\.if/);
    expect((await api.get(`${DEFINITIONS}/broken_one`)).status).toBe(404);
  });

  it('a dry run compiles without storing', async () => {
    const ok = await api.post<{ ok: boolean; name: string }>(
      `${DEFINITIONS}?dry_run=true`,
      undefined,
      yaml(PARALLEL.replace('name: release_notes', 'name: dry_only')),
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, name: 'dry_only' });
    expect((await api.get(`${DEFINITIONS}/dry_only`)).status).toBe(404);
  });

  it('authoring needs the admin role; built-ins cannot be overwritten or deleted; deleting stops new runs only', async () => {
    const asOperator = await saveYaml(PARALLEL.replace('name: release_notes', 'name: by_operator'), operator);
    expect(asOperator.status).toBe(403);
    const builtIn = await saveYaml(PARALLEL.replace('name: release_notes', 'name: deploy_application'));
    expect(builtIn.status).toBe(409);
    expect((await api.request('DELETE', `${DEFINITIONS}/health_check`)).status).toBe(409);

    await saveYaml(PARALLEL.replace('name: release_notes', 'name: short_lived'));
    const inFlight = await api.start('short_lived', { format: 'short' });
    expect((await api.request('DELETE', `${DEFINITIONS}/short_lived`, undefined)).status).toBe(204);
    const refused = await api.post(`${WORKFLOWS}/start?workflow_name=short_lived`, { format: 'short' });
    expect(refused.status).toBe(404);
    // The run in flight goes on with its version.
    await api.waitForRun(inFlight.id, (r) => stepOf(r, 'publish').status === 'awaiting_approval', 'the gate');
    await api.post(`${WORKFLOWS}/${inFlight.id}/approve`, { approved: true });
    expect((await api.waitForRun(inFlight.id, isStatus('completed', 'failed'), 'the end')).status).toBe(
      'completed',
    );
    const audit = await api.get<{ entries: Array<{ action: string; target: string }> }>(
      '/v1/audit?limit=200',
    );
    const actions = audit.body.entries?.map((e) => e.action) ?? [];
    expect(actions).toContain('workflow.definition.save');
    expect(actions).toContain('workflow.definition.delete');
  });

  it('the conflict guard queues a second run with the same key, and a workflow step runs a child run', async () => {
    const guarded = `
name: guarded_job
title: Guarded job
inputs:
  - { key: app, label: App, type: text, required: true }
concurrency:
  key: "\${{ inputs.app }}"
  on_conflict: queue
steps:
  - id: hold
    title: Hold
    uses: approval
    with: { message: "Go on with \${{ inputs.app }}?" }
`;
    expect((await saveYaml(guarded)).status).toBe(201);
    const parent = `
name: parent_job
title: Parent job
inputs:
  - { key: app, label: App, type: text, required: true }
steps:
  - id: child
    title: Run the guarded job
    uses: workflow
    with:
      name: guarded_job
      inputs: { app: "\${{ inputs.app }}" }
  - id: after
    title: After
    uses: set
    with: { child_status: "\${{ steps.child.outputs.status }}" }
`;
    expect((await saveYaml(parent)).status).toBe(201);
    const first = await api.start('guarded_job', { app: 'shop' });
    const second = await api.start('guarded_job', { app: 'shop' });
    expect(second.status).toBe('queued');
    const other = await api.start('guarded_job', { app: 'blog' });
    expect(other.status).toBe('running');

    await api.waitForRun(first.id, isStatus('waiting'), 'the first gate');
    await api.post(`${WORKFLOWS}/${first.id}/approve`, { approved: true });
    await api.waitForRun(first.id, isStatus('completed'), 'the first run');
    await api.waitForRun(second.id, isStatus('waiting'), 'the queued run to start');
    await api.post(`${WORKFLOWS}/${second.id}/cancel`, {});
    await api.post(`${WORKFLOWS}/${other.id}/cancel`, {});

    const run = await api.start('parent_job', { app: 'docs' });
    const parked = await api.waitForRun(
      run.id,
      (r) => stepOf(r, 'child').status === 'awaiting_event',
      'the child',
    );
    const childId = (stepOf(parked, 'child').data as { runId: string }).runId;
    const child = await api.waitForRun(childId, isStatus('waiting'), 'the child gate');
    expect(child.parent).toEqual({ runId: run.id, stepId: 'child' });
    await api.post(`${WORKFLOWS}/${childId}/approve`, { approved: true });
    const done = await api.waitForRun(run.id, isStatus('completed', 'failed'), 'the parent');
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'after').outputs).toEqual({ child_status: 'completed' });
  });

  it('serves the language as JSON Schema and lists the step kinds with their schemas', async () => {
    const schema = await api.get<{ properties: Record<string, unknown>; required: string[] }>(
      `${WORKFLOWS}/schema`,
    );
    expect(schema.status).toBe(200);
    expect(Object.keys(schema.body.properties)).toEqual(
      expect.arrayContaining(['name', 'title', 'inputs', 'concurrency', 'on_failure', 'steps']),
    );
    const kinds = await api.get<{ kinds: StepKindDto[] }>(`${WORKFLOWS}/step-kinds`);
    const names = kinds.body.kinds.map((k) => k.name);
    expect(names).toEqual(
      expect.arrayContaining(['wait', 'approval', 'input', 'set', 'workflow', 'fleet.deploy_job']),
    );
    const wait = kinds.body.kinds.find((k) => k.name === 'wait')!;
    expect(wait).toMatchObject({ uses: 'wait@1', durableWait: true, gate: 'optional' });
    expect(JSON.stringify(wait.params)).toContain('duration');
    expect(kinds.body.kinds.find((k) => k.name === 'approval')?.gate).toBe('always');
    expect(kinds.body.kinds.find((k) => k.name === 'fleet.deploy_job')?.compensable).toBe(true);
  });

  it('the README’s example document compiles as written', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
    const example = /## The workflow model[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('name: release_app');
    const res = await api.post(`${DEFINITIONS}?dry_run=true`, undefined, yaml(example!));
    expect(res.status, res.text).toBe(200);
  });
});
