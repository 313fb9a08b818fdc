import { createHash } from 'node:crypto';
import {
  type FieldIssue,
  type InputSpec,
  parseDuration,
  type StepDoc,
  type WorkflowDocument,
} from '@deploybot/shared';
import { DeployBotError } from '../../errors/deploybot-error';
import type { AnyStepKind } from '../step-kind';
import {
  type AutomaticStepDef,
  type Compensation,
  type ExpressionScope,
  type GateStepDef,
  type InputStepDef,
  isStepWait,
  type RetryPolicy,
  type StepContext,
  type StepDef,
  type StepResult,
  type WorkflowDefinition,
} from '../types';
import { formatPath } from './document';
import {
  type CompiledExpression,
  type CompiledTemplate,
  type CompiledValue,
  ExpressionError,
  evaluate,
  evaluateTemplate,
  evaluateValue,
  stringify,
} from './expressions';
import { zodIssues } from './zod-issues';

/**
 * The executable side of the compiler: a checked document becomes the engine's `WorkflowDefinition`, its steps
 * closures that evaluate their `with` against the run's scope and call their kind.
 */

/** A step's arguments that fail its kind's `params` when the step runs: the same input fails again, so no retry. */
export class StepParamsError extends DeployBotError {
  constructor(message: string) {
    super('validation_failed', message, { retryable: false });
  }
}

/** How long `checkStart` waits for the kinds' start checks before it lets the start go ahead without them. */
export const START_CHECK_TIMEOUT_MS = 5000;

/** SHA-256 (hex) of a document's canonical JSON: keys sorted, defaults applied. */
export function documentHash(doc: WorkflowDocument): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface CompiledStep {
  doc: StepDoc;
  kind: AnyStepKind;
  needs: string[];
  with: CompiledValue;
  /** Top-level params whose value is exactly `${{ inputs.X }}`: param → X. */
  inputParams: Map<string, string>;
  /** Top-level params that read a secret input (left out of a generic gate plan). */
  secretParams: Set<string>;
  /** Whether `with` reads only inputs (its params can be known when the run starts). */
  withReadsOnlyInputs: boolean;
  condition?: CompiledExpression;
  gateMessage?: CompiledTemplate;
  compensate?: { kind: AnyStepKind; with: CompiledValue } | false;
}

// ---------------------------------------------------------------------------------------------------------------
// Building the executable definition.

export interface BuildOptions {
  version: number;
  builtIn?: boolean;
  runTitle: CompiledTemplate | undefined;
  outputs: Array<[string, CompiledTemplate]>;
  concurrencyKey: CompiledTemplate | undefined;
  stepIds: string[];
}

export function buildDefinition(
  doc: WorkflowDocument,
  steps: CompiledStep[],
  o: BuildOptions,
): WorkflowDefinition {
  const complete = scopeCompleter(o.stepIds);
  const defs = steps.map((s) => buildStep(s, complete));
  const definition: WorkflowDefinition = {
    name: doc.name,
    title: doc.title,
    description: doc.description,
    version: o.version,
    inputs: doc.inputs,
    steps: defs,
    promoteStepOutputs: false,
    maxParallel: doc.max_parallel,
    onFailure: doc.on_failure,
    hash: documentHash(doc),
    builtIn: o.builtIn ?? false,
    source: doc,
  };
  if (o.runTitle) {
    const template = o.runTitle;
    definition.runTitle = (_context, scope) => {
      if (!scope) return doc.title;
      try {
        return stringify(evaluateTemplate(template, complete(scope))) || doc.title;
      } catch {
        return doc.title;
      }
    };
  }
  if (o.outputs.length > 0) {
    const outputs = o.outputs;
    definition.runOutputs = (scope) => {
      const full = complete(scope);
      const values: Record<string, unknown> = {};
      for (const [name, template] of outputs) {
        try {
          const value = evaluateTemplate(template, full);
          if (value !== undefined) values[name] = value;
        } catch {
          // It reads a step that has not run (or was skipped): no value yet.
        }
      }
      return values;
    };
  }
  if (doc.concurrency && o.concurrencyKey) {
    const template = o.concurrencyKey;
    definition.concurrency = {
      expression: doc.concurrency.key,
      key: (inputs) => stringify(evaluateTemplate(template, complete(startScope(inputs)))),
      onConflict: doc.concurrency.on_conflict,
    };
  }
  const checked = steps.filter(
    (s) =>
      s.kind.startCheck &&
      s.withReadsOnlyInputs &&
      (!s.condition || s.condition.references.every((r) => r.root === 'inputs')),
  );
  if (checked.length > 0)
    definition.checkStart = (inputs) => checkStart(checked, complete(startScope(inputs)));
  return definition;
}

