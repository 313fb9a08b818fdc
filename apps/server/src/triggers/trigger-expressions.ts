import type { FieldIssue } from '@deploybot/shared';
import {
  type CompiledExpression,
  type CompiledValue,
  compileExpression,
  compileValue,
  ExpressionEnvironment,
  evaluate,
  evaluateValue,
} from '../engine/language/expressions';
import type { ExpressionScope } from '../engine/types';

/**
 * A trigger's filter and its inputs' `${{ … }}` parts are CEL in the workflow language's dialect, over one
 * variable: `event` (see trigger-events.ts for what each kind of event holds).
 */
let environment: ExpressionEnvironment | undefined;
function eventEnvironment(): ExpressionEnvironment {
  environment ??= ExpressionEnvironment.withVariables(['event']);
  return environment;
}

/** The variables of a trigger's expressions (the evaluator takes any object of variables). */
function scopeOf(event: Record<string, unknown>): ExpressionScope {
  return { event } as unknown as ExpressionScope;
}

export function compileFilter(
  text: string,
): { ok: true; filter: CompiledExpression } | { ok: false; message: string } {
  const compiled = compileExpression(text, eventEnvironment());
  if (!compiled.ok) return { ok: false, message: compiled.error.message };
  const type = compiled.expression.type;
  if (type !== 'bool' && type !== 'dyn')
    return { ok: false, message: `the filter must be true or false, not a ${type}` };
  return { ok: true, filter: compiled.expression };
}

/** Whether the filter holds for `event`; an evaluation error (a missing field, say) throws. */
export function filterHolds(filter: CompiledExpression, event: Record<string, unknown>): boolean {
  return evaluate(filter, scopeOf(event)) === true;
}

/** The inputs compiled, or each template that does not compile, with its path under `inputs`. */
export function compileInputs(
  inputs: Record<string, unknown>,
): { ok: true; value: CompiledValue } | { ok: false; issues: FieldIssue[] } {
  const compiled = compileValue(inputs, eventEnvironment());
  if (compiled.errors.length > 0) {
    return {
      ok: false,
      issues: compiled.errors.map((e) => ({
        path: ['inputs', ...e.path].join('.'),
        message: e.error.message,
      })),
    };
  }
  return { ok: true, value: compiled.value };
}

/** The start inputs for `event`: every template evaluated. */
export function evaluateInputs(
  value: CompiledValue,
  event: Record<string, unknown>,
): Record<string, unknown> {
  return evaluateValue(value, scopeOf(event)) as Record<string, unknown>;
}
