import {
  type ASTNode,
  Environment,
  type ObjectSchema,
  Optional,
  type ParseResult,
} from '@marcbachmann/cel-js';
import { DeployBotError } from '../../errors/deploybot-error';
import type { ExpressionScope } from '../types';

/**
 * CEL expressions of the workflow language: `if:`, the `${{ … }}` parts of `with`, `run_title`, `outputs` and
 * `concurrency.key`. They see three variables: `inputs`, `steps` (`steps.<id>.outputs.<name>`,
 * `steps.<id>.status`) and `run` (`id`, `started_by`).
 *
 * A workflow's expressions are checked against a typed environment (see `ExpressionEnvironment.typed`): every input,
 * step and output is a declared field, so `inputs.nope`, `steps.build.outputs.sha + 1` or `steps.x.status == 3`
 * fail when the document is compiled, not when a run reaches them.
 *
 * Numbers: a value read from the scope (an input, an output) is a JSON number, which CEL sees as a `double`; a
 * literal `1` is an `int`, and CEL does not mix them in arithmetic (`inputs.replicas + 1.0`, `int(inputs.replicas) + 1`),
 * though comparisons do mix (`inputs.replicas > 3`). Results come back as plain JSON values (ints → numbers).
 *
 * Cost: CEL has no loops or recursion, so an expression's cost is bounded by its size and the size of the data it
 * walks. On top of that: at most MAX_EXPRESSION_LENGTH characters and the parser limits below (AST nodes, nesting,
 * literal sizes), comprehensions (`all`, `exists`, `map`, `filter`…) nested at most MAX_COMPREHENSION_NESTING deep,
 * and `matches()` only with a literal pattern free of the shapes that make a backtracking engine exponential.
 */

/** Longest expression accepted (the schema caps `if` at 2,000 characters too). */
export const MAX_EXPRESSION_LENGTH = 2000;
/** `xs.exists(x, ys.exists(y, …))` is fine; a third level is refused (its cost grows with the product of sizes). */
export const MAX_COMPREHENSION_NESTING = 2;

const LIMITS = {
  maxAstNodes: 1000,
  maxDepth: 32,
  maxListElements: 200,
  maxMapEntries: 200,
  maxCallArguments: 16,
};

/** The comprehension macros and their iteration variable (the first argument). */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A failed parse, type check or evaluation of an expression. Never worth retrying: the same input fails again. */
export class ExpressionError extends DeployBotError {
  constructor(
    message: string,
    /** The expression's text, when the error is about one. */
    readonly expression?: string,
  ) {
    super('validation_failed', message, { retryable: false });
  }
}

/** A CEL type name (`string`, `double`, `list<string>`, `map<string, dyn>`, `dyn`) or an object's field types. */
export type CelFieldType = string | { [field: string]: CelFieldType };

/** What a workflow's expressions can see, typed. */
export interface ScopeTypes {
  /** Input key → its CEL type. */
  inputs: Record<string, CelFieldType>;
  /** Step id → its outputs (name → CEL type), or `null` when they are not known (the kind is unknown). */
  steps: Record<string, Record<string, CelFieldType> | null>;
}

/** One variable an expression reads, as far as it is named literally. */
export interface ExpressionReference {
  root: 'inputs' | 'steps' | 'run';
  /** Member names after the root, up to the first one that is not a string literal: `steps.a.outputs.x` → a, outputs, x. */
  path: string[];
  /** The path stopped at a computed member (`steps[name]`, `inputs[key]`). */
  computed: boolean;
}

/** A parsed and type-checked expression, ready to evaluate any number of times. */
export interface CompiledExpression {
  readonly text: string;
  /** Its CEL type: `bool`, `string`, `double`, `list<string>`, `dyn`… */
  readonly type: string;
  readonly references: readonly ExpressionReference[];
  /** The top of its syntax tree, for callers that look for a shape (`inputs.x` exactly). */
  readonly ast: ASTNode;
  /** @internal the library's program */
  readonly program: ParseResult;
}

export type CompileExpressionResult =
  | { ok: true; expression: CompiledExpression }
  | {
      ok: false;
      error: ExpressionError;
      /** What it reads, when it parsed (a caller may prefer reporting a wrong reference over a type error). */
      references?: ExpressionReference[];
    };