/** What expressions see before anything ran: the inputs. */
function startScope(inputs: Readonly<Record<string, unknown>>): ExpressionScope {
  return { inputs, steps: {}, run: { id: '', started_by: '' } };
}

const PENDING = Object.freeze({ outputs: Object.freeze({}), status: 'pending' });

/** The scope with every step of the definition present (a step that has no record yet is pending, no outputs). */
function scopeCompleter(stepIds: string[]): (scope: ExpressionScope) => ExpressionScope {
  return (scope) => {
    if (stepIds.every((id) => id in scope.steps)) return scope;
    const steps: Record<string, { outputs: Readonly<Record<string, unknown>>; status: string }> = {};
    for (const id of stepIds) steps[id] = scope.steps[id] ?? PENDING;
    return { ...scope, steps };
  };
}

function buildStep(s: CompiledStep, complete: (scope: ExpressionScope) => ExpressionScope): StepDef {
  const { doc, kind } = s;
  const params = (scope: ExpressionScope): unknown => {
    const value = evaluateValue(s.with, complete(scope));
    const parsed = kind.params.safeParse(value);
    if (!parsed.success) {
      const detail = zodIssues(parsed.error.issues, [])
        .map((i) => `with.${formatPath(i.at) || '(all)'}: ${i.message}`)
        .join('; ');
      throw new StepParamsError(`step "${doc.id}" (${kind.name}@${kind.version}): ${detail}`);
    }
    return parsed.data;
  };

  const base = {
    id: doc.id,
    title: doc.title,
    description: doc.description ?? '',
    uses: `${kind.name}@${kind.version}`,
    needs: s.needs,
    ...(s.condition ? { condition: conditionOf(s.condition, complete) } : {}),
    ...(doc.continue_on_error ? { continueOnError: true } : {}),
    ...(doc.retry ? { retry: retryOf(doc.retry) } : {}),
    ...(kind.resume
      ? {
          resume: async (
            ctx: StepContext,
            payload: unknown,
            approval: Parameters<NonNullable<StepDef['resume']>>[2],
          ) => kind.resume!(ctx, params(ctx.scope), payload, approval),
        }
      : {}),
    ...(kind.recheck
      ? { recheck: async (ctx: StepContext, key: string) => kind.recheck!(ctx, params(ctx.scope), key) }
      : {}),
    ...(kind.cancelWait
      ? {
          cancelWait: async (
            ctx: StepContext,
            key: string,
            cancelled: { by: string; reason: string | null },
          ) => kind.cancelWait!(ctx, params(ctx.scope), key, cancelled),
        }
      : {}),
  };
  const compensation = compensationOf(s, params, complete);
  const withCompensation = compensation ? { compensation } : {};
  const timeoutMs = doc.timeout !== undefined ? parseDuration(doc.timeout) : kind.defaultTimeoutMs;

  if (kind.ask) {
    const ask = kind.ask;
    const step: InputStepDef = {
      ...base,
      ...withCompensation,
      kind: 'input',
      input: async (ctx) => ask(ctx, params(ctx.scope)),
      // A person's answer has no handler to time out: `timeout` is how long the question waits.
      ...(doc.timeout !== undefined ? { deadlineMs: parseDuration(doc.timeout)! } : {}),
    };
    return step;
  }

  const gated = doc.gate === true || typeof doc.gate === 'object' || kind.gate === 'always';
  if (gated) {
    const gate = typeof doc.gate === 'object' ? doc.gate : {};
    const plan = kind.plan;
    const approvalInput = kind.approvalInput;
    const step: GateStepDef = {
      ...base,
      ...withCompensation,
      kind: 'gate',
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      plan: plan
        ? async (ctx) => plan(ctx, params(ctx.scope))
        : async (ctx) => {
            const p = params(ctx.scope);
            return {
              summary: gateSummary(s, gate.message, ctx.scope, complete),
              data: redacted(p, s.secretParams),
            };
          },
      apply: async (ctx, planned, decision) =>
        kind.run(ctx, params(ctx.scope), { ...decision, plan: planned }),
      ...(approvalInput
        ? {
            // A kind may offer nothing to choose this time (null); the engine takes that as no input.
            input: (ctx: StepContext, planned: Parameters<NonNullable<GateStepDef['input']>>[1]) =>
              approvalInput(ctx, params(ctx.scope), planned) as InputSpec,
          }
        : {}),
      ...(gate.timeout !== undefined ? { deadlineMs: parseDuration(gate.timeout)! } : {}),
      ...(kind.rejectSummary !== undefined ? { rejectSummary: kind.rejectSummary } : {}),
    };
    return step;
  }

  const step: AutomaticStepDef = {
    ...base,
    ...withCompensation,
    kind: 'automatic',
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    run: async (ctx) => kind.run(ctx, params(ctx.scope), null),
  };
  return step;
}

