import type { StepKindDto } from '@deploybot/shared';
import {
  Background,
  BaseEdge,
  Controls,
  type Edge,
  EdgeLabelRenderer,
  type EdgeProps,
  getSmoothStepPath,
  Handle,
  MarkerType,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { layoutOf, NODE_HEIGHT, NODE_WIDTH } from './graph-layout';
import { type GraphStep, graphOf, type StepNodeData } from './graph-model';

type StepNode = Node<StepNodeData, 'step'>;

/** One step: title, kind, and what makes it special in words (colour only repeats them). */
function StepBox({ data }: NodeProps<StepNode>) {
  const marks = [
    data.gate !== null && {
      key: 'gate',
      text: data.gate ? `Gate: ${data.gate}` : 'Gate: a person approves',
      tone: 'gate',
    },
    data.undo !== null && { key: 'undo', text: `Undo: ${data.undo}`, tone: 'undo' },
    data.condition !== null && { key: 'if', text: `if: ${data.condition}`, tone: 'if' },
    data.continueOnError && { key: 'coe', text: 'continues on error', tone: 'if' },
  ].filter((m): m is { key: string; text: string; tone: string } => !!m);
  const border = data.gate !== null ? 'border-amber-600 border-2' : 'border-slate-400';
  return (
    <div
      className={`flex flex-col gap-0.5 overflow-hidden rounded-md border bg-white px-2 py-1.5 text-left text-slate-900 dark:bg-slate-900 dark:text-slate-100 ${border}`}
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT }}
      data-testid={`graph-node-${data.id}`}
      title={`${data.title} (${data.uses})`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <span className="truncate text-sm font-medium">{data.title}</span>
      <span className="truncate font-mono text-xs text-slate-700 dark:text-slate-300">
        {data.id} · {data.uses}
      </span>
      <span className="flex flex-wrap gap-1 overflow-hidden">
        {marks.map((m) => (
          <span
            key={m.key}
            className={`max-w-full truncate rounded px-1 text-xs ${
              m.tone === 'gate'
                ? 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100'
                : m.tone === 'undo'
                  ? 'bg-violet-100 text-violet-900 dark:bg-violet-900 dark:text-violet-100'
                  : 'bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200'
            }`}
            data-testid={`graph-mark-${m.key}`}
          >
            {m.text}
          </span>
        ))}
      </span>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

/** A need; its step's `if` sits just above the step, where the edges into it meet (not midway, where they cross). */
function NeedEdge({
  id,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  label,
  markerEnd,
}: EdgeProps) {
  const [path] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} />
      {label && (
        <EdgeLabelRenderer>
          <div
            className="nodrag nopan absolute max-w-60 truncate rounded border border-slate-300 bg-white px-1 font-mono text-xs text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
            style={{ transform: `translate(-50%, -100%) translate(${targetX}px, ${targetY - 10}px)` }}
            title={String(label)}
            data-testid="graph-condition"
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

const nodeTypes = { step: StepBox };
const edgeTypes = { need: NeedEdge };

/** Sizes and handle places given up front: the graph draws without measuring (and so in tests too). */
const HANDLES = [
  { type: 'target' as const, position: Position.Top, x: NODE_WIDTH / 2 - 3, y: -3, width: 6, height: 6 },
  {
    type: 'source' as const,
    position: Position.Bottom,
    x: NODE_WIDTH / 2 - 3,
    y: NODE_HEIGHT - 3,
    width: 6,
    height: 6,
  },
];

/**
 * A workflow's steps as a graph laid out by dependency: steps that may run at once side by side, an `if` on the
 * edges into its step, gates and undos written on the box. Read-only; pan and zoom with the controls.
 */
export default function WorkflowGraph({
  steps,
  kinds,
  label,
}: {
  steps: readonly GraphStep[];
  kinds: readonly StepKindDto[];
  label: string;
}) {
  const { nodes, edges } = useMemo(() => {
    const model = graphOf(steps, kinds);
    const at = layoutOf(model);
    const nodes: StepNode[] = model.nodes.map((n) => ({
      id: n.id,
      type: 'step',
      data: n.data,
      position: { x: at.get(n.id)?.x ?? 0, y: at.get(n.id)?.y ?? 0 },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      handles: HANDLES,
      draggable: false,
      connectable: false,
      ariaLabel: [
        `Step ${n.data.title} (${n.data.uses})`,
        n.data.gate !== null ? 'gate' : '',
        n.data.undo !== null ? `undo: ${n.data.undo}` : '',
      ]
        .filter(Boolean)
        .join(', '),
    }));
    const edges: Edge[] = model.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      type: 'need',
      label: e.label ?? undefined,
      markerEnd: { type: MarkerType.ArrowClosed },
    }));
    return { nodes, edges };
  }, [steps, kinds]);

  return (
    <figure
      className="h-[28rem] w-full rounded-md border border-slate-200 dark:border-slate-700"
      aria-label={label}
      data-testid="workflow-graph"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        minZoom={0.2}
        colorMode={document.documentElement.classList.contains('dark') ? 'dark' : 'light'}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </figure>
  );
}
