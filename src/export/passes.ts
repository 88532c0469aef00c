/**
 * Graph passes over the traced IR (each pure: graph in, new graph out). `optimiseGraph` runs them in order:
 *
 * 1. lowerCustomKernels: project kernels become standard ops (StereodepthReflectPad -> MirrorPad 'reflect';
 *    FusedBatchNorm with constant statistics -> Multiply + Add). A training-mode kernel is an error.
 * 2. foldConstants: a node whose inputs are all constants is evaluated once (eval-mode batch norm's
 *    rsqrt(var + eps) * gamma, ...), so batch norm becomes per-channel Sub/Multiply/Add on the conv output.
 * 3. dropIdentities: Identity nodes and shape-preserving Reshapes are removed.
 * 4. foldAffineIntoConv: per-channel Add/Sub/Multiply/RealDiv by a constant right after a conv (its only reader) go
 *    into the conv's filter and bias: batch norm folding and bias adds. The conv becomes FusedConv2D /
 *    FusedDepthwiseConv2D (tfjs kernels: inputs x, filter, bias; attr activation).
 * 5. fuseActivations: a Relu / Relu6 / Elu / Sigmoid / LeakyRelu that is a fused conv's only reader moves into it.
 * Every pass keeps the graph runnable by run_graph.ts, which the tests use to check each pass numerically.
 */
import * as tf from '@tensorflow/tfjs-core';

import { REFLECT_PAD } from '../backend/reflect_pad.js';
import { BATCH_NORM_TRAIN } from '../backend/batchnorm_kernels.js';
import {
  cloneGraph, consumerCounts, constTensor, inputList, producers, rewire, specOf,
  type Graph, type GraphConst, type GraphNode,
} from './graph.js';
import { pruneGraph } from './prune.js';

function uniqueConstName(g: Graph, wanted: string): string {
  if (!g.consts.has(wanted) && !g.specs.has(wanted)) return wanted;
  let i = 1;
  while (g.consts.has(`${wanted}_${i}`) || g.specs.has(`${wanted}_${i}`)) i++;
  return `${wanted}_${i}`;
}

/** Adds a float constant under a fresh name derived from `wanted`; returns the name. */
function addConst(g: Graph, wanted: string, values: Float32Array, shape: number[], variable?: string): string {
  const name = uniqueConstName(g, wanted);
  g.consts.set(name, { values, shape, dtype: 'float32', ...(variable ? { variable } : {}) });
  return name;
}

export function lowerCustomKernels(src: Graph): Graph {
  const g = cloneGraph(src);
  const nodes: GraphNode[] = [];
  for (const n of g.nodes) {
    if (n.op === REFLECT_PAD) {
      const p = n.attrs.pad as number;
      nodes.push({ ...n, op: 'MirrorPad', attrs: { paddings: [[0, 0], [p, p], [p, p], [0, 0]], mode: 'reflect' } });
    } else if (n.op === BATCH_NORM_TRAIN) {
      throw new Error(`export: ${n.name} is training-mode batch norm; trace the network with training: false`);
    } else if (n.op === 'ZerosLike' || n.op === 'OnesLike') {
      // the value never depends on the input: a constant of the output's shape
      const spec = specOf(g, n.outputs[0]!);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const fill = n.op === 'OnesLike' ? 1 : 0;
      const values = spec.dtype === 'int32' ? new Int32Array(size).fill(fill) : spec.dtype === 'bool' ? new Uint8Array(size).fill(fill) : new Float32Array(size).fill(fill);
      g.consts.set(n.outputs[0]!, { shape: spec.shape, dtype: spec.dtype, values });
      g.specs.delete(n.outputs[0]!);
    } else if (n.op === 'FusedBatchNorm') {
      nodes.push(...lowerBatchNorm(g, n));
    } else if (n.op.startsWith('Stereodepth')) {
      throw new Error(`export: no standard op for the project kernel ${n.op} (${n.name}); add its lowering to src/export/passes.ts`);
    } else {
      nodes.push(n);
    }
  }
  return { ...g, nodes };
}

