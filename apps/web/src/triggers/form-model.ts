import {
  type CreateTriggerBody,
  createTriggerBodySchema,
  DEFAULT_TRIGGER_RATE_LIMIT,
  type FieldIssue,
  type InputSpec,
  type MissedPolicy,
  type TriggerEventType,
} from '@deploybot/shared';

export type SourceType = 'cron' | 'event' | 'webhook';

/** One row of the inputs: a key and its value as typed (a value may hold `${{ event.… }}`). */
export interface InputRow {
  id: number;
  key: string;
  value: string;
}

/** What the create form holds, as typed. */
export interface TriggerFormValues {
  name: string;
  workflow: string;
  sourceType: SourceType;
  expression: string;
  timezone: string;
  missed: MissedPolicy;
  on: TriggerEventType;
  filter: string;
  rateLimit: string;
  enabled: boolean;
  inputs: InputRow[];
}

/** Field errors by the server's paths: `name`, `source.expression`, `inputs.count`, `rate_limit`… */
export type FieldErrors = Record<string, string>;

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function emptyForm(workflow = ''): TriggerFormValues {
  return {
    name: '',
    workflow,
    sourceType: 'cron',
    expression: '',
    timezone: browserTimeZone(),
    missed: 'skip',
    on: 'job.failed',
    filter: '',
    rateLimit: String(DEFAULT_TRIGGER_RATE_LIMIT),
    enabled: true,
    inputs: [],
  };
}

/** The first message for each path (the server may name a field more than once). */
export function fieldErrorsOf(issues: readonly FieldIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) out[i.path || 'body'] ??= i.message;
  return out;
}

/** A typed value: numbers for number inputs (unless it is a template), the text otherwise. */
function typedValue(raw: string, spec: InputSpec | undefined): unknown {
  const text = raw.trim();
  if (spec?.type === 'number' && text !== '' && !text.includes('${{') && Number.isFinite(Number(text)))
    return Number(text);
  return raw;
}

/**
 * The body for `POST /v1/triggers`, checked with the same schema the server parses it with. Errors carry the
 * server's paths, so the form shows the client's and the server's messages in the same places.
 */
export function checkForm(
  values: TriggerFormValues,
  specs: readonly InputSpec[],
): { body: CreateTriggerBody; errors: null } | { body: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const inputs: Record<string, unknown> = {};
  values.inputs.forEach((row, index) => {
    const key = row.key.trim();
    if (!key && !row.value.trim()) return;
    if (!key) {
      errors[`inputs.#${index}`] = 'give the input’s key';
      return;
    }
    if (key in inputs) {
      errors[`inputs.${key}`] = `${key} is given twice`;
      return;
    }
    inputs[key] = typedValue(
      row.value,
      specs.find((s) => s.key === key),
    );
  });
  const rateLimit = values.rateLimit.trim() === '' ? undefined : Number(values.rateLimit);
  const source =
    values.sourceType === 'cron'
      ? {
          type: 'cron',
          expression: values.expression,
          timezone: values.timezone.trim() || 'UTC',
          missed: values.missed,
        }
      : values.sourceType === 'event'
        ? { type: 'event', on: values.on, ...(values.filter.trim() && { filter: values.filter.trim() }) }
        : { type: 'webhook' };
  const parsed = createTriggerBodySchema.safeParse({
    name: values.name.trim(),
    workflow: values.workflow,
    inputs,
    enabled: values.enabled,
    ...(rateLimit !== undefined && { rate_limit: rateLimit }),
    source,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || 'body';
      errors[path] ??= path === 'workflow' && !values.workflow ? 'choose a workflow' : issue.message;
    }
  }
  if (Object.keys(errors).length > 0 || !parsed.success) return { body: null, errors };
  return { body: parsed.data, errors: null };
}
