import { DURATION_RE, parseDuration, type WorkflowDocumentInput } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStepKind, type StepKind, StepKindRegistry } from '../step-kind';
import {
  type AutomaticStepDef,
  type ExpressionScope,
  type GateStepDef,
  type InputStepDef,
  isStepWait,
  type StepContext,
  type StepDef,
  type StepResult,
  type WorkflowDefinition,
} from '../types';
import { type CompileIssue, compileWorkflow, documentHash, StepParamsError } from './compile';
import { exportDocument, parseDocumentText } from './document';
import { ExpressionError } from './expressions';

// ---------------------------------------------------------------------------------------------------------------
// A small registry of test kinds: each records what it was called with.

type Call = { kind: string; params: unknown; approval?: unknown; record?: unknown; scope?: ExpressionScope };
let calls: Call[] = [];

const waitParams = z.strictObject({ duration: z.string().regex(DURATION_RE, 'duration must be like 2s') });
const waitV1: StepKind<z.infer<typeof waitParams>> = {
  name: 'wait',
  version: 1,
  title: 'Wait',
  description: 'A durable timer',
  params: waitParams,
  outputs: z.object({}),
  run: async (ctx, p) => ({
    wait: {
      key: `timer:${ctx.runId}:${ctx.stepId}`,
      summary: `Waiting ${p.duration}`,
      deadlineMs: parseDuration(p.duration)!,
      atDeadline: 'complete',
    },
  }),
  resume: async (_ctx, p, payload) => ({ summary: `waited ${p.duration}`, data: payload }),
  recheck: async (_ctx, p, key) => (key === 'ended' ? { payload: p.duration } : null),
  cancelWait: async (ctx, p, key, cancelled) => {
    calls.push({ kind: 'wait:cancel', params: { ...p, key, ...cancelled }, scope: ctx.scope });
  },
};
const waitV2: StepKind<z.infer<typeof waitParams>> = {
  ...waitV1,
  version: 2,
  outputs: z.object({ waited_ms: z.number() }),
};

const echoParams = z.strictObject({
  message: z.string().min(1),
  count: z.number().int().optional(),
  tags: z.array(z.string()).optional(),
  extra: z.unknown().optional(),
});
const echo: StepKind<z.infer<typeof echoParams>> = {
  name: 'echo',
  version: 1,
  title: 'Echo',
  description: 'Returns its message',
  params: echoParams,
  outputs: z.object({
    message: z.string(),
    length: z.number(),
    tags: z.array(z.string()),
    flag: z.boolean(),
  }),
  defaultTimeoutMs: 30_000,
  run: async (ctx, p) => {
    calls.push({ kind: 'echo', params: p, scope: ctx.scope });
    return {
      summary: p.message,
      outputs: { message: p.message, length: p.message.length, tags: p.tags ?? [], flag: true },
    };
  },
};

const resolveParams = z.strictObject({
  repository: z.string(),
  ref: z.string().regex(/^[\w./-]+$/, 'not a ref'),
});
const resolve: StepKind<z.infer<typeof resolveParams>> = {
  name: 'git.resolve',
  version: 1,
  title: 'Resolve a ref',
  description: '',
  params: resolveParams,
  outputs: z.object({ sha: z.string(), ref: z.string() }),
  startCheck: async (p) => (p.ref === 'missing' ? [{ param: 'ref', message: `ref ${p.ref} not found` }] : []),
  run: async (_ctx, p) => ({ summary: `resolved ${p.ref}`, outputs: { sha: `sha-of-${p.ref}`, ref: p.ref } }),
};

const deployParams = z.strictObject({ agent: z.string(), sha: z.string(), token: z.string().optional() });
const deploy: StepKind<z.infer<typeof deployParams>> = {
  name: 'fleet.deploy',
  version: 1,
  title: 'Deploy',
  description: '',
  params: deployParams,
  outputs: z.object({ job_id: z.string(), previous: z.string().nullable() }),
  plan: async (_ctx, p) => ({ summary: `Deploy ${p.sha} to ${p.agent}`, data: { agent: p.agent } }),
  approvalInput: (_ctx, p) => ({
    key: 'agent',
    label: `Instead of ${p.agent}`,
    type: 'text',
    required: false,
  }),
  rejectSummary: 'left for manual resolution',
  compensate: {
    describe: (p, record) =>
      record.outputs.previous ? `switch ${p.agent} back to ${record.outputs.previous}` : null,
    run: async (ctx, p, record) => {
      calls.push({ kind: 'fleet.deploy:compensate', params: p, record, scope: ctx.scope });
      return { summary: `switched ${p.agent} back` };
    },
  },
  run: async (_ctx, p, approval) => {
    calls.push({ kind: 'fleet.deploy', params: p, approval });
    return { summary: 'deployed', outputs: { job_id: 'job-1', previous: 'rel-0' } };
  },
};

const approval: StepKind<{ message: string }> = {
  name: 'approval',
  version: 1,
  title: 'Approval',
  description: '',
  gate: 'always',
  params: z.strictObject({ message: z.string() }),
  outputs: z.object({}),
  run: async (_ctx, _p, decision) => ({ summary: `approved by ${decision?.by}` }),
};

const input: StepKind<{ label: string }> = {
  name: 'input',
  version: 1,
  title: 'Ask',
  description: '',
  params: z.strictObject({ label: z.string() }),
  outputs: z.object({ value: z.string() }),
  ask: (_ctx, p) => ({ key: 'value', label: p.label, type: 'text', required: true }),
  run: async () => {
    throw new Error('an input step does not run');
  },
};

const configParams = z.strictObject({
  settings: z.strictObject({ replicas: z.number().int().min(1), labels: z.array(z.string()) }),
});
const config: StepKind<z.infer<typeof configParams>> = {
  name: 'config',
  version: 1,
  title: 'Config',
  description: '',
  params: configParams,
  outputs: z.object({}),
  run: async (_ctx, p) => {
    calls.push({ kind: 'config', params: p });
    return { summary: 'configured' };
  },
};

const undo: StepKind<{ agent: string; job: string }> = {
  name: 'fleet.undo',
  version: 1,
  title: 'Undo a deploy',
  description: '',
  params: z.strictObject({ agent: z.string(), job: z.string() }),
  outputs: z.object({}),
  run: async (ctx, p, decision) => {
    calls.push({ kind: 'fleet.undo', params: p, approval: decision, scope: ctx.scope });
    return { summary: `undid ${p.job}` };
  },
};