/** A CEL environment with the language's three variables; build one per workflow with `typed`. */
export class ExpressionEnvironment {
  private constructor(readonly cel: Environment) {}

  /** `inputs` and `steps` as maps of anything: for expressions checked without a workflow around them. */
  static untyped(): ExpressionEnvironment {
    return new ExpressionEnvironment(
      base()
        .clone()
        .registerVariable('inputs', 'map<string, dyn>')
        .registerVariable('steps', 'map<string, dyn>')
        .registerVariable('run', { schema: RUN_SCHEMA }),
    );
  }

  /**
   * Only the given variables, each a map of anything: for expressions that live outside a workflow (a trigger's
   * filter and inputs see `event`).
   */
  static withVariables(names: readonly string[]): ExpressionEnvironment {
    const cel = base().clone();
    for (const name of names) cel.registerVariable(name, 'map<string, dyn>');
    return new ExpressionEnvironment(cel);
  }

  /**
   * Every input, step and output a declared field, so wrong names and types fail when checked. Steps with the
   * same outputs (steps of one kind) share one CEL type: registering a type costs the library time that grows
   * with the number already registered, and a 200-step workflow uses a handful of kinds.
   */
  static typed(types: ScopeTypes): ExpressionEnvironment {
    const cel = base().clone();
    const shared = new Map<string, string>();
    const steps: ObjectSchema = {};
    for (const [id, outputs] of Object.entries(types.steps)) {
      const schema: ObjectSchema = {
        status: 'string',
        outputs: outputs === null ? 'map<string, dyn>' : outputs,
      };
      const key = JSON.stringify(schema);
      let name = shared.get(key);
      if (name === undefined) {
        name = `$step${shared.size}`;
        cel.registerType({ name, schema });
        shared.set(key, name);
      }
      steps[id] = name;
    }
    return new ExpressionEnvironment(
      cel
        .registerVariable('inputs', { schema: types.inputs as ObjectSchema })
        .registerVariable('steps', { schema: steps })
        .registerVariable('run', { schema: RUN_SCHEMA }),
    );
  }
}

const RUN_SCHEMA: ObjectSchema = { id: 'string', started_by: 'string' };

let baseEnvironment: Environment | undefined;
/** The shared parent (built once: constructing an environment from scratch is the expensive part). */
function base(): Environment {
  baseEnvironment ??= new Environment({ enableOptionalTypes: true, limits: LIMITS });
  return baseEnvironment;
}

let defaultEnvironment: ExpressionEnvironment | undefined;
function untypedEnvironment(): ExpressionEnvironment {
  defaultEnvironment ??= ExpressionEnvironment.untyped();
  return defaultEnvironment;
}