function gateSummary(
  s: CompiledStep,
  message: string | undefined,
  scope: ExpressionScope,
  complete: (scope: ExpressionScope) => ExpressionScope,
): string {
  if (s.gateMessage) return stringify(evaluateTemplate(s.gateMessage, complete(scope))) || s.doc.title;
  return message ?? s.doc.title;
}

/** Params for a plan people see and the run stores: values read from secret inputs are masked. */
function redacted(params: unknown, secret: ReadonlySet<string>): unknown {
  if (secret.size === 0 || params === null || typeof params !== 'object' || Array.isArray(params))
    return params;
  const out: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const key of secret) if (key in out) out[key] = '••••••';
  return out;
}

function conditionOf(
  expression: CompiledExpression,
  complete: (scope: ExpressionScope) => ExpressionScope,
): NonNullable<StepDef['condition']> {
  return {
    expression: expression.text,
    test: (scope) => {
      const value = evaluate(expression, complete(scope));
      if (typeof value !== 'boolean') {
        throw new ExpressionError(
          `if must be true or false; \`${expression.text}\` gave ${JSON.stringify(value ?? null)}`,
          expression.text,
        );
      }
      return value;
    },
  };
}

function retryOf(retry: NonNullable<StepDoc['retry']>): RetryPolicy {
  return {
    attempts: retry.attempts,
    backoffMs: parseDuration(retry.backoff)!,
    ...(retry.factor !== undefined ? { factor: retry.factor } : {}),
    ...(retry.max_backoff !== undefined ? { maxBackoffMs: parseDuration(retry.max_backoff)! } : {}),
  };
}

type StepRecordView = { outputs: Record<string, unknown>; data: unknown };

/** The scope with the step's own record in it: a compensation reads what its step produced. */
function withOwnRecord(scope: ExpressionScope, id: string, record: StepRecordView): ExpressionScope {
  return { ...scope, steps: { ...scope.steps, [id]: { outputs: record.outputs, status: 'completed' } } };
}

