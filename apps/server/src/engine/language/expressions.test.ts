import { describe, expect, it } from 'vitest';
import { DeployBotError } from '../../errors/deploybot-error';
import type { ExpressionScope } from '../types';
import {
  type CompiledExpression,
  type CompiledTemplate,
  compileExpression,
  compileTemplate,
  compileValue,
  ExpressionEnvironment,
  ExpressionError,
  evaluate,
  evaluateTemplate,
  evaluateValue,
  parseTemplate,
  referencesOf,
  toJson,
  unsafePatternReason,
} from './expressions';

const env = ExpressionEnvironment.typed({
  inputs: { repository: 'string', replicas: 'double', agent: 'string', token: 'string' },
  steps: {
    resolve: { sha: 'string', tags: 'list<string>', meta: { branch: 'string', ahead: 'double' } },
    check: { healthy: 'bool', scores: 'map<string, double>' },
    loose: null,
  },
});

const scope: ExpressionScope = {
  inputs: { repository: 'demo/app', replicas: 3, token: 's3cret' },
  steps: {
    resolve: {
      status: 'completed',
      outputs: { sha: 'abc123', tags: ['v1', 'latest'], meta: { branch: 'main', ahead: 2 } },
    },
    check: { status: 'completed', outputs: { healthy: true, scores: { a: 0.5 } } },
    loose: { status: 'skipped', outputs: {} },
  },
  run: { id: 'run-1', started_by: 'alice' },
};

function compiled(text: string): CompiledExpression {
  const result = compileExpression(text, env);
  if (!result.ok) throw new Error(`expected ${text} to compile: ${result.error.message}`);
  return result.expression;
}

function compileError(text: string): string {
  const result = compileExpression(text, env);
  if (result.ok) throw new Error(`expected ${text} not to compile`);
  expect(result.error).toBeInstanceOf(ExpressionError);
  return result.error.message;
}

function template(text: string): CompiledTemplate {
  const result = compileTemplate(text, env);
  if (!result.ok) throw new Error(`expected ${text} to compile: ${result.error.message}`);
  return result.template;
}