/** Parses and type-checks one expression. */
export function compileExpression(
  text: string,
  env: ExpressionEnvironment = untypedEnvironment(),
): CompileExpressionResult {
  const fail = (message: string, references?: ExpressionReference[]): CompileExpressionResult => ({
    ok: false,
    error: new ExpressionError(message, text),
    ...(references ? { references } : {}),
  });
  if (text.trim() === '') return fail('the expression is empty');
  if (text.length > MAX_EXPRESSION_LENGTH)
    return fail(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let program: ParseResult;
  try {
    program = env.cel.parse(text);
  } catch (error) {
    return fail(`syntax error in \`${oneLine(text)}\`: ${summaryOf(error)}`);
  }
  const analysis = analyse(program.ast);
  if (analysis.problem) return fail(`\`${oneLine(text)}\`: ${analysis.problem}`, analysis.references);
  const checked = program.check();
  if (!checked.valid) {
    return fail(
      `type error in \`${oneLine(text)}\`: ${typeHint(summaryOf(checked.error))}`,
      analysis.references,
    );
  }
  return {
    ok: true,
    expression: {
      text,
      type: checked.type ?? 'dyn',
      references: analysis.references,
      ast: program.ast,
      program,
    },
  };
}

/**
 * Evaluates a compiled expression against a run's scope; the result is plain JSON (`undefined` only for an empty
 * optional, `inputs.?agent` when no agent was given).
 */
export function evaluate(expression: CompiledExpression, scope: ExpressionScope): JsonValue | undefined {
  let raw: unknown;
  try {
    raw = expression.program(scope as unknown as Record<string, unknown>);
  } catch (error) {
    throw new ExpressionError(`\`${oneLine(expression.text)}\`: ${summaryOf(error)}`, expression.text);
  }
  if (raw instanceof Promise) {
    // Only asynchronous custom functions return promises, and this environment registers none.
    throw new ExpressionError(
      `\`${oneLine(expression.text)}\` did not evaluate synchronously`,
      expression.text,
    );
  }
  return toJson(raw, expression.text);
}

/** The variables an expression reads (it is parsed without a workflow around it; syntax errors throw). */
export function referencesOf(expression: string | CompiledExpression): ExpressionReference[] {
  if (typeof expression !== 'string') return [...expression.references];
  let program: ParseResult;
  try {
    program = untypedEnvironment().cel.parse(expression);
  } catch (error) {
    throw new ExpressionError(`syntax error in \`${oneLine(expression)}\`: ${summaryOf(error)}`, expression);
  }
  return analyse(program.ast).references;
}

/** `steps.a.outputs.x` as it would be written. */
export function referenceText(ref: ExpressionReference): string {
  return [ref.root, ...ref.path].join('.') + (ref.computed ? '[…]' : '');
}

// ---------------------------------------------------------------------------------------------------------------
// Templates: strings with `${{ expr }}` parts.

/** A template's parts as written: literal text, or an expression with its offset in the string. */
export type TemplatePart = { text: string } | { expression: string; offset: number };

/** Splits a string into text and `${{ … }}` parts. `}}` inside a CEL string literal or map literal does not end a part. */
export function parseTemplate(
  source: string,
): { ok: true; parts: TemplatePart[] } | { ok: false; message: string } {
  const parts: TemplatePart[] = [];
  let i = 0;
  let textStart = 0;
  while (i < source.length) {
    const open = source.indexOf('${{', i);
    if (open < 0) break;
    const end = findClose(source, open + 3);
    if (end < 0) return { ok: false, message: `\${{ at position ${open} is not closed by }}` };
    if (open > textStart) parts.push({ text: source.slice(textStart, open) });
    const expression = source.slice(open + 3, end);
    if (expression.trim() === '') return { ok: false, message: `empty \${{ }} at position ${open}` };
    parts.push({ expression, offset: open + 3 });
    i = end + 2;
    textStart = i;
  }
  if (textStart < source.length) parts.push({ text: source.slice(textStart) });
  return { ok: true, parts };
}

/** Whether a string holds any `${{` (a template) or is a plain literal. */
export function isTemplate(value: string): boolean {
  return value.includes('${{');
}

/**
 * The index of the `}}` that closes an expression starting at `from`: braces of map literals nest, and quotes
 * (`'…'`, `"…"`, `'''…'''`, `"""…"""`) hide everything up to their end.
 */
function findClose(source: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      i = skipString(source, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && source[i + 1] === '}') return i;
      if (depth > 0) depth--;
    }
    i++;
  }
  return -1;
}

/**
 * The index just after the string literal opening at `start`, or -1 when it never ends. A backslash keeps the
 * next character inside the string even in a raw string (`r"\""`), as CEL's lexer (like Python's) reads it.
 */
function skipString(source: string, start: number): number {
  const quote = source[start]!;
  const triple = source.startsWith(quote.repeat(3), start);
  const closing = triple ? quote.repeat(3) : quote;
  let i = start + closing.length;
  while (i < source.length) {
    if (source[i] === '\\') {
      i += 2;
      continue;
    }
    if (source.startsWith(closing, i)) return i + closing.length;
    if (!triple && source[i] === '\n') return -1;
    i++;
  }
  return -1;
}

/** A compiled template: literal text and compiled expressions. */
export interface CompiledTemplate {
  readonly source: string;
  readonly parts: ReadonlyArray<{ text: string } | { expression: CompiledExpression }>;
  /** The whole string is one `${{ }}` (whitespace around allowed): the value keeps the expression's type. */
  readonly whole: boolean;
  /** The expression's type when `whole`, else `string`. */
  readonly type: string;
  readonly references: readonly ExpressionReference[];
}

export type CompileTemplateResult =
  | { ok: true; template: CompiledTemplate }
  | { ok: false; error: ExpressionError; references?: ExpressionReference[] };

