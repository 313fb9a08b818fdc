import type { StepDoc, StepKindDto } from '@deploybot/shared';

/** What one step's box says: its title and kind, and in words whether it is a gate, conditional, undoable. */
export interface StepNodeData {
  [key: string]: unknown;
  id: string;
  title: string;
  uses: string;
  /** The gate's message, `''` for a gate without one; null when no person approves this step. */
  gate: string | null;
  /** How the step is undone on rollback (`fleet.switch_release`, or `its kind`); null when it is not. */
  undo: string | null;
  /** The step's `if`, shown in the box when no edge carries it (a step with no needs). */
  condition: string | null;
  continueOnError: boolean;
}

export interface GraphNode {
  id: string;
  data: StepNodeData;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** `if: <expression>` on the first edge into a conditional step (drawn where its edges meet). */
  label: string | null;
}

export interface GraphModel {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The steps of a document as the graph draws them; `Pick` so a document as written or as compiled both fit. */
export type GraphStep = Pick<StepDoc, 'id' | 'title' | 'uses'> &
  Partial<Pick<StepDoc, 'needs' | 'if' | 'gate' | 'compensate' | 'continue_on_error'>>;

const kindName = (uses: string) => uses.split('@')[0] ?? uses;

/**
 * Nodes and edges of a workflow's steps, with the language's own rule for order: a step needs the step listed
 * before it unless it declares `needs`. Gates are steps whose document says `gate` or whose kind always asks
 * a person (`approval`); the undo is the step's own `compensate`, else its kind's.
 */
export function graphOf(steps: readonly GraphStep[], kinds: readonly StepKindDto[] = []): GraphModel {
  const byName = new Map(kinds.map((k) => [k.name, k]));
  const ids = new Set(steps.map((s) => s.id));
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  steps.forEach((step, i) => {
    const kind = byName.get(kindName(step.uses));
    const needs = step.needs ?? (i > 0 ? [steps[i - 1]!.id] : []);
    const gate =
      step.gate === true || kind?.gate === 'always'
        ? ''
        : typeof step.gate === 'object' && step.gate !== null
          ? (step.gate.message ?? '')
          : null;
    const undo =
      step.compensate === false
        ? null
        : typeof step.compensate === 'object' && step.compensate !== null
          ? step.compensate.uses
          : kind?.compensable
            ? 'its kind'
            : null;
    const needed = needs.filter((n) => ids.has(n));
    nodes.push({
      id: step.id,
      data: {
        id: step.id,
        title: step.title,
        uses: step.uses,
        gate,
        undo,
        condition: step.if && needed.length === 0 ? step.if : null,
        continueOnError: step.continue_on_error ?? false,
      },
    });
    needed.forEach((need, n) => {
      edges.push({
        id: `${need}->${step.id}`,
        source: need,
        target: step.id,
        // Once per step, where its edges meet: several needs would otherwise repeat it side by side.
        label: step.if && n === 0 ? `if: ${step.if}` : null,
      });
    });
  });
  return { nodes, edges };
}
