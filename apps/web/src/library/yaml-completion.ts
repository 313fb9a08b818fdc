import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import type { StepKindDto } from '@deploybot/shared';

/** The language's fields (see packages/shared/src/workflow-language.ts), with a word on each. */
const DOCUMENT_FIELDS: [string, string][] = [
  ['name', 'lower-case identifier, the workflow’s name'],
  ['title', 'shown in the library and on runs'],
  ['description', 'what it does'],
  ['run_title', 'each run’s title, a ${{ }} template'],
  ['inputs', 'what a person gives at start'],
  ['concurrency', '{ key, on_conflict: refuse | queue }'],
  ['on_failure', 'stop | rollback'],
  ['max_parallel', 'steps in progress at once (default 10)'],
  ['outputs', 'values put on the run, each one expression'],
  ['steps', 'the steps, in order'],
];
const STEP_FIELDS: [string, string][] = [
  ['id', 'lower-case identifier, unique'],
  ['title', 'shown on the run'],
  ['description', 'what the step does'],
  ['uses', 'a step kind, kind or kind@version'],
  ['with', 'the kind’s arguments'],
  ['needs', 'steps that finish first ([] for none)'],
  ['if', 'a CEL condition; false → skipped'],
  ['gate', 'true or { message, timeout }: a person approves'],
  ['timeout', 'a duration such as 5m'],
  ['retry', '{ attempts, backoff, factor?, max_backoff? }'],
  ['continue_on_error', 'the run goes on if it fails'],
  ['compensate', 'false, or { uses, with }: how to undo it'],
];

interface Line {
  indent: number;
  /** The key on this line (`uses` in `  - uses: wait`), if any. */
  key: string | null;
  value: string;
  /** The line starts a list item (`- `). */
  item: boolean;
}

function parseLine(text: string): Line {
  const m = /^(\s*)(-\s+)?([A-Za-z_][\w]*)?\s*(:\s*(.*))?$/.exec(text);
  if (!m) return { indent: text.length - text.trimStart().length, key: null, value: '', item: false };
  const indent = (m[1]?.length ?? 0) + (m[2]?.length ?? 0);
  return { indent, key: m[4] !== undefined ? (m[3] ?? null) : null, value: m[5] ?? '', item: !!m[2] };
}

/** The properties a kind's `with` takes, from its JSON Schema. */
function paramsOf(kind: StepKindDto | undefined): [string, string][] {
  const props = (kind?.params as { properties?: Record<string, { description?: string; type?: string }> })
    ?.properties;
  if (!props) return [];
  return Object.entries(props).map(([k, v]) => [k, v.description ?? v.type ?? '']);
}

/**
 * Completion for a workflow document: step kinds after `uses:`, the document's and a step's fields where a key
 * goes, and inside `with:` the parameters of the step's kind. Reads the lines above the cursor only: good enough
 * while typing, and the compiler has the last word.
 */
export function workflowCompletion(kinds: () => readonly StepKindDto[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);

    const uses = /^(\s*(?:-\s+)?(?:uses|compensate:\s*\{\s*uses)\s*:\s*)([\w.@]*)$/.exec(before);
    if (uses) {
      return {
        from: ctx.pos - (uses[2]?.length ?? 0),
        options: kinds().flatMap((k) => [
          { label: k.name, detail: k.title, info: k.description, type: 'class' },
          { label: k.uses, detail: k.title, type: 'class', boost: -1 },
        ]),
        validFor: /^[\w.@]*$/,
      };
    }

    const key = /^(\s*)(-\s+)?([a-z_]*)$/.exec(before);
    if (!key || (!ctx.explicit && key[3] === '' && !key[2])) return null;
    const indent = (key[1]?.length ?? 0) + (key[2]?.length ?? 0);
    const from = ctx.pos - (key[3]?.length ?? 0);
    const fields = fieldsAt(ctx, line.number, indent, kinds());
    if (!fields) return null;
    return {
      from,
      options: fields.map(([label, detail]) => ({ label, detail, apply: `${label}: `, type: 'property' })),
      validFor: /^[a-z_]*$/,
    };
  };
}

/** Which fields fit at this indent: found by walking up to the line this one belongs to. */
function fieldsAt(
  ctx: CompletionContext,
  lineNo: number,
  indent: number,
  kinds: readonly StepKindDto[],
): [string, string][] | null {
  if (indent === 0) return DOCUMENT_FIELDS;
  for (let n = lineNo - 1; n >= 1; n--) {
    const above = parseLine(ctx.state.doc.line(n).text);
    if (above.key === null && !above.item) continue;
    if (above.indent >= indent) continue;
    if (above.key === 'steps') return STEP_FIELDS;
    if (above.key === 'with')
      return paramsOf(kinds.find((k) => k.name === usesOfStep(ctx, n)?.split('@')[0]));
    // A line of the same step above (`- id: x` with the step's keys under it).
    if (above.item && above.indent <= indent) return isUnderSteps(ctx, n) ? STEP_FIELDS : null;
    return null;
  }
  return null;
}

function isUnderSteps(ctx: CompletionContext, lineNo: number): boolean {
  const indent = parseLine(ctx.state.doc.line(lineNo).text).indent;
  for (let n = lineNo - 1; n >= 1; n--) {
    const above = parseLine(ctx.state.doc.line(n).text);
    if (above.key === null) continue;
    if (above.indent < indent - 1 || (above.indent === 0 && !above.item)) return above.key === 'steps';
  }
  return false;
}

/** The `uses` of the step whose `with:` is at `withLine`. */
function usesOfStep(ctx: CompletionContext, withLine: number): string | null {
  const withIndent = parseLine(ctx.state.doc.line(withLine).text).indent;
  const doc = ctx.state.doc;
  // The step's keys sit at the same indent as `with:`; its first key carries the `- `.
  for (let n = withLine; n >= 1; n--) {
    const l = parseLine(doc.line(n).text);
    if (l.indent < withIndent) break;
    if (l.indent === withIndent && l.key === 'uses') return l.value.trim() || null;
    if (l.item && l.indent === withIndent) break;
  }
  for (let n = withLine + 1; n <= doc.lines; n++) {
    const l = parseLine(doc.line(n).text);
    if (l.key === null) continue;
    if (l.indent < withIndent || (l.item && l.indent === withIndent)) break;
    if (l.indent === withIndent && l.key === 'uses') return l.value.trim() || null;
  }
  return null;
}