describe('compileExpression and evaluate', () => {
  it('evaluates against the scope and returns plain JSON (ints as numbers, maps as objects)', () => {
    expect(evaluate(compiled('inputs.repository + "@" + steps.resolve.outputs.sha'), scope)).toBe(
      'demo/app@abc123',
    );
    expect(evaluate(compiled('1 + 2'), scope)).toBe(3);
    expect(evaluate(compiled('inputs.replicas * 2.0'), scope)).toBe(6);
    expect(evaluate(compiled('steps.check.outputs.healthy && run.started_by == "alice"'), scope)).toBe(true);
    expect(evaluate(compiled('steps.resolve.outputs.tags'), scope)).toEqual(['v1', 'latest']);
    expect(evaluate(compiled('steps.resolve.outputs'), scope)).toEqual({
      sha: 'abc123',
      tags: ['v1', 'latest'],
      meta: { branch: 'main', ahead: 2 },
    });
    expect(evaluate(compiled('{"n": 1, "m": 2}'), scope)).toEqual({ n: 1, m: 2 });
    expect(evaluate(compiled('steps.resolve.outputs.meta.branch'), scope)).toBe('main');
    expect(evaluate(compiled('steps.loose.status'), scope)).toBe('skipped');
    expect(evaluate(compiled('null'), scope)).toBeNull();
  });

  it('reports the static type of an expression', () => {
    expect(compiled('steps.check.outputs.healthy').type).toBe('bool');
    expect(compiled('inputs.replicas > 2').type).toBe('bool');
    expect(compiled('steps.resolve.outputs.tags').type).toBe('list<string>');
    expect(compiled('steps.loose.outputs.anything').type).toBe('dyn');
  });

  it('catches wrong names and types when compiled, not when run', () => {
    expect(compileError('inputs.nope')).toMatch(/No such key: nope/);
    expect(compileError('steps.resolve.outputs.shaa')).toMatch(/No such key: shaa/);
    expect(compileError('steps.nope.status')).toMatch(/No such key: nope/);
    expect(compileError('steps.resolve.outputs.sha + 1')).toMatch(/type error.*string \+ int/);
    expect(compileError('unknown_variable')).toMatch(/Unknown variable/);
    // The one rule of CEL people trip on, said where it bites.
    expect(compileError('inputs.replicas + 1')).toMatch(/numbers from inputs and outputs are doubles/);
    expect(evaluate(compiled('int(inputs.replicas) + 1'), scope)).toBe(4);
  });

  it('reports syntax errors with the expression', () => {
    expect(compileError('inputs.repository ==')).toMatch(/^syntax error in `inputs.repository ==`/);
    expect(compileError('  ')).toMatch(/empty/);
  });

  it('throws a non-retryable ExpressionError when evaluation fails', () => {
    const expr = compiled('steps.loose.outputs.missing');
    let error: unknown;
    try {
      evaluate(expr, scope);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).retryable).toBe(false);
    // One error taxonomy: a caller's mistake, shown as it is.
    expect(error).toBeInstanceOf(DeployBotError);
    expect((error as DeployBotError).code).toBe('validation_failed');
    expect((error as DeployBotError).expose).toBe(true);
    expect((error as ExpressionError).message).toMatch(/steps.loose.outputs.missing.*No such key: missing/);
    // An optional input that was not given: absent, `has()` tells, `.?` reads it as an optional.
    expect(() => evaluate(compiled('inputs.agent'), scope)).toThrow(/No such key: agent/);
    expect(evaluate(compiled('has(inputs.agent)'), scope)).toBe(false);
    expect(evaluate(compiled('inputs.?agent.orValue("any")'), scope)).toBe('any');
    expect(evaluate(compiled('inputs.?agent'), scope)).toBeUndefined();
  });

  it('bounds cost: length, nesting of comprehensions, parser limits and regular expressions', () => {
    expect(compileError(`"${'a'.repeat(2001)}"`)).toMatch(/longer than 2000/);
    expect(compileError('[1].exists(a, [2].exists(b, [3].exists(c, a == b)))')).toMatch(
      /nested at most 2 deep/,
    );
    expect(compiled('[1].exists(a, [2].exists(b, a == b))').type).toBe('bool');
    expect(compileError(`${'('.repeat(40)}1${')'.repeat(40)}`)).toMatch(/syntax error/);
    expect(compileError(`[${Array.from({ length: 201 }, (_, i) => i).join(',')}]`)).toMatch(/syntax error/);
    expect(compileError('inputs.repository.matches("(a+)+$")')).toMatch(/exponential/);
    expect(compileError('inputs.repository.matches(inputs.agent)')).toMatch(/literal pattern/);
    expect(compileError('inputs.repository.matches("(x)\\\\1")')).toMatch(/back-references/);
    expect(evaluate(compiled('inputs.repository.matches("^[a-z]+/[a-z]+$")'), scope)).toBe(true);
  });
});

describe('unsafePatternReason', () => {
  it('accepts ordinary patterns and refuses nested repetition, repeated alternation and back-references', () => {
    for (const ok of ['^[a-z0-9-]+$', 'a{2,}', '(ab){3}', '(?:ab)+', '[(]+', '^v\\d+\\.\\d+$', '(a+)?'])
      expect(unsafePatternReason(ok), ok).toBeUndefined();
    for (const bad of ['(a+)+', '(a*)*', '(a|aa)*', '((a+)b)+', '(\\d+)\\1', '(a+){2,}'])
      expect(unsafePatternReason(bad), bad).toBeDefined();
    expect(unsafePatternReason('(')).toMatch(/not a valid regular expression/);
  });
});

