import { z } from 'zod';

export const INPUT_TYPES = [
  'text',
  'choice',
  'number',
  'hostname',
  'date',
  'secret',
  'email',
  'url',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** A typed value a workflow asks for, at start (required context) or from a waiting step. */
export const inputSpecSchema = z.object({
  key: z.string(),
  label: z.string(),
  type: z.enum(INPUT_TYPES),
  required: z.boolean(),
  pattern: z.string().optional(),
  /** For `choice`: the allowed values (computed at run time for steps that need it). */
  choices: z.array(z.string()).optional(),
  placeholder: z.string().optional(),
  description: z.string().optional(),
});
export type InputSpec = z.infer<typeof inputSpecSchema>;

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
export const HOSTNAME_RE =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const MAX_TEXT = 4096;

/**
 * Validates and normalises one value against its spec. Returns the value to store or an error message.
 * Shared by the server (authoritative) and the web form (early feedback).
 */
export function checkInput(
  spec: InputSpec,
  raw: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  if (raw === undefined || raw === null || raw === '') {
    return spec.required
      ? { ok: false, message: `${spec.label} is required` }
      : { ok: true, value: undefined };
  }
  const fail = (message: string) => ({ ok: false as const, message });
  if (spec.type === 'number') {
    const n =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    return Number.isFinite(n) ? { ok: true, value: n } : fail(`${spec.label} must be a number`);
  }
  if (typeof raw !== 'string') return fail(`${spec.label} must be a string`);
  // Host names are case-insensitive; keep them lower-case so `Web-01` and `web-01` are one agent.
  const value = spec.type === 'hostname' ? raw.trim().toLowerCase() : raw.trim();
  if (value.length > MAX_TEXT) return fail(`${spec.label} is longer than ${MAX_TEXT} characters`);
  switch (spec.type) {
    case 'hostname':
      if (!HOSTNAME_RE.test(value)) {
        return fail(
          `${spec.label} must be an RFC 1123 host name (letters, digits, hyphens and dots, e.g. prod-server-03)`,
        );
      }
      break;
    case 'email':
      if (!z.email().safeParse(value).success) return fail(`${spec.label} must be an email address`);
      break;
    case 'url':
      if (!z.url({ protocol: /^https?$/ }).safeParse(value).success)
        return fail(`${spec.label} must be an http(s) URL`);
      break;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
        return fail(`${spec.label} must be a date (YYYY-MM-DD)`);
      }
      break;
    case 'choice':
      if (!spec.choices?.includes(value)) {
        return fail(
          `${spec.label} must be one of: ${(spec.choices ?? []).join(', ') || '(no choices available)'}`,
        );
      }
      break;
    case 'text':
    case 'secret':
      break;
  }
  if (spec.pattern && !new RegExp(spec.pattern).test(value))
    return fail(`${spec.label} has an invalid format`);
  return { ok: true, value };
}
