import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import type { StepKindDto } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { workflowCompletion } from './yaml-completion';

const KINDS = [
  {
    uses: 'wait@1',
    name: 'wait',
    version: 1,
    title: 'Wait',
    description: 'a durable timer',
    params: { type: 'object', properties: { duration: { type: 'string', description: 'how long' } } },
  },
  { uses: 'set@1', name: 'set', version: 1, title: 'Set', description: '', params: {} },
] as unknown as StepKindDto[];

/** The completion labels offered with the cursor at `|`. */
function labelsAt(textWithCursor: string): string[] {
  const pos = textWithCursor.indexOf('|');
  const doc = textWithCursor.replace('|', '');
  const ctx = new CompletionContext(EditorState.create({ doc }), pos, true);
  const result = workflowCompletion(() => KINDS)(ctx);
  return result ? result.options.map((o) => o.label) : [];
}

describe('workflow completion', () => {
  it('offers the step kinds after uses:', () => {
    expect(labelsAt('steps:\n  - id: a\n    uses: wa|')).toEqual(['wait', 'wait@1', 'set', 'set@1']);
  });

  it('offers the document’s fields at the top and a step’s fields inside a step', () => {
    expect(labelsAt('name: x\nti|')).toContain('title');
    expect(labelsAt('name: x\nti|')).toContain('steps');
    const step = labelsAt('steps:\n  - id: a\n    |');
    expect(step).toEqual(expect.arrayContaining(['uses', 'needs', 'if', 'gate', 'compensate']));
    expect(step).not.toContain('steps');
  });

  it('offers the parameters of the step’s kind inside with:', () => {
    expect(labelsAt('steps:\n  - id: a\n    uses: wait\n    with:\n      |')).toEqual(['duration']);
  });
});
