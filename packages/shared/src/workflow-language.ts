import { z } from 'zod';
import { inputSpecSchema } from './inputs';

/**
 * The workflow language: one document, written in YAML or JSON, that the controller compiles before it stores or
 * runs it. This schema is the language's shape only; the compiler checks the rest (kinds, references, CEL, the
 * `needs` graph). Its JSON Schema is served at `GET /v1/ai/workflows/schema`.
 */

export const WORKFLOW_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;
export const STEP_ID_RE = /^[a-z][a-z0-9_]{0,63}$/;
/** `kind` or `kind@version`; a kind is dotted lower-case words (`wait`, `fleet.deploy_job`). */
export const USES_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(@[1-9][0-9]{0,3})?$/;
/** `250ms`, `2s`, `5m`, `1h`, `1d`, or a combination such as `1h30m`. */
export const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d))+$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `1h30m`; `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

const duration = (what: string) =>
  z
    .string()
    .regex(DURATION_RE, `${what} must be a duration such as 30s, 5m or 1h30m`)
    .refine((d) => (parseDuration(d) ?? 0) <= 30 * 86_400_000, `${what} must be at most 30 days`);

export const retryDocSchema = z.strictObject({
  /** Total attempts including the first. */
  attempts: z.number().int().min(1).max(20),
  backoff: duration('retry.backoff').default('1s'),
  factor: z.number().min(1).max(10).optional(),
  max_backoff: duration('retry.max_backoff').optional(),
});

export const gateDocSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** Shown to the approver when the kind has no plan of its own. */
    message: z.string().max(2000).optional(),
    /** How long it waits for a decision; then the run fails with "approval expired". */
    timeout: duration('gate.timeout').optional(),
  }),
]);

/** A step's own undo, replacing its kind's: another kind with its arguments (which may read `steps.<id>.outputs`). */
export const compensateDocSchema = z.union([
  z.literal(false),
  z.strictObject({
    uses: z.string().regex(USES_RE, 'uses must be a step kind such as fleet.switch_release or wait@1'),
    with: z.record(z.string(), z.unknown()).default({}),
  }),
]);

export const stepDocSchema = z.strictObject({
  id: z.string().regex(STEP_ID_RE, 'a step id is a lower-case identifier (letters, digits, _)'),
  title: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  uses: z.string().regex(USES_RE, 'uses must be a step kind such as fleet.deploy_job or wait@1'),
  /** The kind's arguments; a string may hold `${{ expr }}` (a string that is exactly one expression keeps its type). */
  with: z.record(z.string(), z.unknown()).default({}),
  /** Steps that must be finished first. Absent: the step listed before it. `[]`: none. */
  needs: z.array(z.string()).max(100).optional(),
  /** A CEL expression; false → the step is skipped (and the expression shown). */
  if: z.string().min(1).max(2000).optional(),
  gate: gateDocSchema.optional(),
  timeout: duration('timeout').optional(),
  retry: retryDocSchema.optional(),
  continue_on_error: z.boolean().optional(),
  compensate: compensateDocSchema.optional(),
});
export type StepDoc = z.infer<typeof stepDocSchema>;

export const concurrencyDocSchema = z.strictObject({
  /** A `${{ }}` template over `inputs` (e.g. `${{ inputs.repository }}/${{ inputs.environment }}`). */
  key: z.string().min(1).max(500),
  on_conflict: z.enum(['refuse', 'queue']).default('refuse'),
});

export const workflowDocumentSchema = z.strictObject({
  name: z.string().regex(WORKFLOW_NAME_RE, 'name must be a lower-case identifier (letters, digits, _)'),
  title: z.string().min(1).max(200),
  description: z.string().max(4000).default(''),
  /** The run's own title, a `${{ }}` template (e.g. `Deploy ${{ inputs.repository }}`). Default: `title`. */
  run_title: z.string().max(500).optional(),
  inputs: z.array(inputSpecSchema.strict()).max(50).default([]),
  concurrency: concurrencyDocSchema.optional(),
  on_failure: z.enum(['stop', 'rollback']).default('stop'),
  /** At most this many steps of one run in progress at once. */
  max_parallel: z.number().int().min(1).max(100).default(10),
  /** Values put at the top of the run's context, each one expression over the steps' outputs. */
  outputs: z.record(z.string().regex(STEP_ID_RE), z.string().max(2000)).default({}),
  steps: z.array(stepDocSchema).min(1).max(200),
});
export type WorkflowDocument = z.infer<typeof workflowDocumentSchema>;
/** A document as written (defaults not yet applied). */
export type WorkflowDocumentInput = z.input<typeof workflowDocumentSchema>;

/** The language's JSON Schema (draft 2020-12), generated from the zod schema above. */
export function workflowDocumentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowDocumentSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

// ---- Request schemas of the definitions API ----

export const definitionNameParamSchema = z
  .string()
  .regex(WORKFLOW_NAME_RE, 'a workflow name is a lower-case identifier (letters, digits, _)');

const versionParam = z.coerce
  .number({ message: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version starts at 1')
  .max(1_000_000);

export const definitionVersionQuerySchema = z.strictObject({ version: versionParam.optional() });

export const exportDefinitionQuerySchema = z.strictObject({
  format: z.enum(['yaml', 'json']).default('yaml'),
  version: versionParam.optional(),
});

export const saveDefinitionQuerySchema = z.strictObject({
  /** `true`: compile and answer, store nothing (the editor validates as you type). */
  dry_run: z.enum(['true', 'false']).default('false'),
});

export const rollbackBodySchema = z.strictObject({});

/** A compile problem: where (`steps[2].with.duration`), what, and the line in the text when known. */
export interface CompileIssueDto {
  path: string;
  message: string;
  line?: number;
}

/** One stored version of a workflow, as the definitions API shows it. */
export interface DefinitionVersionDto {
  name: string;
  version: number;
  hash: string;
  builtIn: boolean;
  createdBy: string;
  createdAt: string;
  deletedAt: string | null;
}

/** A step kind as `GET /v1/ai/workflows/step-kinds` lists it. */
export interface StepKindDto {
  uses: string;
  name: string;
  version: number;
  title: string;
  description: string;
  /** JSON Schema of `with`. */
  params: unknown;
  /** JSON Schema of what `steps.<id>.outputs` holds. */
  outputs: unknown;
  /** `always`: the step is a gate whatever the document says. */
  gate: 'always' | 'optional';
  hasPlan: boolean;
  asksForInput: boolean;
  compensable: boolean;
  durableWait: boolean;
}