describe('templates', () => {
  it('keeps the type of a string that is exactly one expression, whitespace around allowed', () => {
    expect(evaluateTemplate(template('${{ inputs.replicas }}'), scope)).toBe(3);
    expect(evaluateTemplate(template('  ${{ steps.check.outputs.healthy }}\n'), scope)).toBe(true);
    expect(evaluateTemplate(template('${{ steps.resolve.outputs.tags }}'), scope)).toEqual(['v1', 'latest']);
    expect(evaluateTemplate(template('${{ {"a": [1, 2]} }}'), scope)).toEqual({ a: [1, 2] });
    expect(evaluateTemplate(template('${{ null }}'), scope)).toBeNull();
    expect(template('${{ inputs.replicas }}')).toMatchObject({ whole: true, type: 'double' });
  });

  it('concatenates text and stringified parts otherwise', () => {
    const t = template(
      'Deploy ${{ inputs.repository }} x${{ inputs.replicas }} ${{ steps.check.outputs.healthy }}',
    );
    expect(t).toMatchObject({ whole: false, type: 'string' });
    expect(evaluateTemplate(t, scope)).toBe('Deploy demo/app x3 true');
    expect(evaluateTemplate(template('tags=${{ steps.resolve.outputs.tags }}'), scope)).toBe(
      'tags=["v1","latest"]',
    );
    expect(evaluateTemplate(template('[${{ null }}]'), scope)).toBe('[]');
    expect(evaluateTemplate(template('[${{ inputs.?agent }}]'), scope)).toBe('[]');
    expect(evaluateTemplate(template('${{ 1 }}${{ 2 }}'), scope)).toBe('12');
    expect(evaluateTemplate(template('no expressions'), scope)).toBe('no expressions');
  });

  it('does not end an expression at }} inside a string or map literal', () => {
    expect(evaluateTemplate(template('a ${{ "}}" }} b'), scope)).toBe('a }} b');
    expect(evaluateTemplate(template('${{ \'}}\' + "x" }}'), scope)).toBe('}}x');
    expect(evaluateTemplate(template('${{ {"k": {"j": 1}} }}'), scope)).toEqual({ k: { j: 1 } });
    expect(evaluateTemplate(template('${{ r"a\\d}}" }}'), scope)).toBe('a\\d}}');
    expect(evaluateTemplate(template('${{ "q\\"}}" }}'), scope)).toBe('q"}}');
    expect(evaluateTemplate(template('${{ """multi}}line""" }}'), scope)).toBe('multi}}line');
    // A literal `${{` is written as an expression.
    expect(evaluateTemplate(template('${{ "${{" }} x }}'), scope)).toBe('${{ x }}');
  });

  it('refuses unterminated and empty parts', () => {
    expect(parseTemplate('a ${{ inputs.x')).toEqual({
      ok: false,
      message: expect.stringMatching(/not closed/),
    });
    expect(parseTemplate('a ${{ "}} ')).toEqual({ ok: false, message: expect.stringMatching(/not closed/) });
    expect(parseTemplate('${{   }}')).toEqual({ ok: false, message: expect.stringMatching(/empty/) });
    const bad = compileTemplate('x ${{ inputs.nope }}', env);
    expect(bad.ok).toBe(false);
  });
});