/** tf.batchNorm with constant mean/variance/offset/scale -> x * s + (offset - mean * s), s = scale / sqrt(var + eps). */
function lowerBatchNorm(g: Graph, n: GraphNode): GraphNode[] {
  const read = (slot: string): GraphConst | undefined => (n.inputs[slot] ? g.consts.get(n.inputs[slot]) : undefined);
  const mean = read('mean');
  const variance = read('variance');
  if (!mean || !variance || (n.inputs.offset && !read('offset')) || (n.inputs.scale && !read('scale'))) {
    throw new Error(`export: ${n.name} (FusedBatchNorm) has non-constant statistics; trace in eval mode`);
  }
  const eps = (n.attrs.varianceEpsilon as number | undefined) ?? 1e-3;
  const c = mean.values.length;
  const at = (k: GraphConst | undefined, i: number, def: number) => (k ? k.values[k.values.length === 1 ? 0 : i]! : def);
  const s = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    s[i] = at(read('scale'), i, 1) / Math.sqrt(at(variance, i, 1) + eps);
    shift[i] = at(read('offset'), i, 0) - at(mean, i, 0) * s[i]!;
  }
  const base = n.inputs.mean!.replace(/running_mean$|mean$/, '') || n.name;
  const sName = addConst(g, `${base}bn_scale`, s, [c], mean.variable);
  const bName = addConst(g, `${base}bn_shift`, shift, [c], mean.variable);
  const mid = `${n.name}/scaled`;
  g.specs.set(mid, specOf(g, n.outputs[0]!));
  return [
    { name: `${n.name}/mul`, op: 'Multiply', inputs: { a: n.inputs.x!, b: sName }, outputs: [mid], attrs: {} },
    { name: n.name, op: 'Add', inputs: { a: mid, b: bName }, outputs: n.outputs, attrs: {} },
  ];
}

/** Evaluates nodes whose inputs are all constants (on the active backend, the kernels the trace recorded). */
export function foldConstants(src: Graph): Graph {
  const g = cloneGraph(src);
  const nodes: GraphNode[] = [];
  for (const n of g.nodes) {
    const ins = Object.entries(n.inputs);
    if (ins.length === 0 || !ins.every(([, t]) => g.consts.has(t))) {
      nodes.push(n);
      continue;
    }
    const variable = ins.map(([, t]) => g.consts.get(t)!.variable).find((v) => v !== undefined);
    const values = tf.tidy(() => {
      const inputs: Record<string, tf.Tensor> = {};
      for (const [slot, t] of ins) inputs[slot] = constTensor(tf, g.consts.get(t)!);
      const out = tf.engine().runKernel(n.op, inputs, n.attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: [...t.shape], dtype: t.dtype, data: t.dataSync() }));
    });
    n.outputs.forEach((name, i) => {
      const v = values[i]!;
      if (v.dtype !== 'float32' && v.dtype !== 'int32' && v.dtype !== 'bool') throw new Error(`export: folding ${n.name} gave dtype ${v.dtype}`);
      g.consts.set(name, {
        shape: v.shape, dtype: v.dtype,
        values: v.dtype === 'int32' ? Int32Array.from(v.data as Int32Array) : v.dtype === 'bool' ? Uint8Array.from(v.data as Uint8Array) : Float32Array.from(v.data as Float32Array),
        ...(variable ? { variable } : {}),
      });
      g.specs.delete(name);
    });
  }
  return pruneGraph({ ...g, nodes });
}

export function dropIdentities(src: Graph): Graph {
  const g = cloneGraph(src);
  const keep: GraphNode[] = [];
  for (const n of g.nodes) {
    const x = inputList(n)[0];
    const noOp = n.op === 'Identity'
      || (n.op === 'Reshape' && x !== undefined && specOf(g, x).shape.join(',') === specOf(g, n.outputs[0]!).shape.join(','));
    // an output that is the graph input itself cannot be expressed; keep such a node
    if (noOp && x !== undefined && !(g.outputs.includes(n.outputs[0]!) && x === g.input.name)) rewire(g, n.outputs[0]!, x);
    else keep.push(n);
  }
  return pruneGraph({ ...g, nodes: keep });
}

const CONV_OPS: Record<string, string> = {
  Conv2D: 'FusedConv2D', FusedConv2D: 'FusedConv2D',
  DepthwiseConv2dNative: 'FusedDepthwiseConv2D', FusedDepthwiseConv2D: 'FusedDepthwiseConv2D',
};

/** The constant as one value per channel (scalar or [.., C] with all other dims 1), or undefined. */
function perChannel(c: GraphConst | undefined, channels: number): Float32Array | undefined {
  if (!c || c.dtype !== 'float32') return undefined;
  if (c.values.length === 1) return new Float32Array(channels).fill(c.values[0]!);
  const last = c.shape[c.shape.length - 1];
  if (c.values.length === channels && last === channels) return Float32Array.from(c.values);
  return undefined;
}

/** Per-channel scale/shift an element-wise op applies to the conv output `y` (its other input constant). */
function affineOf(g: Graph, op: GraphNode, y: string, channels: number): { scale: Float32Array; shift: Float32Array } | undefined {
  if (!['Add', 'Sub', 'Multiply', 'RealDiv'].includes(op.op)) return undefined;
  const [a, b] = [op.inputs.a, op.inputs.b];
  const other = a === y ? b : a;
  const k = perChannel(other ? g.consts.get(other) : undefined, channels);
  if (!k || (a !== y && b !== y) || a === b) return undefined;
  if ((op.op === 'Sub' || op.op === 'RealDiv') && a !== y) return undefined; // c - y, c / y are not affine in y
  if (specOf(g, op.outputs[0]!).shape.join(',') !== specOf(g, y).shape.join(',')) return undefined; // broadcast grows y
  const ones = new Float32Array(channels).fill(1);
  const zeros = new Float32Array(channels);
  switch (op.op) {
    case 'Add': return { scale: ones, shift: k };
    case 'Sub': return { scale: ones, shift: k.map((v) => -v) };
    case 'Multiply': return { scale: k, shift: zeros };
    default: return { scale: k.map((v) => 1 / v), shift: zeros };
  }
}

