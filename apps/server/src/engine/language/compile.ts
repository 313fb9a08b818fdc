import {
  type InputSpec,
  type StepDoc,
  type WorkflowDocument,
  workflowDocumentSchema,
} from '@deploybot/shared';
import { z } from 'zod';
import type { AnyStepKind, StepKindRegistry } from '../step-kind';
import type { WorkflowDefinition } from '../types';
import { buildDefinition, type CompiledStep } from './definition';
import { type DocumentIssue, type DocumentPath, formatPath } from './document';
import {
  type CelFieldType,
  type CompiledExpression,
  type CompiledTemplate,
  type CompiledValue,
  compileExpression,
  compileTemplate,
  compileValue,
  ExpressionEnvironment,
  type ExpressionReference,
  isTemplate,
  referenceText,
  type ValuePath,
} from './expressions';
import { inputCelType, objectCelFields } from './scope-types';
import { isPrefix, valueAt, withoutPaths, zodIssues } from './zod-issues';

export { canonicalJson, documentHash, START_CHECK_TIMEOUT_MS, StepParamsError } from './definition';

/**
 * The workflow compiler: a document (already parsed from YAML or JSON) and the step-kind registry in, an
 * executable `WorkflowDefinition` out, or every problem at once with its path (`steps[2].with.duration`) and,
 * when the caller knows them, its line. Pure and deterministic: the same document and registry give the same
 * definition and the same hash.
 */

export type CompileIssue = DocumentIssue;

export interface CompileOptions {
  version: number;
  builtIn?: boolean;
  /** The line a path starts on in the text the document came from. */
  lines?: (path: DocumentPath) => number | undefined;
}

export type CompileResult =
  | { ok: true; definition: WorkflowDefinition; document: WorkflowDocument }
  | { ok: false; issues: CompileIssue[] };

/** A step's outputs: its kind's, or, for kinds whose outputs are what `with` names (`set`), those names. */
function outputsOf(kind: AnyStepKind, step: StepDoc): z.ZodObject {
  return kind.outputsFromParams
    ? z.object(Object.fromEntries(Object.keys(step.with).map((k) => [k, z.unknown()])))
    : kind.outputs;
}

export function compileWorkflow(
  raw: unknown,
  registry: StepKindRegistry,
  opts: CompileOptions,
): CompileResult {
  const parsed = workflowDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: zodIssues(parsed.error.issues, []).map((i) =>
        located({ path: formatPath(i.at), message: i.message, at: i.at }, opts.lines),
      ),
    };
  }
  // Our own copy: literal values in `with` end up frozen in the definition, shared by every run, and the
  // caller's objects are left alone.
  return new Compilation(structuredClone(parsed.data), registry, opts).run();
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Names expressions could not use: CEL's grammar keeps `in`, `true`, `false` and `null` (`steps.in` does not
 * parse), and the CEL library takes an object with its own `constructor` member for something other than a map.
 */
const UNUSABLE_NAMES = new Set(['in', 'true', 'false', 'null', 'constructor']);
const INPUT_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What a place in the document may read. */
interface ReadRules {
  /** Steps it may read: a step's transitive needs, any (run_title, outputs), none (concurrency.key). */
  steps: ReadonlySet<string> | 'any' | 'none';
  /** The step the expression belongs to. */
  self?: string;
  /** A compensation reads its own step's outputs. */
  selfAllowed?: boolean;
  run: boolean;
  secrets: boolean;
  /** Names the place in messages (`run_title`, `concurrency.key`). */
  where: string;
}

class Compilation {
  private readonly issues: CompileIssue[] = [];
  private readonly kinds: Array<AnyStepKind | undefined> = [];
  private readonly index = new Map<string, number>();
  private readonly needs: string[][] = [];
  private ancestors: Map<string, Set<string>> | null = null;
  private readonly inputs = new Map<string, InputSpec>();
  private env!: ExpressionEnvironment;

  constructor(
    private readonly doc: WorkflowDocument,
    private readonly registry: StepKindRegistry,
    private readonly opts: CompileOptions,
  ) {}

  private issue(path: DocumentPath, message: string): void {
    this.issues.push(located({ path: formatPath(path), message, at: path }, this.opts.lines));
  }

