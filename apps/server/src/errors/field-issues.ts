import type { FieldIssue } from '@deploybot/shared';
import type { z } from 'zod';

/** A zod error's issues as the `details` of a `validation_failed` answer: one per field at fault. */
export function issuesOf(error: z.core.$ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    // Say which fields were unexpected instead of a generic "unrecognized keys".
    if (issue.code === 'unrecognized_keys') {
      return { path: path || '(body)', message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { path: path || '(body)', message: issue.message };
  });
}
