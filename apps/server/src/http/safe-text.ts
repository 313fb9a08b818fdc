import { DeployBotError } from '../errors/deploybot-error';

/**
 * NUL bytes and unpaired UTF-16 surrogates cannot be stored in PostgreSQL text (NUL) or encoded as UTF-8
 * (surrogates): let through, they turn into 500s or into silently altered data. They are refused at the door,
 * and so is a value nested deeper than any API document needs (a 20,000-deep JSON body would otherwise
 * exhaust the stack of whatever walks it next).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL bytes is the point
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Deeper than any request, socket payload or agent message DeployBot defines (workflow contexts included). */
export const MAX_NESTING_DEPTH = 32;

export interface UnsafeText {
  /** Where: `body.steps[2].name`, `query.q`, `(value)`. */
  path: string;
  message: string;
}

const unsafeText = (path: string): UnsafeText => ({
  path,
  message: `${path} contains a NUL byte or an unpaired surrogate`,
});

/**
 * The first string or object key in `value` holding a NUL byte or an unpaired surrogate, or the first value
 * nested deeper than MAX_NESTING_DEPTH. Iterative, so the input's shape cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, root = ''): UnsafeText | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value: v, path, depth } = pending.pop()!;
    if (typeof v === 'string') {
      if (UNSAFE.test(v)) return unsafeText(path || '(value)');
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING_DEPTH) {
      const where = path || '(value)';
      return { path: where, message: `${where} is nested more than ${MAX_NESTING_DEPTH} levels deep` };
    }
    // Pushed in reverse so that the first problem in document order is the one reported.
    const children: { value: unknown; path: string; depth: number }[] = [];
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        children.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 });
      });
    } else {
      for (const [key, item] of Object.entries(v)) {
        const here = path ? `${path}.${key}` : key;
        if (UNSAFE.test(key)) return unsafeText(here);
        children.push({ value: item, path: here, depth: depth + 1 });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }
  return null;
}

/** A payload refused for unsafe text: a `validation_failed` naming the field. */
export class UnsafeTextError extends DeployBotError {
  readonly path: string;
  constructor(found: UnsafeText) {
    super('validation_failed', found.message, { details: [{ path: found.path, message: found.message }] });
    this.path = found.path;
  }
}