  run(): CompileResult {
    const doc = this.doc;
    this.checkInputs();
    this.resolveKinds();
    this.checkIds();
    this.resolveNeeds();
    this.env = ExpressionEnvironment.typed(this.scopeTypes());

    const steps: CompiledStep[] = [];
    doc.steps.forEach((step, i) => {
      const compiled = this.compileStep(step, i);
      if (compiled) steps.push(compiled);
    });
    const runTitle =
      doc.run_title === undefined
        ? undefined
        : this.template(doc.run_title, ['run_title'], {
            steps: 'any',
            run: true,
            secrets: false,
            where: 'run_title',
          });
    const outputs: Array<[string, CompiledTemplate]> = [];
    for (const [name, text] of Object.entries(doc.outputs)) {
      const rules: ReadRules = { steps: 'any', run: true, secrets: false, where: 'outputs' };
      // A bare expression or a template: `sha: steps.resolve.outputs.sha` and `sha: ${{ … }}` both work.
      const compiled = this.template(isTemplate(text) ? text : `\${{ ${text} }}`, ['outputs', name], rules);
      if (compiled) outputs.push([name, compiled]);
    }
    const concurrencyKey = doc.concurrency
      ? this.template(doc.concurrency.key, ['concurrency', 'key'], {
          steps: 'none',
          run: false,
          secrets: false,
          where: 'concurrency.key',
        })
      : undefined;

    if (this.issues.length > 0) return { ok: false, issues: this.issues };
    const normalised = deepFreeze(this.pinned());
    return {
      ok: true,
      definition: buildDefinition(normalised, steps, {
        ...this.opts,
        runTitle,
        outputs,
        concurrencyKey,
        stepIds: doc.steps.map((s) => s.id),
      }),
      document: normalised,
    };
  }

  /**
   * The document with every `uses` as `name@version`: a stored template keeps meaning the kinds it was compiled
   * against when a later controller adds a version, and its hash says so (`wait` and `wait@2` are one workflow
   * while 2 is the latest).
   */
  private pinned(): WorkflowDocument {
    const pin = (uses: string) => {
      const kind = this.registry.resolve(uses)!;
      return `${kind.name}@${kind.version}`;
    };
    return {
      ...this.doc,
      steps: this.doc.steps.map((step) => ({
        ...step,
        uses: pin(step.uses),
        ...(step.compensate ? { compensate: { ...step.compensate, uses: pin(step.compensate.uses) } } : {}),
      })),
    };
  }

  // -- inputs, kinds, ids, needs --------------------------------------------------------------------------------

  private checkInputs(): void {
    this.doc.inputs.forEach((spec, i) => {
      if (!INPUT_KEY_RE.test(spec.key) || UNUSABLE_NAMES.has(spec.key))
        this.issue(
          ['inputs', i, 'key'],
          `"${spec.key}" cannot be an input key: a key is a name of letters, digits and _, read as inputs.<key>`,
        );
      if (this.inputs.has(spec.key))
        this.issue(['inputs', i, 'key'], `input "${spec.key}" is declared twice`);
      else this.inputs.set(spec.key, spec);
      if (spec.type === 'choice' && !spec.choices?.length)
        this.issue(['inputs', i, 'choices'], 'a choice input needs its choices');
      if (spec.pattern !== undefined) {
        try {
          new RegExp(spec.pattern);
        } catch (error) {
          this.issue(['inputs', i, 'pattern'], `not a valid regular expression: ${(error as Error).message}`);
        }
      }
    });
  }

  private resolveKind(uses: string, path: DocumentPath): AnyStepKind | undefined {
    const kind = this.registry.resolve(uses);
    if (kind) return kind;
    const [name, version] = uses.split('@');
    const versions = this.registry
      .list()
      .filter((k) => k.name === name)
      .map((k) => k.version);
    if (versions.length > 0)
      this.issue(path, `step kind "${name}" has no version ${version} (it has ${versions.join(', ')})`);
    else this.issue(path, `unknown step kind "${name}" (known: ${this.registry.names().join(', ')})`);
    return undefined;
  }

  private resolveKinds(): void {
    this.doc.steps.forEach((step, i) => {
      this.kinds.push(this.resolveKind(step.uses, ['steps', i, 'uses']));
    });
  }

  private checkIds(): void {
    this.doc.steps.forEach((step, i) => {
      const first = this.index.get(step.id);
      if (first !== undefined)
        this.issue(['steps', i, 'id'], `step id "${step.id}" is already used by steps[${first}]`);
      else this.index.set(step.id, i);
      if (UNUSABLE_NAMES.has(step.id))
        this.issue(
          ['steps', i, 'id'],
          `"${step.id}" cannot be a step id: expressions could not read steps.${step.id}`,
        );
    });
  }

