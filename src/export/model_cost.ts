/**
 * Parameter and compute counts of a depth network at one input size, from the traced deployment graph (what an
 * exporter would write: eval mode, batch norm folded, the full-resolution disparity only, any in-model resize
 * included). `stereodepth info --model` and `bench --forward` print these.
 */
import type { DepthNet } from '../models/types.js';
import { depthNetGraph, type Size } from './depth_graph.js';
import { countGraph, type GraphCost } from './flops.js';

export interface ModelCost {
  model: string;
  /** The input (and output) size. */
  size: Size;
  /** The size the network runs at inside (mai2021: 128x160), or the input size. */
  internalSize: Size;
  /** Trainable scalars (torch parameters() count: every disparity head, BN gamma/beta). */
  trainableParameters: number;
  /** Constants of the deployed graph (BN folded into the convs, only the scale-0 head). */
  graphParameters: number;
  /** Multiply-adds of convolutions and matrix products (the GMACs of fast-depth's README, the MAdds of MobileNet papers). */
  macs: number;
  /** 2 x MACs + one per output element of every other arithmetic op (src/export/flops.ts). */
  flops: number;
  byOp: GraphCost['byOp'];
}

/** Traces `net` once at batch 1 and counts. The size must be multiples of 32 unless the net resizes inside. */
export function modelCost(net: DepthNet, size: Size): ModelCost {
  const internal = net.internalSize ? { height: net.internalSize[0], width: net.internalSize[1] } : size;
  const graph = depthNetGraph(net, { net: size });
  const cost = countGraph(graph);
  return {
    model: net.name, size, internalSize: internal, trainableParameters: net.parameterCount(),
    graphParameters: cost.parameters, macs: cost.macs, flops: cost.flops, byOp: cost.byOp,
  };
}

/** One line: `mai2021 480x640 (128x160 inside): 3.05 M params (2.99 M deployed), 0.101 GMACs, 214 MFLOPs`. */
export function formatModelCost(c: ModelCost): string {
  const inside = c.internalSize.height !== c.size.height || c.internalSize.width !== c.size.width
    ? ` (${c.internalSize.height}x${c.internalSize.width} inside)` : '';
  return `${c.model} ${c.size.height}x${c.size.width}${inside}: ${(c.trainableParameters / 1e6).toFixed(3)} M trainable parameters ` +
    `(${(c.graphParameters / 1e6).toFixed(3)} M in the deployed graph, BN folded), ${(c.macs / 1e9).toFixed(3)} GMACs, ` +
    `${(c.flops / 1e6).toFixed(1)} MFLOPs`;
}
