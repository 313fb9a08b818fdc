import dagre from '@dagrejs/dagre';
import type { GraphModel } from './graph-model';

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 84;

export interface Positioned {
  id: string;
  x: number;
  y: number;
}

/**
 * Top-to-bottom layers by dependency (dagre): steps that can run at the same time share a layer, so parallel
 * branches sit side by side. Positions are top-left corners, as React Flow places nodes.
 */
export function layoutOf(model: GraphModel): Map<string, Positioned> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 80, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of model.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  // Layers are far enough apart for a condition's label above the step it guards.
  for (const edge of model.edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  const out = new Map<string, Positioned>();
  for (const node of model.nodes) {
    const p = g.node(node.id);
    out.set(node.id, { id: node.id, x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 });
  }
  return out;
}
