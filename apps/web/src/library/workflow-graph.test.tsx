// @vitest-environment happy-dom
import type { StepKindDto } from '@deploybot/shared';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from './graph-layout';
import { type GraphStep, graphOf } from './graph-model';
import WorkflowGraph from './workflow-graph';

const kind = (name: string, extra: Partial<StepKindDto> = {}): StepKindDto => ({
  uses: `${name}@1`,
  name,
  version: 1,
  title: name,
  description: '',
  params: {},
  outputs: {},
  gate: 'optional',
  hasPlan: false,
  asksForInput: false,
  compensable: false,
  durableWait: false,
  ...extra,
});
const KINDS = [
  kind('set'),
  kind('wait'),
  kind('approval', { gate: 'always' }),
  kind('fleet.deploy_job', { compensable: true }),
];

/** resolve → (health ∥ settle) → target (gate) → deploy (if, undo) | notify (else) → done (custom undo). */
const STEPS: GraphStep[] = [
  { id: 'resolve', title: 'Resolve', uses: 'set' },
  { id: 'health', title: 'Health', uses: 'set', needs: ['resolve'] },
  { id: 'settle', title: 'Settle', uses: 'wait', needs: ['resolve'] },
  {
    id: 'target',
    title: 'Pick an agent',
    uses: 'set',
    needs: ['health', 'settle'],
    gate: { message: 'Is it right?' },
  },
  { id: 'deploy', title: 'Deploy', uses: 'fleet.deploy_job@1', if: "inputs.mode == 'go'" },
  { id: 'skip_note', title: 'Note', uses: 'set', needs: ['target'], if: "inputs.mode != 'go'" },
  {
    id: 'done',
    title: 'Done',
    uses: 'approval',
    needs: ['deploy', 'skip_note'],
    compensate: { uses: 'wait', with: { duration: '1s' } },
  },
];

describe('graphOf', () => {
  it('draws a step after the one before it unless it names its needs, so parallel branches fan out', () => {
    const { edges } = graphOf(STEPS, KINDS);
    expect(edges.map((e) => e.id)).toEqual([
      'resolve->health',
      'resolve->settle',
      'health->target',
      'settle->target',
      'target->deploy',
      'target->skip_note',
      'deploy->done',
      'skip_note->done',
    ]);
  });

  it('writes an if once, on the first edge into its step, and marks gates and undos in words', () => {
    const joined = graphOf([
      { id: 'a', title: 'A', uses: 'set', needs: [] },
      { id: 'b', title: 'B', uses: 'set', needs: [] },
      { id: 'c', title: 'C', uses: 'set', needs: ['a', 'b'], if: 'true' },
    ]);
    expect(joined.edges.map((e) => [e.id, e.label])).toEqual([
      ['a->c', 'if: true'],
      ['b->c', null],
    ]);
    const { nodes, edges } = graphOf(STEPS, KINDS);
    expect(edges.find((e) => e.id === 'target->deploy')?.label).toBe("if: inputs.mode == 'go'");
    expect(edges.find((e) => e.id === 'target->skip_note')?.label).toBe("if: inputs.mode != 'go'");
    expect(edges.find((e) => e.id === 'resolve->health')?.label).toBeNull();
    const data = Object.fromEntries(nodes.map((n) => [n.id, n.data]));
    expect(data.target?.gate).toBe('Is it right?');
    expect(data.done?.gate).toBe(''); // the approval kind is always a gate
    expect(data.resolve?.gate).toBeNull();
    expect(data.deploy?.undo).toBe('its kind');
    expect(data.done?.undo).toBe('wait');
    expect(data.health?.undo).toBeNull();
  });

  it('shows the if in the box of a step that has no needs (no edge to carry it)', () => {
    const { nodes, edges } = graphOf([{ id: 'only', title: 'Only', uses: 'set', if: 'true' }]);
    expect(edges).toEqual([]);
    expect(nodes[0]?.data.condition).toBe('true');
  });

  it('lays parallel branches side by side on one layer, below what they need', () => {
    const at = layoutOf(graphOf(STEPS, KINDS));
    const [resolve, health, settle, target] = ['resolve', 'health', 'settle', 'target'].map(
      (id) => at.get(id)!,
    );
    expect(health!.y).toBe(settle!.y);
    expect(health!.x).not.toBe(settle!.x);
    expect(health!.y).toBeGreaterThan(resolve!.y);
    expect(target!.y).toBeGreaterThan(health!.y);
    const [deploy, note] = [at.get('deploy')!, at.get('skip_note')!];
    expect(deploy.y).toBe(note.y);
  });
});

describe('<WorkflowGraph>', () => {
  beforeAll(() => {
    // React Flow observes its pane's size; happy-dom has no layout, so any observer that does nothing will do.
    globalThis.ResizeObserver ??= class {
      observe() {}
      unobserve() {}
      disconnect() {}
    } as unknown as typeof ResizeObserver;
  });
  afterEach(cleanup);

  it('renders a box per step with its marks in text, and the conditions on the edges', async () => {
    render(<WorkflowGraph steps={STEPS} kinds={KINDS} label="Steps of Release" />);
    expect(screen.getByRole('figure', { name: 'Steps of Release' })).toBeTruthy();
    for (const step of STEPS)
      expect(screen.getByTestId(`graph-node-${step.id}`).textContent).toContain(step.title);
    expect(screen.getByTestId('graph-node-target').textContent).toContain('Gate: Is it right?');
    expect(screen.getByTestId('graph-node-done').textContent).toContain('Gate: a person approves');
    expect(screen.getByTestId('graph-node-deploy').textContent).toContain('Undo: its kind');
    expect(screen.getByTestId('graph-node-done').textContent).toContain('Undo: wait');
    expect(screen.getByTestId('graph-node-resolve').textContent).not.toContain('Gate');
    // Edges are drawn without measuring (sizes and handles are given), each if as its edge's label.
    expect(await screen.findByText("if: inputs.mode == 'go'")).toBeTruthy();
    expect(screen.getByText("if: inputs.mode != 'go'")).toBeTruthy();
  });
});
