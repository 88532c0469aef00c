/**
 * Kernel-graph capture: runs a tfjs function once and records every top-level `tf.engine().runKernel` call as a node
 * of the IR in graph.ts. The networks are never re-described for export: whatever ops the model code runs (ResNet,
 * MobileNet, resize wrap-ups, output heads) is the graph.
 *
 * - Kernels that run other kernels (nested runKernel calls) are recorded once, at the top level (depth counter).
 * - A kernel input that no recorded kernel produced is the traced input, a model variable (named by `variables`) or a
 *   constant created by the model code (scalars such as 0.45); the latter two are snapshotted as graph constants.
 * - Only the nodes the returned tensors depend on are kept.
 * Run it in eval mode (the caller's function decides); training-mode kernels (batch statistics) are not exportable.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Graph, GraphConst, GraphDtype, GraphNode, TensorSpec } from './graph.js';
import { pruneGraph } from './prune.js';

export interface TraceOptions {
  /** Model variables by name: their tensor ids become named constants (`encoder/conv1/kernel`). */
  variables?: Record<string, tf.Variable>;
  /** Name of the graph input. Default 'image'. */
  inputName?: string;
  /** Names of the outputs, one per returned tensor. Default output_0, output_1, ... */
  outputNames?: string[];
  /** Values for the traced input (else a deterministic ramp in [0, 1]). Not recorded: only shapes matter. */
  sample?: tf.Tensor;
}

type RunKernel = (name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[];

function graphDtype(t: tf.Tensor, where: string): GraphDtype {
  if (t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool') return t.dtype;
  throw new Error(`trace: ${where} has dtype ${t.dtype}; only float32, int32 and bool tensors are exportable`);
}

/** Deterministic input in [0, 1] (a ramp, so no value is special). */
function rampInput(shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 999;
  return tf.tensor(data, shape);
}

/** Records the kernel graph of `fn(input)` for an input of `inputShape` (NHWC float32). Leak-free. */
export function traceGraph(fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[], inputShape: number[], opts: TraceOptions = {}): Graph {
  const inputName = opts.inputName ?? 'image';
  const varNames = new Map<number, string>();
  for (const [name, v] of Object.entries(opts.variables ?? {})) varNames.set(v.id, name);
  const names = new Map<number, string>();
  const specs = new Map<string, TensorSpec>();
  const consts = new Map<string, GraphConst>();
  const nodes: GraphNode[] = [];
  const used = new Set<string>();

  const nameOf = (t: tf.Tensor, where: string): string => {
    const known = names.get(t.id);
    if (known !== undefined) return known;
    const variable = varNames.get(t.id);
    const name = variable ?? `const_${t.id}`;
    const dtype = graphDtype(t, `constant input of ${where}`);
    const data = t.dataSync();
    const values = dtype === 'int32' ? Int32Array.from(data as Int32Array) : dtype === 'bool' ? Uint8Array.from(data as Uint8Array) : Float32Array.from(data as Float32Array);
    consts.set(name, { shape: [...t.shape], dtype, values, ...(variable ? { variable } : {}) });
    names.set(t.id, name);
    return name;
  };
  const uniqueNodeName = (op: string): string => {
    let i = nodes.length;
    while (used.has(`${op}_${i}`)) i++;
    used.add(`${op}_${i}`);
    return `${op}_${i}`;
  };

  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const original = engine.runKernel;
  let depth = 0;
  const recording: RunKernel = function (this: unknown, kernel, inputs, attrs) {
    if (depth > 0) return original.call(this, kernel, inputs, attrs);
    const nodeName = uniqueNodeName(kernel);
    const inputNames: Record<string, string> = {};
    for (const [slot, t] of Object.entries(inputs)) {
      if (t != null) inputNames[slot] = nameOf(t as tf.Tensor, `${kernel} (${nodeName}) input '${slot}'`);
    }
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try { out = original.call(this, kernel, inputs, attrs); } finally { depth--; }
    const outs = Array.isArray(out) ? out : [out];
    const outputs = outs.map((t, i) => {
      const name = outs.length === 1 ? `${nodeName}` : `${nodeName}:${i}`;
      names.set(t.id, name);
      specs.set(name, { shape: [...t.shape], dtype: graphDtype(t, `output ${i} of ${kernel}`) });
      return name;
    });
    nodes.push({ name: nodeName, op: kernel, inputs: inputNames, outputs, attrs: structuredClone({ ...(attrs ?? {}) }) as Record<string, unknown> });
    return out;
  };

  const x = opts.sample ? tf.clone(opts.sample) : rampInput(inputShape);
  if (x.shape.join(',') !== inputShape.join(',')) {
    x.dispose();
    throw new Error(`trace: sample input has shape [${opts.sample!.shape}], expected [${inputShape}]`);
  }
  names.set(x.id, inputName);
  const input = { name: inputName, shape: [...inputShape], dtype: graphDtype(x, 'the input') };
  specs.set(inputName, { shape: input.shape, dtype: input.dtype });
  let outputs: string[] = [];
  engine.runKernel = recording;
  try {
    tf.tidy(() => {
      const out = fn(x);
      outputs = (Array.isArray(out) ? out : [out]).map((t) => {
        const n = names.get(t.id);
        if (n === undefined) throw new Error('trace: the function returned a tensor no recorded kernel produced (return a computed tensor, not the input or a constant)');
        return n;
      });
    });
  } finally {
    engine.runKernel = original;
    x.dispose();
  }
  const outputNames = opts.outputNames ?? outputs.map((_, i) => `output_${i}`);
  if (outputNames.length !== outputs.length) throw new Error(`trace: ${outputs.length} outputs but ${outputNames.length} output names`);
  return pruneGraph({ input, outputs, outputNames, nodes, consts, specs });
}
