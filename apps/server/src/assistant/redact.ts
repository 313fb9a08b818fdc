/**
 * What the model (and tool results stored in chat) may see: no secrets, and nothing unbounded.
 * Keys that name secrets are dropped, token-looking strings are masked, and results are cut to a size.
 */

const SECRET_KEY = /(token|secret|password|passwd|credential|api[_-]?key|authorization|cookie)/i;
/** Join tokens, agent credentials, API tokens, OpenAI-style keys, and user:password@ in URLs. */
const SECRET_VALUE = /\b(dbj_|dba_|dbt_|sk-)[A-Za-z0-9_-]{8,}|(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g;
export const MASK = '••••••';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 12) return '…';
  if (typeof value === 'string') return value.replace(SECRET_VALUE, MASK);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? MASK : redact(v, depth + 1);
    return out;
  }
  return value;
}

/**
 * Cuts a JSON value to at most `maxChars` of JSON text: long strings are shortened and arrays keep their first
 * items (with a note of how many were left out) until it fits.
 */
export function bound(value: unknown, maxChars = 8_000): unknown {
  if (size(value) <= maxChars) return value;
  for (const [maxString, maxItems] of [
    [2000, 50],
    [500, 20],
    [200, 10],
    [100, 5],
    [60, 3],
  ] as const) {
    const cut = shrink(value, maxString, maxItems, 0);
    if (size(cut) <= maxChars) return cut;
  }
  const text = JSON.stringify(value) ?? '';
  return { truncated: true, preview: `${text.slice(0, Math.max(0, maxChars - 100))}…` };
}

function size(value: unknown): number {
  return (JSON.stringify(value) ?? '').length;
}

function shrink(value: unknown, maxString: number, maxItems: number, depth: number): unknown {
  if (typeof value === 'string')
    return value.length > maxString ? `${value.slice(0, maxString)}… (${value.length} chars)` : value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, maxItems).map((v) => shrink(v, maxString, maxItems, depth + 1));
    if (value.length > maxItems) kept.push(`… ${value.length - maxItems} more`);
    return kept;
  }
  if (value && typeof value === 'object') {
    if (depth > 8) return '…';
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, shrink(v, maxString, maxItems, depth + 1)]),
    );
  }
  return value;
}

/** Redacted and bounded: the one function tool results go through before the model or the chat sees them. */
export function safeForModel(value: unknown, maxChars = 8_000): unknown {
  return bound(redact(value), maxChars);
}
