/**
 * NUL bytes and unpaired UTF-16 surrogates cannot be stored in PostgreSQL text (NUL) or encoded as UTF-8
 * (surrogates): let through, they turn into 500s or into silently altered data. They are refused at the door.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL bytes is the point
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string (or object key) in `value` holding a NUL byte or an unpaired surrogate, if any. */
export function findUnsafeText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return UNSAFE.test(value) ? path || '(value)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafeText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (UNSAFE.test(key)) return here;
      const found = findUnsafeText(v, here);
      if (found) return found;
    }
  }
  return null;
}

export class UnsafeTextError extends Error {
  constructor(readonly path: string) {
    super(`${path} contains a NUL byte or an unpaired surrogate`);
  }
}
