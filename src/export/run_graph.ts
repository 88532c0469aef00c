/**
 * Runs an IR graph with the active tfjs backend's kernels (the ops are tfjs kernel names). Used to check the passes
 * numerically against the traced model, and by calibration to observe every intermediate tensor's value range.
 */
import * as tf from '@tensorflow/tfjs-core';

import { constTensor, inputList, type Graph } from './graph.js';

export interface RunGraphOptions {
  /** Called with every node output (do not keep or dispose the tensor). */
  onTensor?: (name: string, t: tf.Tensor) => void;
}

/** Outputs of `g` for input `x`, in g.outputs order; leak-free (the caller owns the returned tensors). */
export function runGraph(g: Graph, x: tf.Tensor, opts: RunGraphOptions = {}): tf.Tensor[] {
  if (x.shape.join(',') !== g.input.shape.join(',')) {
    throw new Error(`runGraph: input has shape [${x.shape}], the graph was traced for [${g.input.shape}]`);
  }
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[g.input.name, x]]);
    const get = (name: string): tf.Tensor => {
      const v = values.get(name);
      if (v) return v;
      const c = g.consts.get(name);
      if (!c) throw new Error(`runGraph: tensor "${name}" is read before it is computed`);
      const t = constTensor(tf, c);
      values.set(name, t);
      return t;
    };
    for (const n of g.nodes) {
      const keys = Object.keys(n.inputs);
      const inputs: Record<string, tf.Tensor> | tf.Tensor[] = keys.every((k) => /^\d+$/.test(k))
        ? inputList(n).map(get)
        : Object.fromEntries(keys.map((k) => [k, get(n.inputs[k]!)]));
      const out = tf.engine().runKernel(n.op, inputs as unknown as tf.NamedTensorMap, n.attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
      (Array.isArray(out) ? out : [out]).forEach((t, i) => {
        values.set(n.outputs[i]!, t);
        opts.onTensor?.(n.outputs[i]!, t);
      });
    }
    return g.outputs.map((o) => get(o));
  });
}
