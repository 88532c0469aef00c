/**
 * Reading conv / pool nodes of the IR the same way in every exporter: tfjs attrs (number or pair strides/dilations,
 * 'same' | 'valid' | number | explicit [[t,b],[l,r]] padding) as plain numbers, and which layer a conv belongs to
 * (for per-layer precision choices and the output head that stays float).
 */
import { producers, type Graph, type GraphNode } from './graph.js';

export type Padding = { kind: 'same' } | { kind: 'valid' } | { kind: 'explicit'; top: number; bottom: number; left: number; right: number };

export interface WindowInfo {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
}

function pair(v: unknown, def: number): [number, number] {
  if (v === undefined || v === null) return [def, def];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return a.length === 4 ? [a[1]!, a[2]!] : [a[0]!, a[1] ?? a[0]!];
}

function padding(n: GraphNode): Padding {
  const p = n.attrs.pad;
  if (p === 'same') return { kind: 'same' };
  if (p === 'valid' || p === 0) return { kind: 'valid' };
  if (typeof p === 'number') {
    if (n.attrs.dimRoundingMode !== undefined && n.attrs.dimRoundingMode !== 'floor') {
      throw new Error(`export: ${n.name} (${n.op}) pads ${p} with dimRoundingMode '${String(n.attrs.dimRoundingMode)}'; only 'floor' has a standard equivalent`);
    }
    return { kind: 'explicit', top: p, bottom: p, left: p, right: p };
  }
  if (Array.isArray(p)) {
    const rows = p as number[][];
    if (rows.length === 4 && (rows[0]![0] || rows[0]![1] || rows[3]![0] || rows[3]![1])) throw new Error(`export: ${n.name} pads batch or channels`);
    const [h, w] = rows.length === 4 ? [rows[1]!, rows[2]!] : [rows[0]!, rows[1]!];
    return { kind: 'explicit', top: h[0]!, bottom: h[1]!, left: w[0]!, right: w[1]! };
  }
  throw new Error(`export: ${n.name} (${n.op}) has padding ${JSON.stringify(p)}; expected 'same', 'valid', a number or [[t,b],[l,r]]`);
}

/** Window geometry of a conv (kernel from the filter constant) or pool (filterSize attr). */
export function windowInfo(g: Graph, n: GraphNode): WindowInfo {
  const filter = n.inputs.filter ? g.consts.get(n.inputs.filter) : undefined;
  const kernel: [number, number] = filter ? [filter.shape[0]!, filter.shape[1]!] : pair(n.attrs.filterSize, 1);
  const dataFormat = n.attrs.dataFormat;
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') throw new Error(`export: ${n.name} has data format ${String(dataFormat)}; expected NHWC`);
  return { kernel, strides: pair(n.attrs.strides, 1), dilations: pair(n.attrs.dilations, 1), padding: padding(n) };
}

export const CONV_NODE_OPS = new Set(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);

/** The model layer a conv node computes: its filter's variable name without `/kernel` (else the node name). */
export function convLayer(g: Graph, n: GraphNode): string {
  const f = n.inputs.filter ? g.consts.get(n.inputs.filter) : undefined;
  return (f?.variable ?? n.name).replace(/\/(kernel|filter|depthwise_kernel)$/, '');
}

/** Layers of the convs that feed the outputs with no other conv in between: the output head. */
export function outputHeadLayers(g: Graph): string[] {
  const byOutput = producers(g);
  const heads = new Set<string>();
  const seen = new Set<string>();
  const stack = [...g.outputs];
  while (stack.length) {
    const node = byOutput.get(stack.pop()!);
    if (!node || seen.has(node.name)) continue;
    seen.add(node.name);
    if (CONV_NODE_OPS.has(node.op)) heads.add(convLayer(g, node));
    else stack.push(...Object.values(node.inputs));
  }
  return [...heads];
}

/** True when the conv belongs to one of `layers` (exact name or a prefix followed by '/'). */
export function inLayers(layer: string, layers: readonly string[]): boolean {
  return layers.some((l) => layer === l || layer.startsWith(l.endsWith('/') ? l : `${l}/`));
}