  private resolveNeeds(): void {
    const steps = this.doc.steps;
    steps.forEach((step, i) => {
      if (step.needs === undefined) {
        this.needs.push(i > 0 ? [steps[i - 1]!.id] : []);
        return;
      }
      const own: string[] = [];
      step.needs.forEach((need, k) => {
        const path = ['steps', i, 'needs', k];
        if (own.includes(need)) this.issue(path, `"${need}" is listed twice`);
        else if (need === step.id) this.issue(path, 'a step cannot need itself');
        else if (!this.index.has(need)) this.issue(path, `unknown step "${need}"`);
        else own.push(need);
      });
      this.needs.push(own);
    });

    const cycle = this.findCycle();
    if (cycle) {
      const first = Math.min(...cycle.map((id) => this.index.get(id)!));
      const explicit = steps[first]!.needs !== undefined;
      this.issue(
        explicit ? ['steps', first, 'needs'] : ['steps', first],
        `needs form a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
      );
      return;
    }
    this.ancestors = this.computeAncestors();
  }

  /** The first cycle in the needs graph, as the steps along it; `null` when there is none. */
  private findCycle(): string[] | null {
    const ids = this.doc.steps.map((s) => s.id);
    const state = new Map<string, 'open' | 'done'>();
    const trail: string[] = [];
    const visit = (id: string): string[] | null => {
      state.set(id, 'open');
      trail.push(id);
      for (const need of this.needs[this.index.get(id)!] ?? []) {
        const s = state.get(need);
        if (s === 'open') return trail.slice(trail.indexOf(need));
        if (s === undefined) {
          const found = visit(need);
          if (found) return found;
        }
      }
      trail.pop();
      state.set(id, 'done');
      return null;
    };
    for (const id of ids) {
      if (state.has(id) || this.index.get(id) === undefined) continue;
      const found = visit(id);
      if (found) return found;
    }
    return null;
  }

  /** Every step's transitive needs (the graph has no cycle). */
  private computeAncestors(): Map<string, Set<string>> {
    const result = new Map<string, Set<string>>();
    const of = (id: string): Set<string> => {
      const known = result.get(id);
      if (known) return known;
      const all = new Set<string>();
      for (const need of this.needs[this.index.get(id)!] ?? []) {
        all.add(need);
        for (const a of of(need)) all.add(a);
      }
      result.set(id, all);
      return all;
    };
    for (const id of this.index.keys()) of(id);
    return result;
  }

  private scopeTypes(): {
    inputs: Record<string, CelFieldType>;
    steps: Record<string, Record<string, CelFieldType> | null>;
  } {
    const inputs: Record<string, CelFieldType> = {};
    for (const [key, spec] of this.inputs) inputs[key] = inputCelType(spec);
    const steps: Record<string, Record<string, CelFieldType> | null> = {};
    this.doc.steps.forEach((step, i) => {
      if (step.id in steps) return;
      const kind = this.kinds[i];
      steps[step.id] = kind ? objectCelFields(outputsOf(kind, step)) : null;
    });
    return { inputs, steps };
  }

  // -- steps ----------------------------------------------------------------------------------------------------

  private compileStep(step: StepDoc, i: number): CompiledStep | null {
    const kind = this.kinds[i];
    const base: DocumentPath = ['steps', i];
    const rules: ReadRules = {
      steps: this.ancestors?.get(step.id) ?? 'any',
      self: step.id,
      run: true,
      secrets: true,
      where: `step "${step.id}"`,
    };

    let condition: CompiledExpression | undefined;
    if (step.if !== undefined) {
      condition = this.expression(step.if, [...base, 'if'], rules);
      if (condition && condition.type !== 'bool' && condition.type !== 'dyn') {
        this.issue([...base, 'if'], `if must be true or false; \`${step.if}\` is a ${condition.type}`);
      }
    }

    const withValue = this.value(step.with, [...base, 'with'], rules);
    let gateMessage: CompiledTemplate | undefined;
    if (typeof step.gate === 'object' && step.gate.message !== undefined && isTemplate(step.gate.message)) {
      gateMessage = this.template(step.gate.message, [...base, 'gate', 'message'], rules);
    }

