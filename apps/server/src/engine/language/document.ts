import type { WorkflowDocument } from '@deploybot/shared';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, stringify } from 'yaml';

/**
 * Workflow documents as text: YAML 1.2 or JSON in, a plain object out (with the line of any path, so a compile
 * error can say where), and the way back out for export.
 */

/** Largest document accepted, in bytes of its text. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Aliases a document may hold: enough to reuse a block, far too few to expand into a billion laughs. */
export const MAX_ALIAS_COUNT = 50;

export type DocumentFormat = 'yaml' | 'json';
/** A path into a document: `['steps', 2, 'with', 'duration']`. */
export type DocumentPath = ReadonlyArray<string | number>;

/** Something wrong with a document, at a path (`steps[2].with.duration`; empty: the whole document). */
export interface DocumentIssue {
  path: string;
  message: string;
  /** 1-based line in the text it came from, when it came from text. */
  line?: number;
}

export interface ParsedDocument {
  value: unknown;
  format: DocumentFormat;
  /** The line a path starts on (a mapping key's line), or its nearest existing parent's. */
  lineOf: (path: DocumentPath) => number | undefined;
}

export type ParseDocumentResult =
  | { ok: true; document: ParsedDocument }
  | { ok: false; issues: DocumentIssue[] };

/**
 * Parses a body. `json` is checked as strict JSON first; both go through the YAML parser, which JSON is a subset
 * of, so duplicate keys are refused and lines are known either way. Without a format, text starting with `{` is
 * JSON.
 */
export function parseDocumentText(text: string, format?: DocumentFormat): ParseDocumentResult {
  const fail = (message: string, line?: number): ParseDocumentResult => ({
    ok: false,
    issues: [{ path: '', message, ...(line ? { line } : {}) }],
  });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) {
    return fail(`the document is ${bytes} bytes; at most ${MAX_DOCUMENT_BYTES} (256 KiB) are accepted`);
  }
  const as: DocumentFormat = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  if (as === 'json') {
    try {
      JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      return fail(`not valid JSON: ${message}`, position ? lineAt(text, Number(position[1])) : undefined);
    }
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter,
  });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.map((problem) => {
        const line = problem.pos ? lineCounter.linePos(problem.pos[0]).line : undefined;
        return {
          path: '',
          message: describeYamlProblem(problem.code, problem.message),
          ...(line ? { line } : {}),
        };
      }),
    };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The library's own words ("Excessive alias count indicates a resource exhaustion attack").
    return fail(`the document expands too much through aliases: ${(error as Error).message}`);
  }

  const lineOf = (path: DocumentPath): number | undefined => {
    let node: unknown = doc.contents;
    let line = startLine(node, lineCounter);
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return line;
        line = startLine(pair.key, lineCounter) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return line;
        line = startLine(item, lineCounter) ?? line;
        node = item;
      } else return line;
    }
    return line;
  };
  return { ok: true, document: { value, format: as, lineOf } };
}

function startLine(node: unknown, lineCounter: LineCounter): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? lineCounter.linePos(range[0]).line : undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

function describeYamlProblem(code: string, message: string): string {
  // The library's message starts with the position it also gives in `pos`; keep the words.
  const words = message.replace(/ at line \d+, column \d+.*$/s, '');
  if (code === 'DUPLICATE_KEY') return `duplicate key: ${words}`;
  if (code === 'TAG_RESOLVE_FAILED') return `unsupported tag: ${words}`;
  return words;
}

/**
 * `steps[2].with.duration`: how issues name a place. Keys that are not plain identifiers are quoted
 * (`with["image-tag"]`).
 */
export function formatPath(path: DocumentPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * A document as text, for export: posted again (under another name) it compiles to the same workflow. Members
 * whose value is the empty default (`description: ''`, `with: {}`, `inputs: []`, `outputs: {}`) are left out.
 */
export function exportDocument(doc: WorkflowDocument, format: DocumentFormat): string {
  const trimmed = withoutEmptyDefaults(doc);
  if (format === 'json') return `${JSON.stringify(trimmed, null, 2)}\n`;
  return stringify(trimmed, { lineWidth: 0, version: '1.2', aliasDuplicateObjects: false });
}

function withoutEmptyDefaults(doc: WorkflowDocument): Record<string, unknown> {
  const isEmpty = (v: unknown) =>
    v === '' || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'steps') continue;
    if ((key === 'description' || key === 'inputs' || key === 'outputs') && isEmpty(value)) continue;
    out[key] = value;
  }
  out.steps = doc.steps.map((step) => {
    const s: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(step) as Array<[string, unknown]>) {
      if (key === 'with' && isEmpty(value)) continue;
      if (key === 'compensate' && isPlainObject(value) && isEmpty(value.with)) {
        s[key] = { uses: value.uses };
        continue;
      }
      s[key] = value;
    }
    return s;
  });
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