describe('values (with)', () => {
  it('walks nested objects and arrays, evaluating the template strings in them', () => {
    const raw = {
      count: '${{ inputs.replicas }}',
      plain: 'no template',
      nested: {
        list: ['${{ steps.resolve.outputs.sha }}', 2, { deep: 'sha-${{ steps.resolve.outputs.sha }}' }],
      },
      agent: '${{ inputs.?agent }}',
      flag: false,
    };
    const result = compileValue(raw, env);
    expect(result.errors).toEqual([]);
    expect(result.templates.map((t) => t.path)).toEqual([
      ['count'],
      ['nested', 'list', 0],
      ['nested', 'list', 2, 'deep'],
      ['agent'],
    ]);
    expect(evaluateValue(result.value, scope)).toEqual({
      count: 3,
      plain: 'no template',
      nested: { list: ['abc123', 2, { deep: 'sha-abc123' }] },
      // An empty optional leaves the member out.
      flag: false,
    });
  });

  it('keeps literal subtrees as they are and reports each broken template with its path', () => {
    const result = compileValue({ a: { b: 1 }, c: ['${{ inputs.nope }}'] }, env);
    expect(result.errors.map((e) => e.path)).toEqual([['c', 0]]);
    expect(compileValue({ a: [1, 'x'] }, env).value).toEqual({ kind: 'literal', value: { a: [1, 'x'] } });
  });
});

describe('referencesOf', () => {
  it('lists inputs, steps and run as far as they are named', () => {
    expect(
      referencesOf('steps.a.outputs.x == inputs.ref && run.id != "" && steps.b.status == "completed"'),
    ).toEqual([
      { root: 'steps', path: ['a', 'outputs', 'x'], computed: false },
      { root: 'inputs', path: ['ref'], computed: false },
      { root: 'run', path: ['id'], computed: false },
      { root: 'steps', path: ['b', 'status'], computed: false },
    ]);
    expect(referencesOf('steps["a"].outputs["x-y"]')).toEqual([
      { root: 'steps', path: ['a', 'outputs', 'x-y'], computed: false },
    ]);
    expect(referencesOf('has(steps.a.outputs.x) ? steps.a.outputs.?x : inputs')).toEqual([
      { root: 'steps', path: ['a', 'outputs', 'x'], computed: false },
      { root: 'steps', path: ['a', 'outputs', 'x'], computed: false },
      { root: 'inputs', path: [], computed: false },
    ]);
  });

  it('marks computed members and walks the index expression', () => {
    expect(referencesOf('steps[inputs.which].outputs.x')).toEqual([
      { root: 'steps', path: [], computed: true },
      { root: 'inputs', path: ['which'], computed: false },
    ]);
    expect(referencesOf('steps.a.outputs.list[0]')).toEqual([
      { root: 'steps', path: ['a', 'outputs', 'list'], computed: true },
    ]);
  });

  it('ignores names inside string literals and variables bound by macros', () => {
    expect(referencesOf('"steps.a.outputs.x" + \'inputs.y\'')).toEqual([]);
    expect(referencesOf('[1, 2].map(steps, steps + 1)')).toEqual([]);
    expect(referencesOf('inputs.list.exists(inputs, inputs == steps.a.status)')).toEqual([
      { root: 'inputs', path: ['list'], computed: false },
      { root: 'steps', path: ['a', 'status'], computed: false },
    ]);
    expect(referencesOf('cel.bind(run, steps.a.outputs, run.x)')).toEqual([
      { root: 'steps', path: ['a', 'outputs'], computed: false },
    ]);
  });

  it('throws on a syntax error', () => {
    expect(() => referencesOf('steps.')).toThrow(ExpressionError);
  });
});

describe('toJson', () => {
  it('turns CEL values into JSON', () => {
    expect(toJson(5n)).toBe(5);
    expect(() => toJson(2n ** 60n, 'big')).toThrow(/too large/);
    expect(() => toJson(Number.POSITIVE_INFINITY, 'x')).toThrow(/not a number JSON can hold/);
    expect(toJson(new Uint8Array([104, 105]))).toBe('aGk=');
    expect(toJson(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01T00:00:00.000Z');
    expect(toJson(new Map<unknown, unknown>([[1n, 'a']]))).toEqual({ '1': 'a' });
    expect(evaluate(compiled('duration("90s")'), scope)).toBe('90s');
    expect(evaluate(compiled('type(1)'), scope)).toBe('int');
    expect(evaluate(compiled('b"hi"'), scope)).toBe('aGk=');
  });
});