function compensationOf(
  s: CompiledStep,
  params: (scope: ExpressionScope) => unknown,
  complete: (scope: ExpressionScope) => ExpressionScope,
): Compensation | undefined {
  const { doc, kind } = s;
  if (s.compensate === false) return undefined;
  if (s.compensate) {
    const { kind: other, with: value } = s.compensate;
    const otherParams = (scope: ExpressionScope): unknown => {
      const parsed = other.params.safeParse(evaluateValue(value, complete(scope)));
      if (!parsed.success) {
        const detail = zodIssues(parsed.error.issues, [])
          .map((i) => `compensate.with.${formatPath(i.at) || '(all)'}: ${i.message}`)
          .join('; ');
        throw new StepParamsError(`step "${doc.id}" (${other.name}@${other.version}): ${detail}`);
      }
      return parsed.data;
    };
    return {
      describe: () => `${other.title} (${other.name}@${other.version})`,
      run: async (ctx, record) => {
        const scope = withOwnRecord(ctx.scope, doc.id, record);
        const result = await other.run({ ...ctx, scope }, otherParams(scope), null);
        return finished(result, other);
      },
    };
  }
  const own = kind.compensate;
  if (!own) return undefined;
  return {
    describe: (ctx, record) => {
      // A rollback plan lists every step; one whose arguments cannot be worked out says so instead of failing it.
      let p: unknown;
      try {
        p = params(withOwnRecord(ctx.scope, doc.id, record));
      } catch (error) {
        return `${kind.title}: cannot be planned (${(error as Error).message})`;
      }
      return own.describe(p, record);
    },
    run: async (ctx, record) => {
      const scope = withOwnRecord(ctx.scope, doc.id, record);
      return own.run({ ...ctx, scope }, params(scope), record);
    },
  };
}

/** A compensation runs in one call: a kind that parks on a durable wait cannot undo another step. */
function finished(result: Awaited<ReturnType<AnyStepKind['run']>>, kind: AnyStepKind): StepResult {
  if (isStepWait(result)) {
    throw new DeployBotError(
      'validation_failed',
      `${kind.name}@${kind.version} waits for an event; a compensation must finish in one call`,
      { retryable: false },
    );
  }
  return result;
}

/** Runs the kinds' start checks whose params depend only on the inputs; issues name the input they came from. */
async function checkStart(steps: CompiledStep[], scope: ExpressionScope): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const add = (s: CompiledStep, param: string, message: string) => {
    const input = s.inputParams.get(param);
    const path = input ?? `steps.${s.doc.id}.with.${param}`;
    if (!issues.some((i) => i.path === path && i.message === message)) issues.push({ path, message });
  };
  const signal = AbortSignal.timeout(START_CHECK_TIMEOUT_MS);
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (signal.aborted) resolve('timeout');
    else signal.addEventListener('abort', () => resolve('timeout'), { once: true });
  });

  const checks = steps.map(async (s) => {
    try {
      if (s.condition && evaluate(s.condition, scope) !== true) return;
    } catch {
      return;
    }
    let value: unknown;
    try {
      value = evaluateValue(s.with, scope);
    } catch (error) {
      const failed = s.with.kind === 'object' ? firstFailingParam(s.with, scope) : undefined;
      add(
        s,
        failed ?? '(all)',
        `cannot be worked out for step "${s.doc.title}": ${(error as Error).message}`,
      );
      return;
    }
    const parsed = s.kind.params.safeParse(value);
    if (!parsed.success) {
      for (const issue of zodIssues(parsed.error.issues, [])) {
        add(s, String(issue.at[0] ?? '(all)'), issue.message);
      }
      return;
    }
    try {
      const found = await Promise.race([s.kind.startCheck!(parsed.data, signal), timedOut]);
      if (found === 'timeout') return;
      for (const issue of found) add(s, issue.param, issue.message);
    } catch {
      // A check that cannot run (the network is down, it was aborted) does not refuse the start: the step
      // itself will find out.
    }
  });
  await Promise.all(checks);
  return issues;
}

function firstFailingParam(
  value: CompiledValue & { kind: 'object' },
  scope: ExpressionScope,
): string | undefined {
  for (const [key, item] of value.entries) {
    try {
      evaluateValue(item, scope);
    } catch {
      return key;
    }
  }
  return undefined;
}
