/**
 * Parameter and compute counts of an IR graph at the size it was traced for (trace again for another size).
 *
 * Conventions (those of the MAI / fast-depth reports): a MAC is one multiply-add of a convolution or matrix product;
 * FLOPs = 2 x MACs + one per output element of every other arithmetic op (activations, element-wise maths, pooling
 * windows count k*k per output, bilinear resize 4 per output); pure data movement (reshape, concat, slice, pad,
 * transpose) is free. Parameters are the constants that hold (or were folded from) model variables: after batch-norm
 * folding, the convs' kernels and biases (the trainable count minus the folded BN gammas/betas).
 */
import { inputList, sizeOf, specOf, type Graph, type GraphNode } from './graph.js';

export interface OpCost { macs: number; flops: number }

export interface GraphCost {
  parameters: number;
  macs: number;
  flops: number;
  /** Per op type: how many nodes and their share. */
  byOp: Record<string, { nodes: number; macs: number; flops: number }>;
}

const FREE = new Set(['Reshape', 'Concat', 'Slice', 'StridedSlice', 'PadV2', 'MirrorPad', 'Transpose', 'Identity', 'Cast', 'Tile', 'Pack', 'Unpack', 'ExpandDims', 'Squeeze']);
const ACT_FLOPS: Record<string, number> = { linear: 0, relu: 1, relu6: 1, elu: 1, sigmoid: 1, leakyrelu: 1, prelu: 1 };

function outSize(g: Graph, n: GraphNode): number {
  return n.outputs.reduce((a, o) => a + sizeOf(specOf(g, o).shape), 0);
}

/** Cost of one node (data-movement ops cost nothing). */
export function nodeCost(g: Graph, n: GraphNode): OpCost {
  const out = outSize(g, n);
  switch (n.op) {
    case 'Conv2D': case 'FusedConv2D': case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2D': {
      const [kh, kw, inC] = specOf(g, n.inputs.filter!).shape as [number, number, number, number];
      const depthwise = n.op.includes('Depthwise');
      const macs = out * kh * kw * (depthwise ? 1 : inC);
      const extra = n.inputs.bias ? out : 0;
      return { macs, flops: 2 * macs + extra + out * (ACT_FLOPS[String(n.attrs.activation ?? 'linear')] ?? 1) };
    }
    case 'BatchMatMul': case 'MatMul': {
      const a = specOf(g, inputList(n)[0]!).shape;
      const k = (n.attrs.transposeA ? a[a.length - 2] : a[a.length - 1]) ?? 1;
      return { macs: out * k, flops: 2 * out * k };
    }
    case 'MaxPool': case 'AvgPool': {
      const k = n.attrs.filterSize as number | number[];
      const [kh, kw] = Array.isArray(k) ? k : [k, k];
      return { macs: 0, flops: out * kh! * kw! };
    }
    case 'ResizeBilinear': return { macs: 0, flops: 4 * out };
    case 'ResizeNearestNeighbor': return { macs: 0, flops: 0 };
    default:
      return { macs: 0, flops: FREE.has(n.op) ? 0 : out };
  }
}

export function countGraph(g: Graph): GraphCost {
  const byOp: GraphCost['byOp'] = {};
  let macs = 0;
  let flops = 0;
  for (const n of g.nodes) {
    const c = nodeCost(g, n);
    macs += c.macs;
    flops += c.flops;
    const e = (byOp[n.op] ??= { nodes: 0, macs: 0, flops: 0 });
    e.nodes++;
    e.macs += c.macs;
    e.flops += c.flops;
  }
  let parameters = 0;
  for (const c of g.consts.values()) if (c.variable !== undefined) parameters += sizeOf(c.shape);
  return { parameters, macs, flops, byOp };
}