const slowCheck: StepKind<{ name: string }> = {
  name: 'slow.check',
  version: 1,
  title: 'Slow check',
  description: '',
  params: z.strictObject({ name: z.string() }),
  outputs: z.object({}),
  // Ignores its signal: checkStart must not wait for it past its bound.
  startCheck: () => new Promise(() => {}),
  run: async () => ({ summary: 'ok' }),
};

const registry = new StepKindRegistry([
  waitV1,
  waitV2,
  echo,
  resolve,
  deploy,
  approval,
  input,
  config,
  undo,
  slowCheck,
] as AnyStepKind[]);

// ---------------------------------------------------------------------------------------------------------------

function compile(doc: WorkflowDocumentInput | Record<string, unknown>, opts: { builtIn?: boolean } = {}) {
  return compileWorkflow(doc, registry, { version: 3, ...opts });
}

function compiled(doc: WorkflowDocumentInput): WorkflowDefinition {
  const result = compile(doc);
  if (!result.ok) throw new Error(`expected it to compile: ${JSON.stringify(result.issues, null, 2)}`);
  return result.definition;
}

function rejected(doc: WorkflowDocumentInput | Record<string, unknown>): CompileIssue[] {
  const result = compile(doc);
  if (result.ok) throw new Error('expected it not to compile');
  return result.issues;
}

/** Compiles YAML text as a POST body would be: issues carry lines. */
function compileYaml(text: string) {
  const parsed = parseDocumentText(text, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileWorkflow(parsed.document.value, registry, { version: 1, lines: parsed.document.lineOf });
}

function yamlIssues(text: string): CompileIssue[] {
  const result = compileYaml(text);
  if (result.ok) throw new Error('expected it not to compile');
  return result.issues;
}

const step = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: id.toUpperCase(),
  uses: 'echo',
  with: { message: id },
  ...extra,
});

const doc = (steps: unknown[], extra: Record<string, unknown> = {}) =>
  ({ name: 'test_flow', title: 'Test flow', steps, ...extra }) as WorkflowDocumentInput;

const inputsDoc = [
  { key: 'repository', label: 'Repository', type: 'text', required: true },
  { key: 'ref', label: 'Ref', type: 'text', required: true },
  { key: 'replicas', label: 'Replicas', type: 'number', required: false },
  { key: 'agent', label: 'Agent', type: 'text', required: false },
  { key: 'token', label: 'Token', type: 'secret', required: false },
];

function scopeOf(
  steps: Record<string, { outputs?: Record<string, unknown>; status?: string }> = {},
  inputs: Record<string, unknown> = { repository: 'demo/app', ref: 'main', replicas: 2 },
): ExpressionScope {
  const all: Record<string, { outputs: Record<string, unknown>; status: string }> = {};
  for (const [id, s] of Object.entries(steps))
    all[id] = { outputs: s.outputs ?? {}, status: s.status ?? 'completed' };
  return { inputs, steps: all, run: { id: 'run-1', started_by: 'alice' } };
}

function ctxOf(scope: ExpressionScope, stepId = 'step'): StepContext {
  return {
    runId: 'run-1',
    stepId,
    attempt: 1,
    context: { steps: {} },
    signal: new AbortController().signal,
    idempotencyKey: `run-1:${stepId}`,
    startedBy: 'alice',
    scope,
    now: () => new Date('2024-01-01T00:00:00Z'),
  };
}

function stepOf<K extends StepDef['kind']>(
  def: WorkflowDefinition,
  id: string,
  kind: K,
): Extract<StepDef, { kind: K }> {
  const found = def.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  expect(found.kind).toBe(kind);
  return found as Extract<StepDef, { kind: K }>;
}

// ---------------------------------------------------------------------------------------------------------------

