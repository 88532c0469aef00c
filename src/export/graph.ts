/**
 * The kernel-graph IR of one eval-mode forward pass (what src/export/trace.ts records, what the exporters read).
 *
 * Ops are tfjs kernel names (`Conv2D`, `Add`, `Multiply`, `Concat`, `MirrorPad`, ...) with their tfjs attrs, so the
 * graph means exactly what tfjs computed. Tensors are named strings; every tensor has a recorded shape and dtype.
 * Constants (model variables by their hierarchical name, scalars, folded values) hold their values. Layout is NHWC.
 */
import type * as tf from '@tensorflow/tfjs-core';

export type GraphDtype = 'float32' | 'int32' | 'bool';

export interface TensorSpec { shape: number[]; dtype: GraphDtype }

export interface GraphConst extends TensorSpec {
  /** bool constants hold 0/1 bytes. */
  values: Float32Array | Int32Array | Uint8Array;
  /** The model variable it came from (or that was folded into it), for parameter counts and per-layer choices. */
  variable?: string;
}

export interface GraphNode {
  /** Unique node name (the exporters name their nodes after it). */
  name: string;
  /** tfjs kernel name, or one of the IR-only ops documented in passes.ts (`Conv2D` gains `bias`/`activation`). */
  op: string;
  /** Kernel input slot -> tensor name; array inputs (Concat) use slots '0', '1', ... in order. */
  inputs: Record<string, string>;
  outputs: string[];
  attrs: Record<string, unknown>;
}

export interface Graph {
  input: { name: string } & TensorSpec;
  /** Output tensor names (the exporters name the model outputs after `outputNames`). */
  outputs: string[];
  outputNames: string[];
  nodes: GraphNode[];
  consts: Map<string, GraphConst>;
  /** Shape and dtype of every non-constant tensor (input and node outputs). */
  specs: Map<string, TensorSpec>;
}

/** Array inputs (Concat) in slot order; named inputs by slot name. */
export function inputList(node: GraphNode): string[] {
  const keys = Object.keys(node.inputs);
  if (keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => Number(a) - Number(b)).map((k) => node.inputs[k]!);
  return keys.map((k) => node.inputs[k]!);
}

/** Shape/dtype of a tensor, constant or not; throws naming the tensor when the graph does not know it. */
export function specOf(g: Graph, name: string): TensorSpec {
  const c = g.consts.get(name);
  if (c) return { shape: c.shape, dtype: c.dtype };
  const s = g.specs.get(name);
  if (!s) throw new Error(`graph: tensor "${name}" has no recorded shape (not produced by any node, not a constant)`);
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** How many nodes read each tensor (graph outputs count as one reader). */
export function consumerCounts(g: Graph): Map<string, number> {
  const n = new Map<string, number>();
  for (const node of g.nodes) for (const t of Object.values(node.inputs)) n.set(t, (n.get(t) ?? 0) + 1);
  for (const o of g.outputs) n.set(o, (n.get(o) ?? 0) + 1);
  return n;
}

/** The node producing each tensor. */
export function producers(g: Graph): Map<string, GraphNode> {
  const p = new Map<string, GraphNode>();
  for (const node of g.nodes) for (const o of node.outputs) p.set(o, node);
  return p;
}

/** Replaces every read of tensor `from` by `to` (nodes and graph outputs). */
export function rewire(g: Graph, from: string, to: string): void {
  for (const node of g.nodes) for (const k of Object.keys(node.inputs)) if (node.inputs[k] === from) node.inputs[k] = to;
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** A deep-enough copy for passes that rewrite nodes (const values are shared: passes replace, never mutate them). */
export function cloneGraph(g: Graph): Graph {
  return {
    input: { ...g.input, shape: [...g.input.shape] },
    outputs: [...g.outputs],
    outputNames: [...g.outputNames],
    nodes: g.nodes.map((n) => ({ ...n, inputs: { ...n.inputs }, outputs: [...n.outputs], attrs: { ...n.attrs } })),
    consts: new Map(g.consts),
    specs: new Map(g.specs),
  };
}

/** Constant as a tfjs tensor (caller disposes). */
export function constTensor(tfm: typeof tf, c: GraphConst): tf.Tensor {
  return tfm.tensor(c.values, c.shape, c.dtype);
}

/** One line per node, for debugging and `info`: `name = Op(inputs) -> [shape]`. */
export function describeGraph(g: Graph): string {
  const lines = [`input ${g.input.name} [${g.input.shape}] ${g.input.dtype}`];
  for (const n of g.nodes) {
    const ins = Object.values(n.inputs).map((t) => (g.consts.has(t) ? `${t}[${g.consts.get(t)!.shape}]` : t));
    lines.push(`${n.outputs.join(',')} = ${n.op}(${ins.join(', ')}) -> [${specOf(g, n.outputs[0]!).shape}]`);
  }
  lines.push(`outputs ${g.outputs.map((o, i) => `${g.outputNames[i]}=${o}`).join(', ')}`);
  return lines.join('\n');
}