export function compileTemplate(
  source: string,
  env: ExpressionEnvironment = untypedEnvironment(),
): CompileTemplateResult {
  const parsed = parseTemplate(source);
  if (!parsed.ok) return { ok: false, error: new ExpressionError(parsed.message, source) };
  const parts: Array<{ text: string } | { expression: CompiledExpression }> = [];
  const references: ExpressionReference[] = [];
  for (const part of parsed.parts) {
    if ('text' in part) {
      parts.push(part);
      continue;
    }
    const compiled = compileExpression(part.expression.trim(), env);
    if (!compiled.ok) return compiled;
    parts.push({ expression: compiled.expression });
    references.push(...compiled.expression.references);
  }
  const expressions = parts.filter((p) => 'expression' in p);
  const whole = expressions.length === 1 && parts.every((p) => 'expression' in p || p.text.trim() === '');
  const first = expressions[0] as { expression: CompiledExpression } | undefined;
  return {
    ok: true,
    template: {
      source,
      parts,
      whole,
      type: whole && first ? first.expression.type : 'string',
      references,
    },
  };
}

/**
 * A template's value: the expression's own value when the string is exactly one `${{ }}`, otherwise the text with
 * each part stringified (strings as they are, null and an empty optional as nothing, lists and maps as JSON).
 */
export function evaluateTemplate(template: CompiledTemplate, scope: ExpressionScope): JsonValue | undefined {
  if (template.whole) {
    const part = template.parts.find((p) => 'expression' in p) as { expression: CompiledExpression };
    return evaluate(part.expression, scope);
  }
  let out = '';
  for (const part of template.parts) {
    out += 'text' in part ? part.text : stringify(evaluate(part.expression, scope));
  }
  return out;
}

/** How a value reads inside text. */
export function stringify(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Values: a step's `with`, any JSON whose strings may be templates.

export type ValuePath = Array<string | number>;

/** A `with` value compiled: literal parts kept as they are, template strings compiled. */
export type CompiledValue =
  | { kind: 'literal'; value: unknown }
  | { kind: 'template'; template: CompiledTemplate }
  | { kind: 'object'; entries: Array<[string, CompiledValue]> }
  | { kind: 'array'; items: CompiledValue[] };

export interface CompileValueResult {
  value: CompiledValue;
  /** Every template string, where it sits (compiled or not). */
  templates: Array<{ path: ValuePath; template: CompiledTemplate }>;
  errors: Array<{ path: ValuePath; error: ExpressionError; references?: ExpressionReference[] }>;
}

/** Walks objects and arrays; a string with `${{` is a template, everything else a literal. */
export function compileValue(
  raw: unknown,
  env: ExpressionEnvironment = untypedEnvironment(),
): CompileValueResult {
  const templates: CompileValueResult['templates'] = [];
  const errors: CompileValueResult['errors'] = [];
  const walk = (value: unknown, path: ValuePath): CompiledValue => {
    if (typeof value === 'string') {
      if (!isTemplate(value)) return { kind: 'literal', value };
      const compiled = compileTemplate(value, env);
      if (!compiled.ok) {
        errors.push({
          path,
          error: compiled.error,
          ...(compiled.references ? { references: compiled.references } : {}),
        });
        return { kind: 'literal', value };
      }
      templates.push({ path, template: compiled.template });
      return { kind: 'template', template: compiled.template };
    }
    if (Array.isArray(value)) {
      const items = value.map((item, i) => walk(item, [...path, i]));
      return items.every((i) => i.kind === 'literal') ? { kind: 'literal', value } : { kind: 'array', items };
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(([k, v]): [string, CompiledValue] => [
        k,
        walk(v, [...path, k]),
      ]);
      return entries.every(([, v]) => v.kind === 'literal')
        ? { kind: 'literal', value }
        : { kind: 'object', entries };
    }
    return { kind: 'literal', value };
  };
  return { value: walk(raw, []), templates, errors };
}

/**
 * The value with every template evaluated. An object member whose template gave nothing (an empty optional) is
 * left out, so `agent: ${{ inputs.?agent }}` passes an agent only when one was given; in a list it becomes null.
 */
export function evaluateValue(value: CompiledValue, scope: ExpressionScope): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'template':
      return evaluateTemplate(value.template, scope);
    case 'array':
      return value.items.map((item) => evaluateValue(item, scope) ?? null);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of value.entries) {
        const v = evaluateValue(item, scope);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Results as JSON.

/** A CEL value as plain JSON: ints → numbers, maps → objects, bytes → base64, timestamps → ISO text. */
export function toJson(value: unknown, text = ''): JsonValue | undefined {
  const fail = (message: string) => new ExpressionError(`\`${oneLine(text)}\`: ${message}`, text);
  const convert = (v: unknown): JsonValue | undefined => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return undefined;
    if (typeof v === 'bigint') {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        throw fail(`${v} is too large for a JSON number`);
      return Number(v);
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw fail(`${v} is not a number JSON can hold`);
      return v;
    }
    if (v instanceof Optional) return v.hasValue() ? convert(v.value()) : undefined;
    if (Array.isArray(v)) return v.map((item) => convert(item) ?? null);
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Map) {
      const out: Record<string, JsonValue> = {};
      for (const [k, item] of v) {
        const converted = convert(item);
        if (converted !== undefined) out[String(convert(k))] = converted;
      }
      return out;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        const out: Record<string, JsonValue> = {};
        for (const [k, item] of Object.entries(v)) {
          const converted = convert(item);
          if (converted !== undefined) out[k] = converted;
        }
        return out;
      }
      // A type value (`type(x)`) by its name; durations and unsigned ints as CEL writes them.
      if (proto?.constructor?.name === 'Type' && typeof (v as { name?: unknown }).name === 'string')
        return (v as { name: string }).name;
      return String(v);
    }
    throw fail(`a ${typeof v} is not a JSON value`);
  };
  return convert(value);
}