describe('compileWorkflow: the schema', () => {
  it('reports unknown fields and wrong types with their paths and YAML lines', () => {
    const issues = yamlIssues(`name: flow
title: Flow
max_parallel: many
steps:
  - id: a
    title: A
    uses: echo
    wiht:
      message: hi
    timeout: 5 minutes
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'max_parallel', message: expect.stringMatching(/number/), line: 3 },
        { path: 'steps[0].wiht', message: 'unknown field "wiht"', line: 8 },
        { path: 'steps[0].timeout', message: expect.stringMatching(/duration such as 30s/), line: 10 },
      ]),
    );
  });

  it('says what a union expects (gate, compensate) or reports inside the branch that matched', () => {
    expect(rejected(doc([step('a', { gate: 'yes' })]))).toEqual([
      { path: 'steps[0].gate', message: 'expected boolean or object' },
    ]);
    expect(rejected(doc([step('a', { compensate: { uses: 'fleet.undo', wiht: {} } })]))).toEqual([
      { path: 'steps[0].compensate.wiht', message: 'unknown field "wiht"' },
    ]);
    expect(rejected({ name: 'x', title: 'X' })).toEqual([{ path: 'steps', message: expect.any(String) }]);
    expect(rejected(doc([step('a')], { naem: 'x' }))).toEqual([
      { path: 'naem', message: 'unknown field "naem"' },
    ]);
  });
});

describe('compileWorkflow: kinds, ids and needs', () => {
  it('reports an unknown kind and an unknown version of a known kind, with lines', () => {
    const issues = yamlIssues(`name: flow
title: Flow
steps:
  - id: a
    title: A
    uses: ech
  - id: b
    title: B
    uses: wait@3
    with: { duration: 1s }
`);
    expect(issues).toEqual([
      {
        path: 'steps[0].uses',
        message: expect.stringMatching(/^unknown step kind "ech" \(known: .*echo/),
        line: 6,
      },
      { path: 'steps[1].uses', message: 'step kind "wait" has no version 3 (it has 1, 2)', line: 9 },
    ]);
  });

  it('reports duplicate ids and ids CEL could not name', () => {
    expect(rejected(doc([step('a'), step('b'), step('a')]))).toEqual([
      { path: 'steps[2].id', message: 'step id "a" is already used by steps[0]' },
    ]);
    expect(rejected(doc([step('in'), step('constructor')]))).toEqual([
      { path: 'steps[0].id', message: '"in" cannot be a step id: expressions could not read steps.in' },
      {
        path: 'steps[1].id',
        message: '"constructor" cannot be a step id: expressions could not read steps.constructor',
      },
    ]);
  });

  it('reports needs naming unknown steps, itself, or a step twice', () => {
    expect(rejected(doc([step('a'), step('b', { needs: ['a', 'nope', 'a', 'b'] })]))).toEqual([
      { path: 'steps[1].needs[1]', message: 'unknown step "nope"' },
      { path: 'steps[1].needs[2]', message: '"a" is listed twice' },
      { path: 'steps[1].needs[3]', message: 'a step cannot need itself' },
    ]);
  });

  it('names a cycle in needs, explicit or through the implicit previous step', () => {
    const issues = yamlIssues(`name: flow
title: Flow
steps:
  - id: a
    title: A
    uses: echo
    with: { message: a }
    needs: [c]
  - id: b
    title: B
    uses: echo
    with: { message: b }
  - id: c
    title: C
    uses: echo
    with: { message: c }
`);
    expect(issues).toEqual([
      { path: 'steps[0].needs', message: 'needs form a cycle: a → c → b → a', line: 8 },
    ]);
    expect(rejected(doc([step('a', { needs: ['b'] }), step('b', { needs: ['a'] })]))).toEqual([
      { path: 'steps[0].needs', message: 'needs form a cycle: a → b → a' },
    ]);
  });

  it('checks inputs: duplicate keys, keys expressions cannot read, choices without choices, bad patterns', () => {
    expect(
      rejected(
        doc([step('a')], {
          inputs: [
            { key: 'x', label: 'X', type: 'text', required: true },
            { key: 'x', label: 'X again', type: 'text', required: true },
            { key: 'env', label: 'Env', type: 'choice', required: true },
            { key: 'p', label: 'P', type: 'text', required: true, pattern: '(' },
            { key: 'image-tag', label: 'Tag', type: 'text', required: true },
          ],
        }),
      ),
    ).toEqual([
      { path: 'inputs[1].key', message: 'input "x" is declared twice' },
      { path: 'inputs[2].choices', message: 'a choice input needs its choices' },
      { path: 'inputs[3].pattern', message: expect.stringMatching(/not a valid regular expression/) },
      {
        path: 'inputs[4].key',
        message:
          '"image-tag" cannot be an input key: a key is a name of letters, digits and _, read as inputs.<key>',
      },
    ]);
  });
});

describe('compileWorkflow: expressions and references', () => {
  it('reports CEL syntax and type errors in if, with a YAML line', () => {
    const issues = yamlIssues(`name: flow
title: Flow
inputs:
  - { key: replicas, label: Replicas, type: number, required: true }
steps:
  - id: a
    title: A
    uses: echo
    with: { message: a }
    if: inputs.replicas >
  - id: b
    title: B
    uses: echo
    with: { message: b }
    if: inputs.replicas + 1 > 2
  - id: c
    title: C
    uses: echo
    with: { message: c }
    if: '"not a bool"'
`);
    expect(issues).toEqual([
      {
        path: 'steps[0].if',
        message: expect.stringMatching(/^syntax error in `inputs.replicas >`/),
        line: 10,
      },
      {
        path: 'steps[1].if',
        message: expect.stringMatching(/^type error.*double \+ int.*write 1.0/),
        line: 15,
      },
      { path: 'steps[2].if', message: 'if must be true or false; `"not a bool"` is a string', line: 20 },
    ]);
  });

  it('reports unknown inputs, steps and outputs, and what a step has', () => {
    const issues = rejected(
      doc(
        [
          step('resolve', {
            uses: 'git.resolve',
            with: { repository: '${{ inputs.repository }}', ref: 'main' },
          }),
          step('b', {
            with: {
              message: '${{ inputs.nope }}',
              tags: ['${{ steps.ghost.outputs.x }}'],
              extra: { deep: '${{ steps.resolve.outputs.shaa }}', more: '${{ steps.resolve.sha }}' },
            },
          }),
        ],
        { inputs: inputsDoc },
      ),
    );
    expect(issues).toEqual([
      {
        path: 'steps[1].with.message',
        message: 'unknown input "nope" (inputs: repository, ref, replicas, agent, token)',
      },
      { path: 'steps[1].with.tags[0]', message: 'unknown step "ghost" (in steps.ghost.outputs.x)' },
      {
        path: 'steps[1].with.extra.deep',
        message: 'step "resolve" (git.resolve@1) has no output "shaa"; its outputs: sha, ref',
      },
      { path: 'steps[1].with.extra.more', message: 'steps.resolve.sha: a step has only outputs and status' },
    ]);
  });

  it('requires a step read by another to be one of its transitive needs', () => {
    const issues = yamlIssues(`name: flow
title: Flow
steps:
  - id: a
    title: A
    uses: echo
    with: { message: a }
  - id: b
    title: B
    uses: echo
    needs: []
    with: { message: b }
  - id: c
    title: C
    uses: echo
    needs: [a]
    with:
      message: "\${{ steps.b.outputs.message }}"
  - id: d
    title: D
    uses: echo
    if: steps.a.status == "completed" && steps.c.outputs.flag
    with:
      message: "\${{ steps.d.outputs.message }}"
`);
    expect(issues).toEqual([
      {
        path: 'steps[2].with.message',
        message:
          'steps.b.outputs.message is read here, but step "b" is not guaranteed to finish before "c": add "b" to its needs',
        line: 18,
      },
      {
        path: 'steps[3].with.message',
        message: 'a step cannot read its own outputs or status (steps.d.outputs.message)',
        line: 24,
      },
    ]);
  });

  it('refuses steps read by a computed name', () => {
    expect(
      rejected(
        doc([step('a'), step('b', { if: 'steps[inputs.which].status == "completed"' })], {
          inputs: [{ key: 'which', label: 'Which', type: 'text', required: true }],
        }),
      ),
    ).toEqual([
      {
        path: 'steps[1].if',
        message: 'steps must be read by name: steps.<id>.outputs.<name> or steps.<id>.status (not steps[…])',
      },
    ]);
  });

  it('lets run_title and outputs read any step, with outputs as bare expressions or templates', () => {
    const def = compiled(
      doc([step('a'), step('b', { needs: [] })], {
        run_title: 'A says ${{ steps.a.outputs.message }}',
        outputs: { first: 'steps.a.outputs.message', second: '${{ steps.b.outputs.length }}' },
      }),
    );
    expect(def.runOutputs).toBeDefined();
    expect(
      rejected(
        doc([step('a')], {
          outputs: { sha: 'steps.a.outputs.sha' },
          run_title: '${{ steps.a.outputs.nope }}',
        }),
      ),
    ).toEqual([
      {
        path: 'run_title',
        message: 'step "a" (echo@1) has no output "nope"; its outputs: message, length, tags, flag',
      },
      {
        path: 'outputs.sha',
        message: 'step "a" (echo@1) has no output "sha"; its outputs: message, length, tags, flag',
      },
    ]);
  });

  it('lets concurrency.key read only inputs, and nothing secret', () => {
    expect(
      rejected(
        doc([step('a')], {
          inputs: inputsDoc,
          concurrency: { key: '${{ inputs.repository }}/${{ steps.a.outputs.message }}/${{ run.id }}' },
        }),
      ),
    ).toEqual([
      {
        path: 'concurrency.key',
        message: 'concurrency.key may read only inputs (not steps.a.outputs.message)',
      },
      { path: 'concurrency.key', message: 'concurrency.key may read only inputs (not run.id)' },
    ]);
    expect(
      rejected(doc([step('a')], { inputs: inputsDoc, concurrency: { key: 'k-${{ inputs.token }}' } })),
    ).toEqual([
      {
        path: 'concurrency.key',
        message:
          'concurrency.key must not read secret inputs (inputs.token): it is stored and shown in clear',
      },
    ]);
    expect(
      rejected(doc([step('a')], { inputs: inputsDoc, run_title: 'T ${{ inputs.token }}' }))[0]!.path,
    ).toBe('run_title');
  });

  it('reports type errors in templates', () => {
    expect(
      rejected(doc([step('a'), step('b', { with: { message: 'x ${{ steps.a.outputs.length + "s" }}' } })])),
    ).toEqual([
      {
        path: 'steps[1].with.message',
        message: expect.stringMatching(/^type error in `steps.a.outputs.length \+ "s"`/),
      },
    ]);
    expect(rejected(doc([step('a', { with: { message: 'x ${{ 1 + ' } })]))).toEqual([
      { path: 'steps[0].with.message', message: expect.stringMatching(/not closed/) },
    ]);
  });
});

describe('compileWorkflow: with literals against the kind', () => {
  it('reports a literal that fails the kind, with its YAML line, and a param that is missing', () => {
    const issues = yamlIssues(`name: flow
title: Flow
steps:
  - id: pause
    title: Pause
    uses: wait
    with:
      duration: 5 minutes
  - id: nothing
    title: Nothing
    uses: wait
  - id: extra
    title: Extra
    uses: echo
    with:
      message: hi
      colour: blue
`);
    expect(issues).toEqual([
      { path: 'steps[0].with.duration', message: 'duration: duration must be like 2s', line: 8 },
      // No `with` at all: the line of the step.
      { path: 'steps[1].with.duration', message: 'wait needs duration', line: 9 },
      { path: 'steps[2].with.colour', message: 'colour: unknown field "colour"', line: 17 },
    ]);
  });

  it('leaves templated values to run time but checks the literals around them', () => {
    const def = compiled(
      doc(
        [
          step('a', {
            uses: 'config',
            with: { settings: { replicas: '${{ inputs.replicas }}', labels: ['x'] } },
          }),
          step('b', { uses: 'wait', with: { duration: '${{ inputs.ref }}' } }),
        ],
        { inputs: inputsDoc },
      ),
    );
    expect(def.steps).toHaveLength(2);
    expect(
      rejected(
        doc(
          [
            step('a', {
              uses: 'config',
              with: { settings: { replicas: '${{ inputs.replicas }}', labels: [1] } },
            }),
          ],
          {
            inputs: inputsDoc,
          },
        ),
      ),
    ).toEqual([
      {
        path: 'steps[0].with.settings.labels[0]',
        message: expect.stringMatching(/^settings.labels\[0\]: .*string/),
      },
    ]);
    // An unknown param is unknown whether or not its value is a template.
    expect(rejected(doc([step('a', { with: { message: 'm', colour: '${{ "blue" }}' } })]))).toEqual([
      { path: 'steps[0].with.colour', message: 'colour: unknown field "colour"' },
    ]);
  });
});

describe('compileWorkflow: gates, inputs and compensations', () => {
  it('refuses a gate on a kind that asks, and gate: false on a kind that is always a gate', () => {
    expect(
      rejected(
        doc([
          step('ask', { uses: 'input', with: { label: 'Name' }, gate: true }),
          step('ok', { uses: 'approval', with: { message: 'Go?' }, gate: false }),
        ]),
      ),
    ).toEqual([
      { path: 'steps[0].gate', message: '"input" asks a person for a value; it cannot also be a gate' },
      { path: 'steps[1].gate', message: '"approval" is always a gate; remove gate: false' },
    ]);
  });

  it('resolves compensate.uses and checks its with', () => {
    const issues = yamlIssues(`name: flow
title: Flow
steps:
  - id: a
    title: A
    uses: echo
    with: { message: a }
    compensate:
      uses: fleet.undoo
  - id: b
    title: B
    uses: echo
    with: { message: b }
    compensate:
      uses: input
      with: { label: x }
  - id: c
    title: C
    uses: echo
    with: { message: c }
    compensate:
      uses: fleet.undo
      with:
        agent: 7
        job: "\${{ steps.c.outputs.nope }}"
`);
    expect(issues).toEqual([
      {
        path: 'steps[0].compensate.uses',
        message: expect.stringMatching(/^unknown step kind "fleet.undoo"/),
        line: 9,
      },
      {
        path: 'steps[1].compensate.uses',
        message: '"input" waits for a person; a compensation must run on its own',
        line: 15,
      },
      {
        path: 'steps[2].compensate.with.job',
        message: 'step "c" (echo@1) has no output "nope"; its outputs: message, length, tags, flag',
        line: 25,
      },
      {
        path: 'steps[2].compensate.with.agent',
        message: expect.stringMatching(/^agent: .*string/),
        line: 24,
      },
    ]);
  });

  it('reports many problems at once', () => {
    const issues = rejected(
      doc([
        step('a', { uses: 'nope' }),
        step('a', { needs: ['zz'] }),
        step('c', { if: 'inputs.zz', with: {} }),
      ]),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'steps[0].uses',
      'steps[1].id',
      'steps[1].needs[0]',
      'steps[2].if',
      'steps[2].with.message',
    ]);
  });
});

describe('compileWorkflow: YAML lines', () => {
  it('gives every other rejection the line it comes from', () => {
    const issues = yamlIssues(`name: flow
title: Flow
inputs:
  - key: token
    label: Token
    type: secret
    required: false
  - key: token
    label: Again
    type: text
    required: false
concurrency:
  key: "\${{ inputs.token }}"
run_title: "\${{ steps.a.outputs.nothing }}"
outputs:
  n: steps.ghost.outputs.n
steps:
  - id: a
    title: A
    uses: echo
    with:
      message: "\${{ inputs.missing }}"
  - id: a
    title: A again
    uses: input
    gate: true
    needs: [nowhere]
    with:
      label: x
`);
    expect(issues).toEqual([
      { path: 'inputs[1].key', message: 'input "token" is declared twice', line: 8 },
      { path: 'steps[1].id', message: 'step id "a" is already used by steps[0]', line: 23 },
      { path: 'steps[1].needs[0]', message: 'unknown step "nowhere"', line: 27 },
      { path: 'steps[0].with.message', message: 'unknown input "missing" (inputs: token)', line: 22 },
      {
        path: 'steps[1].gate',
        message: '"input" asks a person for a value; it cannot also be a gate',
        line: 26,
      },
      {
        path: 'run_title',
        message: 'step "a" (echo@1) has no output "nothing"; its outputs: message, length, tags, flag',
        line: 14,
      },
      { path: 'outputs.n', message: 'unknown step "ghost" (in steps.ghost.outputs.n)', line: 16 },
      {
        path: 'concurrency.key',
        message:
          'concurrency.key must not read secret inputs (inputs.token): it is stored and shown in clear',
        line: 13,
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('the compiled definition', () => {
  it('makes needs explicit and resolves uses to name@version', () => {
    const def = compiled(
      doc([
        step('a'),
        step('b'),
        step('c', { needs: [] }),
        step('d', { needs: ['b', 'c'] }),
        step('w', { uses: 'wait', with: { duration: '1s' } }),
        step('w1', { uses: 'wait@1', with: { duration: '1s' } }),
      ]),
    );
    expect(def.steps.map((s) => [s.id, s.needs, s.uses])).toEqual([
      ['a', [], 'echo@1'],
      ['b', ['a'], 'echo@1'],
      ['c', [], 'echo@1'],
      ['d', ['b', 'c'], 'echo@1'],
      ['w', ['d'], 'wait@2'],
      ['w1', ['w'], 'wait@1'],
    ]);
  });

  it('describes the workflow: names, version, inputs, parallelism, failure policy, source, built-in', () => {
    const result = compile(
      doc([step('a')], { description: 'About', inputs: inputsDoc, max_parallel: 4, on_failure: 'rollback' }),
      { builtIn: true },
    );
    if (!result.ok) throw new Error('expected it to compile');
    const def = result.definition;
    expect(def).toMatchObject({
      name: 'test_flow',
      title: 'Test flow',
      description: 'About',
      version: 3,
      maxParallel: 4,
      onFailure: 'rollback',
      promoteStepOutputs: false,
      builtIn: true,
      source: result.document,
    });
    expect(def.inputs.map((i) => i.key)).toEqual(['repository', 'ref', 'replicas', 'agent', 'token']);
    expect(def.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.document.steps[0]!.with).toEqual({ message: 'a' });
    expect(compiled(doc([step('a')])).builtIn).toBe(false);
  });

  it('runs an automatic step with its with evaluated, templates keeping their types', async () => {
    calls = [];
    const def = compiled(
      doc(
        [
          step('resolve', {
            uses: 'git.resolve',
            with: { repository: '${{ inputs.repository }}', ref: '${{ inputs.ref }}' },
          }),
          step('say', {
            with: {
              message: 'Deploying ${{ steps.resolve.outputs.sha }} x${{ inputs.replicas }}',
              count: '${{ int(inputs.replicas) }}',
              tags: '${{ [steps.resolve.outputs.ref, "latest"] }}',
              extra: {
                nested: ['${{ inputs.replicas > 1.0 }}', '${{ {"k": inputs.repository} }}'],
                agent: '${{ inputs.?agent }}',
              },
            },
          }),
        ],
        { inputs: inputsDoc },
      ),
    );
    const say = stepOf(def, 'say', 'automatic');
    const scope = scopeOf({ resolve: { outputs: { sha: 'abc', ref: 'main' } } });
    const result = await say.run(ctxOf(scope, 'say'));
    expect(result).toMatchObject({ summary: 'Deploying abc x2' });
    expect(calls[0]!.params).toEqual({
      message: 'Deploying abc x2',
      count: 2,
      tags: ['main', 'latest'],
      extra: { nested: [true, { k: 'demo/app' }] },
    });
  });

  it('fails a step whose evaluated params break the kind, without retry, naming the param', async () => {
    const def = compiled(
      doc([step('w', { uses: 'wait', with: { duration: '${{ inputs.ref }}' } })], { inputs: inputsDoc }),
    );
    const w = stepOf(def, 'w', 'automatic');
    const error = await w.run(ctxOf(scopeOf({}, { repository: 'r', ref: 'soon' }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepParamsError);
    expect((error as StepParamsError).retryable).toBe(false);
    expect((error as Error).message).toBe('step "w" (wait@2): with.duration: duration must be like 2s');
    // An expression that cannot be evaluated is not retried either.
    const e2 = compiled(
      doc([step('a', { with: { message: '${{ inputs.agent }}' } })], { inputs: inputsDoc }),
    );
    const failure = await stepOf(e2, 'a', 'automatic')
      .run(ctxOf(scopeOf()))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExpressionError);
    expect((failure as ExpressionError).retryable).toBe(false);
  });

  it('wires a durable wait: run parks, resume, recheck and cancelWait get the same params', async () => {
    const def = compiled(
      doc([step('w', { uses: 'wait', with: { duration: '${{ inputs.ref }}' } })], { inputs: inputsDoc }),
    );
    const w = stepOf(def, 'w', 'automatic');
    const ctx = ctxOf(scopeOf({}, { repository: 'r', ref: '2s' }), 'w');
    const parked = await w.run(ctx);
    expect(isStepWait(parked) && parked.wait).toMatchObject({ key: 'timer:run-1:w', deadlineMs: 2000 });
    expect(await w.resume!(ctx, { at: 1 })).toEqual({ summary: 'waited 2s', data: { at: 1 } });
    expect(await w.recheck!(ctx, 'ended')).toEqual({ payload: '2s' });
    expect(await w.recheck!(ctx, 'other')).toBeNull();
    calls = [];
    await w.cancelWait!(ctx, 'timer:run-1:w', { by: 'bob', reason: 'changed my mind' });
    expect(calls[0]!.params).toEqual({
      duration: '2s',
      key: 'timer:run-1:w',
      by: 'bob',
      reason: 'changed my mind',
    });
  });

  it('sets timeouts, retries and continue_on_error', () => {
    const def = compiled(
      doc([
        step('a', {
          timeout: '1m30s',
          retry: { attempts: 3, backoff: '2s', factor: 3, max_backoff: '1m' },
          continue_on_error: true,
        }),
        step('b', { retry: { attempts: 2 } }),
        step('c', { uses: 'wait', with: { duration: '1s' } }),
      ]),
    );
    expect(stepOf(def, 'a', 'automatic')).toMatchObject({
      timeoutMs: 90_000,
      retry: { attempts: 3, backoffMs: 2000, factor: 3, maxBackoffMs: 60_000 },
      continueOnError: true,
    });
    // The kind's default timeout, the default backoff.
    expect(stepOf(def, 'b', 'automatic')).toMatchObject({
      timeoutMs: 30_000,
      retry: { attempts: 2, backoffMs: 1000 },
    });
    expect(stepOf(def, 'b', 'automatic').continueOnError).toBeUndefined();
    expect(stepOf(def, 'c', 'automatic').timeoutMs).toBeUndefined();
  });

  it('compiles if into a condition that must give a bool', () => {
    const def = compiled(
      doc([
        step('a'),
        step('b', { if: 'steps.a.outputs.length > 3' }),
        step('deploy', { uses: 'fleet.deploy', with: { agent: 'a', sha: 's' } }),
        // A nullable output is dyn: whether it is a bool is known only when it runs.
        step('c', { if: 'steps.deploy.outputs.previous' }),
      ]),
    );
    const b = stepOf(def, 'b', 'automatic');
    expect(b.condition!.expression).toBe('steps.a.outputs.length > 3');
    expect(b.condition!.test(scopeOf({ a: { outputs: { length: 5 } } }))).toBe(true);
    expect(b.condition!.test(scopeOf({ a: { outputs: { length: 1 } } }))).toBe(false);
    const c = stepOf(def, 'c', 'automatic');
    expect(() => c.condition!.test(scopeOf({ deploy: { outputs: { previous: 'rel-0' } } }))).toThrow(
      /must be true or false.*"rel-0"/,
    );
    expect(c.condition!.test(scopeOf({ deploy: { outputs: { previous: true } } }))).toBe(true);
    // A step that has not run (no record in the scope): its status is pending.
    const d = compiled(doc([step('a'), step('b', { needs: ['a'], if: 'steps.a.status == "pending"' })]));
    expect(stepOf(d, 'b', 'automatic').condition!.test(scopeOf({}))).toBe(true);
  });

  it('makes a gate of a step with gate: plan, apply with the decision, input, deadline, reject summary', async () => {
    calls = [];
    const def = compiled(
      doc(
        [
          step('resolve', { uses: 'git.resolve', with: { repository: 'r', ref: 'main' } }),
          step('deploy', {
            uses: 'fleet.deploy',
            with: { agent: 'web-1', sha: '${{ steps.resolve.outputs.sha }}' },
            gate: { timeout: '1h' },
          }),
        ],
        { inputs: inputsDoc },
      ),
    );
    const gate = stepOf(def, 'deploy', 'gate') as GateStepDef;
    const ctx = ctxOf(scopeOf({ resolve: { outputs: { sha: 'abc', ref: 'main' } } }), 'deploy');
    const plan = (await gate.plan(ctx)) as StepResult;
    expect(plan).toEqual({ summary: 'Deploy abc to web-1', data: { agent: 'web-1' } });
    expect(await gate.input!(ctx, { summary: plan.summary, data: plan.data })).toMatchObject({
      label: 'Instead of web-1',
    });
    const decision = { by: 'bob', note: 'ok', input: 'web-2' };
    await gate.apply(ctx, { summary: plan.summary, data: plan.data }, decision);
    expect(calls.at(-1)).toEqual({
      kind: 'fleet.deploy',
      params: { agent: 'web-1', sha: 'abc' },
      approval: { ...decision, plan: { summary: plan.summary, data: plan.data } },
    });
    expect(gate).toMatchObject({ deadlineMs: 3_600_000, rejectSummary: 'left for manual resolution' });
  });

  it('gives a kind without a plan a generic one: the message (a template) or the title, and the params with secrets masked', async () => {
    const def = compiled(
      doc(
        [
          step('a', { gate: true }),
          step('b', {
            gate: { message: 'Send ${{ inputs.repository }}?' },
            with: { message: '${{ inputs.token }}', count: 2 },
          }),
          step('ok', { uses: 'approval', with: { message: 'Go?' } }),
        ],
        { inputs: inputsDoc },
      ),
    );
    const scope = scopeOf({}, { repository: 'demo/app', ref: 'main', token: 'hunter2' });
    expect(await stepOf(def, 'a', 'gate').plan(ctxOf(scope))).toEqual({
      summary: 'A',
      data: { message: 'a' },
    });
    expect(await stepOf(def, 'b', 'gate').plan(ctxOf(scope))).toEqual({
      summary: 'Send demo/app?',
      data: { message: '••••••', count: 2 },
    });
    const ok = stepOf(def, 'ok', 'gate');
    expect(ok.input).toBeUndefined();
    expect(
      await ok.apply(ctxOf(scope), { summary: 'OK', data: null }, { by: 'bob', note: null, input: null }),
    ).toEqual({
      summary: 'approved by bob',
    });
  });

  it('makes an input step of a kind that asks, its timeout the deadline', async () => {
    const def = compiled(
      doc(
        [
          step('ask', {
            uses: 'input',
            with: { label: 'Name for ${{ inputs.repository }}' },
            timeout: '10m',
          }),
        ],
        { inputs: inputsDoc },
      ),
    );
    const ask = stepOf(def, 'ask', 'input') as InputStepDef;
    expect(await ask.input(ctxOf(scopeOf()))).toEqual({
      key: 'value',
      label: 'Name for demo/app',
      type: 'text',
      required: true,
    });
    expect(ask.deadlineMs).toBe(600_000);
    expect(ask.timeoutMs).toBeUndefined();
  });

  it("compensates with the kind's own undo, reading the step's record", async () => {
    calls = [];
    const def = compiled(doc([step('deploy', { uses: 'fleet.deploy', with: { agent: 'web-1', sha: 's' } })]));
    const compensation = stepOf(def, 'deploy', 'automatic').compensation!;
    const record = { outputs: { job_id: 'job-1', previous: 'rel-0' }, data: null };
    expect(compensation.describe(ctxOf(scopeOf()), record)).toBe('switch web-1 back to rel-0');
    expect(compensation.describe(ctxOf(scopeOf()), { outputs: { previous: null }, data: null })).toBeNull();
    // Arguments that cannot be worked out any more: the plan says so rather than failing.
    const templated = compiled(
      doc([step('deploy', { uses: 'fleet.deploy', with: { agent: '${{ inputs.agent }}', sha: 's' } })], {
        inputs: inputsDoc,
      }),
    );
    expect(stepOf(templated, 'deploy', 'automatic').compensation!.describe(ctxOf(scopeOf()), record)).toMatch(
      /^Deploy: cannot be planned \(`inputs.agent`: No such key: agent\)$/,
    );
    expect(await compensation.run(ctxOf(scopeOf()), record)).toEqual({ summary: 'switched web-1 back' });
    expect(calls[0]).toMatchObject({
      kind: 'fleet.deploy:compensate',
      params: { agent: 'web-1', sha: 's' },
      record,
    });
  });

  it('compensates with another kind when the step says so, its with reading the step own outputs', async () => {
    calls = [];
    const def = compiled(
      doc([
        step('a'),
        step('deploy', {
          uses: 'fleet.deploy',
          with: { agent: 'web-1', sha: 's' },
          compensate: {
            uses: 'fleet.undo',
            with: { agent: '${{ steps.a.outputs.message }}', job: '${{ steps.deploy.outputs.job_id }}' },
          },
        }),
        step('plain', { compensate: false }),
        step('none'),
      ]),
    );
    const compensation = stepOf(def, 'deploy', 'automatic').compensation!;
    expect(compensation.describe(ctxOf(scopeOf()), { outputs: {}, data: null })).toBe(
      'Undo a deploy (fleet.undo@1)',
    );
    const scope = scopeOf({
      a: { outputs: { message: 'web-9' } },
      deploy: { status: 'completed', outputs: {} },
    });
    await compensation.run(ctxOf(scope), { outputs: { job_id: 'job-7', previous: null }, data: null });
    expect(calls[0]).toMatchObject({
      kind: 'fleet.undo',
      params: { agent: 'web-9', job: 'job-7' },
      approval: null,
    });
    expect(stepOf(def, 'plain', 'automatic').compensation).toBeUndefined();
    expect(stepOf(def, 'none', 'automatic').compensation).toBeUndefined();
  });

  it('refuses a compensation that would park on a durable wait', async () => {
    const def = compiled(doc([step('a', { compensate: { uses: 'wait', with: { duration: '1s' } } })]));
    const error = await stepOf(def, 'a', 'automatic')
      .compensation!.run(ctxOf(scopeOf()), { outputs: {}, data: null })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /wait@2 waits for an event; a compensation must finish in one call/,
    );
    expect((error as { retryable?: boolean }).retryable).toBe(false);
  });

  it('computes the run title, falling back to the title when it cannot', () => {
    const def = compiled(
      doc([step('resolve', { uses: 'git.resolve', with: { repository: 'r', ref: 'main' } })], {
        inputs: inputsDoc,
        run_title: 'Deploy ${{ inputs.repository }}@${{ steps.resolve.outputs.sha }}',
      }),
    );
    const title = def.runTitle!;
    expect(title({ steps: {} }, scopeOf({ resolve: { outputs: { sha: 'abc' } } }))).toBe(
      'Deploy demo/app@abc',
    );
    expect(title({ steps: {} }, scopeOf())).toBe('Test flow');
    expect(title({ steps: {} })).toBe('Test flow');
    expect(compiled(doc([step('a')])).runTitle).toBeUndefined();
  });

  it('computes run outputs, leaving out those whose steps have not run', () => {
    const def = compiled(
      doc([step('a'), step('b')], {
        outputs: {
          first: 'steps.a.outputs.message',
          size: 'steps.b.outputs.length',
          both: '${{ steps.a.outputs.tags }}',
        },
      }),
    );
    expect(def.runOutputs!(scopeOf({ a: { outputs: { message: 'hi', tags: ['t'] } } }))).toEqual({
      first: 'hi',
      both: ['t'],
    });
    expect(
      def.runOutputs!(
        scopeOf({ a: { outputs: { message: 'hi', tags: [] } }, b: { outputs: { length: 2 } } }),
      ),
    ).toEqual({
      first: 'hi',
      size: 2,
      both: [],
    });
  });

  it('evaluates the concurrency key from the inputs', () => {
    const def = compiled(
      doc([step('a')], {
        inputs: inputsDoc,
        concurrency: {
          key: '${{ inputs.repository }}/${{ inputs.?agent.orValue("any") }}',
          on_conflict: 'queue',
        },
      }),
    );
    expect(def.concurrency!.expression).toBe('${{ inputs.repository }}/${{ inputs.?agent.orValue("any") }}');
    expect(def.concurrency!.onConflict).toBe('queue');
    expect(def.concurrency!.key({ repository: 'demo/app', ref: 'main' })).toBe('demo/app/any');
    expect(def.concurrency!.key({ repository: 'demo/app', ref: 'main', agent: 'web-1' })).toBe(
      'demo/app/web-1',
    );
    expect(
      compiled(doc([step('a')], { inputs: inputsDoc, concurrency: { key: '${{ inputs.repository }}' } }))
        .concurrency!.onConflict,
    ).toBe('refuse');
  });
});

describe('checkStart', () => {
  const flow = (extra: unknown[] = []) =>
    doc(
      [
        step('resolve', {
          uses: 'git.resolve',
          with: { repository: '${{ inputs.repository }}', ref: '${{ inputs.ref }}' },
        }),
        step('other', { uses: 'git.resolve', with: { repository: 'x', ref: 'pre-${{ inputs.ref }}' } }),
        step('guarded', {
          uses: 'git.resolve',
          if: 'inputs.repository != "skip/me"',
          with: { repository: 'x', ref: '${{ inputs.ref }}' },
        }),
        step('later', {
          uses: 'git.resolve',
          with: { repository: 'x', ref: '${{ steps.resolve.outputs.sha }}' },
        }),
        ...extra,
      ],
      { inputs: inputsDoc },
    );

  it('runs start checks whose params read only inputs, naming the input a param came from', async () => {
    const def = compiled(flow());
    expect(await def.checkStart!({ repository: 'demo/app', ref: 'main' })).toEqual([]);
    expect(await def.checkStart!({ repository: 'demo/app', ref: 'missing' })).toEqual([
      { path: 'ref', message: 'ref missing not found' },
    ]);
    // A step skipped by an if over the inputs is not checked.
    expect(await def.checkStart!({ repository: 'skip/me', ref: 'missing' })).toEqual([
      { path: 'ref', message: 'ref missing not found' },
    ]);
    // Params that fail the kind's schema are reported too; a param that is not exactly one input names the step.
    expect(await def.checkStart!({ repository: 'demo/app', ref: 'bad ref' })).toEqual([
      { path: 'ref', message: 'not a ref' },
      { path: 'steps.other.with.ref', message: 'not a ref' },
    ]);
  });

  it('does not wait more than 5 s for a check', async () => {
    const def = compiled(doc([step('slow', { uses: 'slow.check', with: { name: 'x' } })]));
    const started = Date.now();
    expect(await def.checkStart!({})).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  }, 20_000);

  it('is absent when no kind has a start check', () => {
    expect(compiled(doc([step('a')])).checkStart).toBeUndefined();
  });
});

describe('the hash and export', () => {
  const full = doc(
    [
      step('resolve', {
        uses: 'git.resolve',
        with: { repository: '${{ inputs.repository }}', ref: '${{ inputs.ref }}' },
      }),
      step('deploy', {
        uses: 'fleet.deploy@1',
        with: { agent: '${{ inputs.?agent.orValue("web-1") }}', sha: '${{ steps.resolve.outputs.sha }}' },
        gate: { message: 'Deploy?', timeout: '1h' },
        retry: { attempts: 2 },
        compensate: {
          uses: 'fleet.undo',
          with: { agent: 'web-1', job: '${{ steps.deploy.outputs.job_id }}' },
        },
      }),
      step('note', {
        needs: ['resolve'],
        if: 'steps.resolve.outputs.ref == "main"',
        with: { message: 'multi\nline: ${{ inputs.ref }}' },
      }),
    ],
    {
      inputs: inputsDoc,
      run_title: 'Deploy ${{ inputs.repository }}',
      concurrency: { key: '${{ inputs.repository }}', on_conflict: 'queue' },
      outputs: { sha: 'steps.resolve.outputs.sha' },
      on_failure: 'rollback',
    },
  );

  it('is the same for the same document, whatever the key order or explicit defaults, and changes with it', () => {
    const a = compiled(full).hash;
    expect(compiled(full).hash).toBe(a);
    const reordered = Object.fromEntries(Object.entries(full).reverse()) as typeof full;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(full)[0]);
    expect(compiled(reordered).hash).toBe(a);
    expect(compiled({ ...full, description: '', max_parallel: 10 }).hash).toBe(a);
    expect(compiled({ ...full, max_parallel: 9 }).hash).not.toBe(a);
    const result = compile(full);
    if (!result.ok) throw new Error('expected it to compile');
    expect(documentHash(result.document)).toBe(a);
  });

  it('pins every uses to name@version in the normalised document, so a later kind version cannot change it', () => {
    const written = doc([
      step('w', {
        uses: 'wait',
        with: { duration: '1s' },
        compensate: { uses: 'fleet.undo', with: { agent: 'a', job: 'j' } },
      }),
    ]);
    const result = compile(written);
    if (!result.ok) throw new Error('expected it to compile');
    expect(result.document.steps[0]).toMatchObject({ uses: 'wait@2', compensate: { uses: 'fleet.undo@1' } });
    expect(result.definition.source).toBe(result.document);
    const pinned = doc([
      step('w', {
        uses: 'wait@2',
        with: { duration: '1s' },
        compensate: { uses: 'fleet.undo@1', with: { agent: 'a', job: 'j' } },
      }),
    ]);
    expect(compiled(pinned).hash).toBe(result.definition.hash);
    expect(compiled({ ...pinned, steps: [{ ...pinned.steps[0]!, uses: 'wait@1' }] }).hash).not.toBe(
      result.definition.hash,
    );
  });

  it('is immutable: the document is frozen, the caller keeps its objects, a kind cannot change what the next run gets', async () => {
    const written = doc([step('c', { uses: 'config', with: { settings: { replicas: 2, labels: ['a'] } } })]);
    const result = compile(written);
    if (!result.ok) throw new Error('expected it to compile');
    expect(Object.isFrozen(result.document.steps[0]!.with)).toBe(true);
    expect(Object.isFrozen(written.steps[0]!.with)).toBe(false);
    calls = [];
    const c = stepOf(result.definition, 'c', 'automatic');
    await c.run(ctxOf(scopeOf()));
    (calls[0]!.params as { settings: { labels: string[] } }).settings.labels.push('b');
    await c.run(ctxOf(scopeOf()));
    expect(calls[1]!.params).toEqual({ settings: { replicas: 2, labels: ['a'] } });
  });

  for (const format of ['yaml', 'json'] as const) {
    it(`round-trips through ${format} export to the same hash; under another name, to the same steps`, () => {
      const first = compile(full);
      if (!first.ok) throw new Error('expected it to compile');
      const text = exportDocument(first.document, format);
      const parsed = parseDocumentText(text, format);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const again = compileWorkflow(parsed.document.value, registry, {
        version: 1,
        lines: parsed.document.lineOf,
      });
      if (!again.ok) throw new Error(JSON.stringify(again.issues));
      expect(again.definition.hash).toBe(first.definition.hash);
      expect(again.document).toEqual(first.document);

      const renamed = compileWorkflow(
        { ...(parsed.document.value as object), name: 'copy_of_it' },
        registry,
        {
          version: 1,
        },
      );
      if (!renamed.ok) throw new Error(JSON.stringify(renamed.issues));
      expect(renamed.definition.name).toBe('copy_of_it');
      expect({ ...renamed.document, name: first.document.name }).toEqual(first.document);
      const shape = (d: WorkflowDefinition) =>
        d.steps.map((s) => ({
          id: s.id,
          kind: s.kind,
          uses: s.uses,
          needs: s.needs,
          timeoutMs: s.timeoutMs,
          retry: s.retry,
        }));
      expect(shape(renamed.definition)).toEqual(shape(first.definition));
    });
  }
});

// Keeps the type imports honest: the definition's steps are the engine's step types.
const _typecheck: AutomaticStepDef | GateStepDef | InputStepDef | undefined = undefined;
void _typecheck;
