import { checkInput, type FieldIssue } from '@deploybot/shared';
import { EngineError } from './errors';
import type { WorkflowDefinition } from './types';

/** Validates a start body against the definition's inputs; unknown fields are refused, not dropped. */
export function validateStartInputs(
  def: WorkflowDefinition,
  raw: Record<string, unknown>,
): Record<string, unknown> {
  const issues: FieldIssue[] = [];
  const known = new Set(def.inputs.map((i) => i.key));
  for (const key of Object.keys(raw)) {
    if (!known.has(key))
      issues.push({ path: key, message: `unknown field "${key}" for workflow ${def.name}` });
  }
  const values: Record<string, unknown> = {};
  for (const spec of def.inputs) {
    const checked = checkInput(spec, raw[spec.key]);
    if (!checked.ok) issues.push({ path: spec.key, message: checked.message });
    else if (checked.value !== undefined) values[spec.key] = checked.value;
  }
  if (issues.length > 0) {
    throw new EngineError('validation_failed', `invalid context for workflow ${def.name}`, issues);
  }
  return values;
}