// ---------------------------------------------------------------------------------------------------------------
// The syntax tree: references and cost limits.

const ROOTS = new Set(['inputs', 'steps', 'run']);
type Root = ExpressionReference['root'];

interface Analysis {
  references: ExpressionReference[];
  problem?: string;
}

function analyse(ast: ASTNode): Analysis {
  const references: ExpressionReference[] = [];
  let problem: string | undefined;
  const note = (message: string) => {
    problem ??= message;
  };

  const walk = (node: ASTNode, bound: ReadonlySet<string>, nesting: number): void => {
    switch (node.op) {
      case 'value':
        return;
      case 'id':
        if (ROOTS.has(node.args) && !bound.has(node.args))
          references.push({ root: node.args as Root, path: [], computed: false });
        return;
      case '.':
      case '.?':
      case '[]':
      case '[?]': {
        const chain = memberChain(node, bound);
        if (chain) {
          references.push(chain.reference);
          for (const index of chain.indexes) walk(index, bound, nesting);
          return;
        }
        walk(node.args[0], bound, nesting);
        if (node.op === '[]' || node.op === '[?]') walk(node.args[1], bound, nesting);
        return;
      }
      case 'call': {
        const [name, args] = node.args;
        if (name === 'matches') checkPattern(args[1], note);
        for (const arg of args) walk(arg, bound, nesting);
        return;
      }
      case 'rcall': {
        const [name, receiver, args] = node.args;
        walk(receiver, bound, nesting);
        const variable = args[0]?.op === 'id' ? args[0].args : undefined;
        if (COMPREHENSIONS.has(name) && variable !== undefined && args.length >= 2) {
          if (nesting + 1 > MAX_COMPREHENSION_NESTING)
            note(
              `comprehensions (all, exists, exists_one, map, filter) may be nested at most ${MAX_COMPREHENSION_NESTING} deep`,
            );
          const inner = new Set(bound).add(variable);
          for (const arg of args.slice(1)) walk(arg, inner, nesting + 1);
          return;
        }
        if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && variable !== undefined) {
          walk(args[1]!, bound, nesting);
          walk(args[2]!, new Set(bound).add(variable), nesting);
          return;
        }
        if (name === 'matches') checkPattern(args[0], note);
        for (const arg of args) walk(arg, bound, nesting);
        return;
      }
      case 'list':
        for (const item of node.args) walk(item, bound, nesting);
        return;
      case 'map':
        for (const [k, v] of node.args) {
          walk(k, bound, nesting);
          walk(v, bound, nesting);
        }
        return;
      case '!_':
      case '-_':
        walk(node.args, bound, nesting);
        return;
      default:
        for (const arg of node.args as ASTNode[]) walk(arg, bound, nesting);
    }
  };
  walk(ast, new Set(), 0);
  return { references, ...(problem ? { problem } : {}) };
}

