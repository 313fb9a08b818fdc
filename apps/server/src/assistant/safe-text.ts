import type { z } from 'zod';

/** NUL bytes (PostgreSQL text refuses them) and unpaired UTF-16 surrogates (not valid Unicode). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasUnsafeText(value: string): boolean {
  return value.includes('\u0000') || LONE_SURROGATE.test(value);
}

/** The schema, refusing NUL bytes and lone surrogates in the named string fields (400 naming the field). */
export function withSafeText<S extends z.ZodType<Record<string, unknown>>>(schema: S, fields: string[]) {
  return schema.superRefine((value, ctx) => {
    for (const field of fields) {
      const v = value[field];
      if (typeof v === 'string' && hasUnsafeText(v)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} must not contain NUL bytes or unpaired surrogates`,
        });
      }
    }
  });
}