export function foldAffineIntoConv(src: Graph): Graph {
  const g = cloneGraph(src);
  const readers = new Map<string, GraphNode[]>();
  for (const n of g.nodes) for (const t of Object.values(n.inputs)) readers.set(t, [...(readers.get(t) ?? []), n]);
  const dropped = new Set<string>();
  const created = new Set<string>();
  for (const conv of g.nodes) {
    const fused = CONV_OPS[conv.op];
    if (!fused || dropped.has(conv.name)) continue;
    const y = conv.outputs[0]!;
    const channels = specOf(g, y).shape[3]!;
    for (;;) {
      const next = readers.get(y);
      const filter = g.consts.get(conv.inputs.filter!);
      if (next?.length !== 1 || g.outputs.includes(y) || !filter || (conv.attrs.activation ?? 'linear') !== 'linear') break;
      const affine = affineOf(g, next[0]!, y, channels);
      if (!affine) break;
      const oldBias = conv.inputs.bias ? g.consts.get(conv.inputs.bias) : undefined;
      const w = Float32Array.from(filter.values as Float32Array, (v, i) => v * affine.scale[i % channels]!);
      const bias = new Float32Array(channels);
      for (let c = 0; c < channels; c++) bias[c] = (oldBias ? oldBias.values[c]! : 0) * affine.scale[c]! + affine.shift[c]!;
      const layer = (filter.variable ?? conv.inputs.filter!).replace(/\/kernel$|\/filter$|\/folded_kernel(_\d+)?$/, '');
      conv.op = fused;
      for (const t of [conv.inputs.filter, conv.inputs.bias]) if (t && created.has(t)) g.consts.delete(t); // our own earlier fold
      conv.inputs = { x: conv.inputs.x!, filter: addConst(g, `${layer}/folded_kernel`, w, filter.shape, filter.variable),
        bias: addConst(g, `${layer}/folded_bias`, bias, [channels], filter.variable) };
      created.add(conv.inputs.filter!).add(conv.inputs.bias!);
      conv.attrs = { ...conv.attrs, activation: 'linear' };
      const out = next[0]!.outputs[0]!;
      dropped.add(next[0]!.name);
      for (const r of readers.get(out) ?? []) for (const k of Object.keys(r.inputs)) if (r.inputs[k] === out) r.inputs[k] = y;
      readers.set(y, readers.get(out) ?? []);
      g.outputs = g.outputs.map((o) => (o === out ? y : o));
    }
  }
  return pruneGraph({ ...g, nodes: g.nodes.filter((n) => !dropped.has(n.name)) });
}

const FUSABLE: Record<string, string> = { Relu: 'relu', Relu6: 'relu6', Elu: 'elu', Sigmoid: 'sigmoid', LeakyRelu: 'leakyrelu' };

export function fuseActivations(src: Graph): Graph {
  const g = cloneGraph(src);
  const readers = consumerCounts(g);
  const byOutput = producers(g);
  const drop = new Set<string>();
  for (const act of g.nodes) {
    const x = act.inputs.x;
    const conv = x ? byOutput.get(x) : undefined;
    if (!FUSABLE[act.op] || !conv || !conv.op.startsWith('Fused') || readers.get(x!) !== 1 || g.outputs.includes(x!)) continue;
    if ((conv.attrs.activation ?? 'linear') !== 'linear') continue;
    conv.attrs.activation = FUSABLE[act.op];
    if (act.op === 'LeakyRelu') conv.attrs.leakyreluAlpha = act.attrs.alpha;
    rewire(g, act.outputs[0]!, x!);
    drop.add(act.name);
  }
  return pruneGraph({ ...g, nodes: g.nodes.filter((n) => !drop.has(n.name)) });
}

export interface OptimiseOptions {
  /** Fold batch norm and bias adds into convs (default true). */
  foldAffine?: boolean;
  /** Fuse activations into convs (default true). */
  fuseActivations?: boolean;
}

/** The standard pipeline: lower, fold constants, drop identities, fold affines into convs, fuse activations. */
export function optimiseGraph(g: Graph, opts: OptimiseOptions = {}): Graph {
  let out = dropIdentities(foldConstants(lowerCustomKernels(g)));
  if (opts.foldAffine ?? true) out = foldAffineIntoConv(out);
  if (opts.fuseActivations ?? true) out = fuseActivations(out);
  return out;
}