/**
 * For `steps.a.outputs[k].x`: the reference `steps` → a, outputs (stopped at the computed `[k]`) and the index
 * expressions to walk. `null` when the chain does not start at one of the three variables.
 */
function memberChain(
  node: ASTNode,
  bound: ReadonlySet<string>,
): { reference: ExpressionReference; indexes: ASTNode[] } | null {
  let segments: string[] = [];
  let computed = false;
  const indexes: ASTNode[] = [];
  let current: ASTNode = node;
  for (;;) {
    if (current.op === '.' || current.op === '.?') {
      segments.unshift(current.args[1]);
      current = current.args[0];
    } else if (current.op === '[]' || current.op === '[?]') {
      const index = current.args[1];
      if (index.op === 'value' && typeof index.args === 'string') segments.unshift(index.args);
      else {
        // Everything after a computed member is not a literal path any more.
        segments = [];
        computed = true;
        indexes.push(index);
      }
      current = current.args[0];
    } else break;
  }
  if (current.op !== 'id' || !ROOTS.has(current.args) || bound.has(current.args)) return null;
  return { reference: { root: current.args as Root, path: segments, computed }, indexes };
}

/**
 * `matches()` runs a backtracking regular expression: only a literal pattern, and none with a repeated group that
 * itself repeats or alternates (`(a+)+`, `(a|a)*`) or a back-reference, the shapes that take exponential time.
 */
function checkPattern(pattern: ASTNode | undefined, note: (message: string) => void): void {
  if (!pattern) return;
  if (pattern.op !== 'value' || typeof pattern.args !== 'string') {
    note('matches() takes a literal pattern');
    return;
  }
  const reason = unsafePatternReason(pattern.args);
  if (reason) note(`matches("${pattern.args}"): ${reason}`);
}

export function unsafePatternReason(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (error) {
    return `not a valid regular expression (${(error as Error).message})`;
  }
  // Per open group: whether it contains a repetition or an alternation.
  const stack: Array<{ repeats: boolean; alternates: boolean }> = [{ repeats: false, alternates: false }];
  let lastGroup: { repeats: boolean; alternates: boolean } | null = null;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const top = stack.at(-1)!;
    if (c === '\\') {
      if (/[1-9k]/.test(pattern[i + 1] ?? '')) return 'back-references are not allowed';
      i++;
      lastGroup = null;
      continue;
    }
    if (c === '[') {
      // Skip the class: `]` right after `[` or `[^` is a literal.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      lastGroup = null;
      continue;
    }
    if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      lastGroup = null;
      continue;
    }
    if (c === ')') {
      lastGroup = stack.length > 1 ? stack.pop()! : null;
      // What a group holds, its parent holds: `((a+)b)+` repeats a repetition too.
      if (lastGroup) {
        stack.at(-1)!.repeats ||= lastGroup.repeats;
        stack.at(-1)!.alternates ||= lastGroup.alternates;
      }
      continue;
    }
    if (c === '|') {
      top.alternates = true;
      lastGroup = null;
      continue;
    }
    const repeat = c === '*' || c === '+' || (c === '{' && /^\{\d*,\d*\}|^\{\d+\}/.test(pattern.slice(i)));
    if (repeat) {
      const bounded = c === '{' && /^\{(\d+)\}|^\{\d*,1\}/.test(pattern.slice(i));
      if (!bounded) {
        if (lastGroup && (lastGroup.repeats || lastGroup.alternates))
          return 'a repeated group that itself repeats or alternates can take exponential time';
        top.repeats = true;
      }
      if (c === '{') i = pattern.indexOf('}', i);
      lastGroup = null;
      continue;
    }
    if (c === '?' && lastGroup) {
      lastGroup = null;
      continue;
    }
    lastGroup = null;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

function summaryOf(error: unknown): string {
  if (error && typeof error === 'object' && 'summary' in error && typeof error.summary === 'string')
    return error.summary;
  return error instanceof Error ? error.message : String(error);
}

/** CEL's most surprising rule, said where it bites. */
function typeHint(message: string): string {
  if (/double/.test(message) && /\bint\b/.test(message))
    return `${message} (numbers from inputs and outputs are doubles: write 1.0, or convert with int())`;
  return message;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