    let compensate: CompiledStep['compensate'];
    if (step.compensate === false) compensate = false;
    else if (step.compensate) {
      const other = this.resolveKind(step.compensate.uses, [...base, 'compensate', 'uses']);
      const compensateWith = this.value(step.compensate.with, [...base, 'compensate', 'with'], {
        ...rules,
        selfAllowed: true,
      });
      if (other) {
        if (other.ask || other.gate === 'always')
          this.issue(
            [...base, 'compensate', 'uses'],
            `"${other.name}" waits for a person; a compensation must run on its own`,
          );
        this.checkLiterals(other, step.compensate.with, compensateWith.templated, [
          ...base,
          'compensate',
          'with',
        ]);
        compensate = { kind: other, with: compensateWith.value };
      }
    }

    if (!kind) return null;
    if (kind.ask && (step.gate === true || typeof step.gate === 'object'))
      this.issue([...base, 'gate'], `"${kind.name}" asks a person for a value; it cannot also be a gate`);
    if (kind.gate === 'always' && step.gate === false)
      this.issue([...base, 'gate'], `"${kind.name}" is always a gate; remove gate: false`);
    this.checkLiterals(kind, step.with, withValue.templated, [...base, 'with']);

    return {
      doc: step,
      kind,
      needs: this.needs[i] ?? [],
      with: withValue.value,
      inputParams: withValue.inputParams,
      secretParams: withValue.secretParams,
      withReadsOnlyInputs: withValue.readsOnlyInputs,
      ...(condition ? { condition } : {}),
      ...(gateMessage ? { gateMessage } : {}),
      ...(compensate !== undefined ? { compensate } : {}),
    };
  }

  /** A `with` value: its templates compiled and their references checked. */
  private value(
    raw: Record<string, unknown>,
    path: DocumentPath,
    rules: ReadRules,
  ): {
    value: CompiledValue;
    templated: ValuePath[];
    inputParams: Map<string, string>;
    secretParams: Set<string>;
    readsOnlyInputs: boolean;
  } {
    const compiled = compileValue(raw, this.env);
    const templated: ValuePath[] = [];
    for (const error of compiled.errors) {
      templated.push(error.path);
      const referencesOk = this.checkReferences(error.references ?? [], [...path, ...error.path], rules);
      if (referencesOk) this.issue([...path, ...error.path], error.error.message);
    }
    const inputParams = new Map<string, string>();
    const secretParams = new Set<string>();
    let readsOnlyInputs = compiled.errors.length === 0;
    for (const { path: at, template } of compiled.templates) {
      templated.push(at);
      this.checkReferences(template.references, [...path, ...at], rules);
      if (template.references.some((r) => r.root !== 'inputs')) readsOnlyInputs = false;
      const param = at[0];
      if (typeof param !== 'string') continue;
      if (at.length === 1) {
        const input = exactInput(template);
        if (input !== undefined) inputParams.set(param, input);
      }
      if (template.references.some((r) => r.root === 'inputs' && this.readsSecret(r)))
        secretParams.add(param);
    }
    return { value: compiled.value, templated, inputParams, secretParams, readsOnlyInputs };
  }

  private readsSecret(ref: ExpressionReference): boolean {
    const key = ref.path[0];
    if (key === undefined) return [...this.inputs.values()].some((s) => s.type === 'secret');
    return this.inputs.get(key)?.type === 'secret';
  }

  private expression(text: string, path: DocumentPath, rules: ReadRules): CompiledExpression | undefined {
    const compiled = compileExpression(text, this.env);
    if (!compiled.ok) {
      if (this.checkReferences(compiled.references ?? [], path, rules))
        this.issue(path, compiled.error.message);
      return undefined;
    }
    return this.checkReferences(compiled.expression.references, path, rules)
      ? compiled.expression
      : undefined;
  }

  private template(text: string, path: DocumentPath, rules: ReadRules): CompiledTemplate | undefined {
    const compiled = compileTemplate(text, this.env);
    if (!compiled.ok) {
      if (this.checkReferences(compiled.references ?? [], path, rules))
        this.issue(path, compiled.error.message);
      return undefined;
    }
    return this.checkReferences(compiled.template.references, path, rules) ? compiled.template : undefined;
  }

  /** Reports every reference the place may not make; true when there was none. */
  private checkReferences(
    refs: readonly ExpressionReference[],
    path: DocumentPath,
    rules: ReadRules,
  ): boolean {
    let ok = true;
    const bad = (message: string) => {
      ok = false;
      this.issue(path, message);
    };
    for (const ref of refs) {
      const text = referenceText(ref);
      if (ref.root === 'run') {
        if (!rules.run) bad(`${rules.where} may read only inputs (not ${text})`);
        else if (ref.path[0] !== undefined && ref.path[0] !== 'id' && ref.path[0] !== 'started_by')
          bad(`${text}: run has id and started_by`);
        continue;
      }
      if (ref.root === 'inputs') {
        const key = ref.path[0];
        if (key !== undefined && !this.inputs.has(key)) {
          const known = [...this.inputs.keys()];
          bad(
            `unknown input "${key}" (${known.length ? `inputs: ${known.join(', ')}` : 'the workflow has no inputs'})`,
          );
        } else if (!rules.secrets && this.readsSecret(ref)) {
          bad(`${rules.where} must not read secret inputs (${text}): it is stored and shown in clear`);
        }
        continue;
      }
      // steps
      if (rules.steps === 'none') {
        bad(`${rules.where} may read only inputs (not ${text})`);
        continue;
      }
      const id = ref.path[0];
      if (id === undefined) {
        bad(`steps must be read by name: steps.<id>.outputs.<name> or steps.<id>.status (not ${text})`);
        continue;
      }
      const at = this.index.get(id);
      if (at === undefined) {
        bad(`unknown step "${id}" (in ${text})`);
        continue;
      }
      if (id === rules.self && !rules.selfAllowed) {
        bad(`a step cannot read its own outputs or status (${text})`);
        continue;
      }
      if (id !== rules.self && rules.steps !== 'any' && !rules.steps.has(id)) {
        bad(
          `${text} is read here, but step "${id}" is not guaranteed to finish before "${rules.self}": add "${id}" to its needs`,
        );
        continue;
      }
      const member = ref.path[1];
      if (member === undefined) continue;
      if (member !== 'outputs' && member !== 'status') {
        bad(`${text}: a step has only outputs and status`);
        continue;
      }
      const output = ref.path[2];
      const kind = this.kinds[at];
      const outputs = kind ? outputsOf(kind, this.doc.steps[at]!) : undefined;
      if (member === 'outputs' && output !== undefined && kind && outputs && !(output in outputs.shape)) {
        const names = Object.keys(outputs.shape);
        bad(
          `step "${id}" (${kind.name}@${kind.version}) has no output "${output}"; ${
            names.length ? `its outputs: ${names.join(', ')}` : 'it has no outputs'
          }`,
        );
      }
    }
    return ok;
  }

  /**
   * The literal part of `with` against the kind's params: templated values are unknown until the step runs, so
   * they are left out and so is every issue about them; a param that is not given at all is still missing.
   */
  private checkLiterals(
    kind: AnyStepKind,
    raw: Record<string, unknown>,
    templated: ValuePath[],
    path: DocumentPath,
  ) {
    const literal = withoutPaths(raw, templated);
    const result = kind.params.safeParse(literal);
    if (result.success) return;
    for (const issue of zodIssues(result.error.issues, [])) {
      const related =
        issue.code !== 'unrecognized_keys' &&
        templated.some((t) => isPrefix(t, issue.at) || isPrefix(issue.at, t));
      if (related) continue;
      const missing =
        issue.code === 'invalid_type' && issue.at.length > 0 && valueAt(raw, issue.at) === undefined;
      const param = formatPath(issue.at) || 'with';
      this.issue(
        [...path, ...issue.at],
        missing ? `${kind.name} needs ${param}` : `${param}: ${issue.message}`,
      );
    }
  }
}

/** The input a template is exactly (`${{ inputs.ref }}` → ref), if that is all it is. */
function exactInput(template: CompiledTemplate): string | undefined {
  if (!template.whole) return undefined;
  const part = template.parts.find((p) => 'expression' in p) as
    | { expression: CompiledExpression }
    | undefined;
  const ast = part?.expression.ast;
  // `inputs.x`, `inputs['x']` and `inputs.?x` (an optional input) all name input x.
  if (!ast || (ast.op !== '.' && ast.op !== '[]' && ast.op !== '.?')) return undefined;
  const [target, member] = ast.args;
  if (target.op !== 'id' || target.args !== 'inputs') return undefined;
  if (typeof member === 'string') return member;
  return member.op === 'value' && typeof member.args === 'string' ? member.args : undefined;
}

function located(
  issue: { path: string; message: string; at: DocumentPath },
  lines: CompileOptions['lines'],
): CompileIssue {
  const line = lines?.(issue.at);
  return { path: issue.path, message: issue.message, ...(line !== undefined ? { line } : {}) };
}
