import { type WorkflowDocument, workflowDocumentSchema } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import {
  exportDocument,
  formatPath,
  MAX_DOCUMENT_BYTES,
  type ParsedDocument,
  parseDocumentText,
} from './document';

const YAML = `# a comment
name: pause
title: Pause
steps:
  - id: first
    title: First
    uses: wait
    with:
      duration: 2s
  - id: second
    title: Second
    uses: wait@1
    with:
      duration: "\${{ inputs.delay }}"
      nested:
        list:
          - a
          - b
`;

function parsed(text: string, format?: 'yaml' | 'json'): ParsedDocument {
  const result = parseDocumentText(text, format);
  if (!result.ok) throw new Error(`expected it to parse: ${JSON.stringify(result.issues)}`);
  return result.document;
}

function issues(text: string, format?: 'yaml' | 'json') {
  const result = parseDocumentText(text, format);
  if (result.ok) throw new Error('expected it not to parse');
  return result.issues;
}

describe('parseDocumentText', () => {
  it('parses YAML 1.2 into plain values and knows the line of every path', () => {
    const doc = parsed(YAML);
    expect(doc.format).toBe('yaml');
    expect(doc.value).toEqual({
      name: 'pause',
      title: 'Pause',
      steps: [
        { id: 'first', title: 'First', uses: 'wait', with: { duration: '2s' } },
        {
          id: 'second',
          title: 'Second',
          uses: 'wait@1',
          with: { duration: '${{ inputs.delay }}', nested: { list: ['a', 'b'] } },
        },
      ],
    });
    expect(doc.lineOf([])).toBe(2);
    expect(doc.lineOf(['steps'])).toBe(4);
    expect(doc.lineOf(['steps', 1])).toBe(10);
    expect(doc.lineOf(['steps', 1, 'with', 'duration'])).toBe(14);
    expect(doc.lineOf(['steps', 1, 'with', 'nested', 'list', 1])).toBe(18);
    // A path that does not exist (a missing param) points at its nearest parent.
    expect(doc.lineOf(['steps', 0, 'with', 'missing'])).toBe(8);
    expect(doc.lineOf(['steps', 7])).toBe(4);
  });

  it('keeps YAML 1.2 scalars: yes/no and dates stay strings', () => {
    expect(parsed('a: yes\nb: 2024-01-01\nc: 010\nd: on\n').value).toEqual({
      a: 'yes',
      b: '2024-01-01',
      c: 10,
      d: 'on',
    });
  });

  it('parses JSON, strictly, with lines too', () => {
    const text = '{\n  "name": "x",\n  "steps": [\n    {"id": "a",\n     "with": {"d": 1}}\n  ]\n}';
    const doc = parsed(text);
    expect(doc.format).toBe('json');
    expect(doc.value).toEqual({ name: 'x', steps: [{ id: 'a', with: { d: 1 } }] });
    expect(doc.lineOf(['steps', 0, 'with', 'd'])).toBe(5);
    const [issue] = issues('{\n  "name": "x",\n  trailing: 1\n}', 'json');
    expect(issue!.message).toMatch(/^not valid JSON/);
    expect(issue!.line).toBe(3);
  });

  it('refuses duplicate keys, with their line, in YAML and JSON', () => {
    const [yamlIssue] = issues('name: a\ntitle: b\nname: c\n');
    expect(yamlIssue).toMatchObject({ path: '', line: 3 });
    expect(yamlIssue!.message).toMatch(/duplicate key/i);
    const [jsonIssue] = issues('{"name": "a",\n "name": "b"}', 'json');
    expect(jsonIssue).toMatchObject({ line: 2 });
    expect(jsonIssue!.message).toMatch(/duplicate key/i);
  });

  it('allows a few aliases but refuses an alias bomb', () => {
    expect(parsed('a: &x [1, 2]\nb: *x\n').value).toEqual({ a: [1, 2], b: [1, 2] });
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const [issue] = issues(`${levels.join('\n')}\n`);
    expect(issue!.message).toMatch(/aliases/);
  });

  it('refuses documents over 256 KiB, several documents in one, and unknown tags', () => {
    const big = `name: x\ndescription: "${'a'.repeat(MAX_DOCUMENT_BYTES)}"\n`;
    expect(issues(big)[0]!.message).toMatch(/at most 262144 \(256 KiB\)/);
    expect(issues('a: 1\n---\nb: 2\n')[0]!.message).toMatch(/multiple documents/i);
    expect(issues('a: !custom 1\n')[0]).toMatchObject({ line: 1 });
    expect(issues('a: [1, 2\n').length).toBeGreaterThan(0);
  });
});

describe('formatPath', () => {
  it('writes paths as people read them', () => {
    expect(formatPath(['steps', 2, 'with', 'duration'])).toBe('steps[2].with.duration');
    expect(formatPath(['steps', 0, 'with', 'image-tag'])).toBe('steps[0].with["image-tag"]');
    expect(formatPath([])).toBe('');
  });
});

describe('exportDocument', () => {
  const doc: WorkflowDocument = workflowDocumentSchema.parse({
    name: 'exported',
    title: 'Exported: a workflow',
    run_title: 'Run ${{ inputs.who }}',
    inputs: [{ key: 'who', label: 'Who', type: 'text', required: true }],
    steps: [
      {
        id: 'a',
        title: 'yes',
        uses: 'wait',
        with: { duration: '${{ "2s" }}', text: 'multi\nline: value', n: 1, flag: true, empty: '' },
        compensate: { uses: 'wait' },
      },
      { id: 'b', title: 'B', uses: 'wait', needs: [], if: 'inputs.who == "x: y"', gate: { message: 'Go?' } },
    ],
  });

  for (const format of ['yaml', 'json'] as const) {
    it(`writes ${format} that parses back to the same document`, () => {
      const text = exportDocument(doc, format);
      const back = parsed(text, format);
      expect(workflowDocumentSchema.parse(back.value)).toEqual(doc);
      expect(text).not.toMatch(/description/);
    });
  }
});
