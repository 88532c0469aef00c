/**
 * One optimisation step, shared by the trainer and `stereodepth bench`: gradients of a loss over the trainable
 * variables, optionally accumulated over micro-batches (the wasm32 heap is capped at 4 GB, so 192x640 batch 4 is
 * run as smaller slices whose gradients are averaged), then one Adam update. Holds no loss maths: the caller's
 * `lossOf(slice)` builds the loss for a micro-batch.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Adam } from './optimizer.js';
import { clipByGlobalNorm } from './optimizer.js';
import { NonFiniteGradientError, nonFiniteNames } from './finite_guard.js';

export interface StepResult {
  /** Mean loss over the micro-batches. */
  loss: number;
  /** Named loss parts, averaged over the micro-batches. */
  parts: Record<string, number>;
  /** Global gradient norm before clipping (NaN when clipping is off). */
  gradNorm: number;
}

export interface LossOfSlice {
  (start: number, size: number): { total: tf.Scalar; parts: Record<string, tf.Scalar> };
}

/**
 * Computes gradients of `lossOf` over `batchSize` samples split into `microBatches` equal slices, averages them and
 * applies one update with learning rate `lr`. Leak-free: every intermediate tensor is released.
 */
export function trainStep(
  variables: Record<string, tf.Variable>,
  optimizer: Adam,
  lossOf: LossOfSlice,
  batchSize: number,
  lr: number,
  opts: { microBatches?: number; gradClip?: number } = {},
): StepResult {
  const micro = opts.microBatches ?? 1;
  if (!Number.isInteger(micro) || micro < 1 || batchSize % micro !== 0) {
    throw new Error(`microBatches (${micro}) must be a positive integer dividing the batch size (${batchSize})`);
  }
  const size = batchSize / micro;
  const names = Object.keys(variables);
  const varList = names.map((n) => variables[n]!);
  let accumulated: Record<string, tf.Tensor> | null = null;
  let lossSum = 0;
  const partSums: Record<string, number> = {};
  for (let i = 0; i < micro; i++) {
    let parts: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const result = lossOf(i * size, size);
      // Parts escape the gradient scope so they can be logged; they are disposed below.
      parts = Object.fromEntries(Object.entries(result.parts).map(([k, v]) => [k, tf.keep(v)]));
      return result.total;
    }, varList);
    // variableGrads keys gradients by the tf variable's own (globally unique) name; map back to our names.
    const named: Record<string, tf.Tensor> = {};
    names.forEach((n, j) => {
      const g = grads[varList[j]!.name];
      if (g) named[n] = g;
    });
    lossSum += value.dataSync()[0]!;
    value.dispose();
    for (const [k, v] of Object.entries(parts)) {
      partSums[k] = (partSums[k] ?? 0) + v.dataSync()[0]!;
      v.dispose();
    }
    if (!accumulated) {
      accumulated = named;
    } else {
      const prev: Record<string, tf.Tensor> = accumulated;
      const summed: Record<string, tf.Tensor> = {};
      for (const name of Object.keys(named)) summed[name] = tf.add(prev[name]!, named[name]!);
      tf.dispose([...Object.values(prev), ...Object.values(named)]);
      accumulated = summed;
    }
  }
  let grads: Record<string, tf.Tensor> = accumulated!;
  if (micro > 1) {
    const averaged = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.div(g, micro)]));
    tf.dispose(Object.values(grads));
    grads = averaged;
  }
  let gradNorm = NaN;
  if (opts.gradClip !== undefined && opts.gradClip > 0) {
    const clipped = clipByGlobalNorm(grads, opts.gradClip);
    tf.dispose(Object.values(grads));
    grads = clipped.grads;
    gradNorm = clipped.norm;
  }
  const nonFinite = nonFiniteNames(grads);
  if (nonFinite.length > 0) {
    tf.dispose(Object.values(grads));
    throw new NonFiniteGradientError(nonFinite, lossSum / micro);
  }
  optimizer.apply(variables, grads, lr);
  tf.dispose(Object.values(grads));
  const parts = Object.fromEntries(Object.entries(partSums).map(([k, v]) => [k, v / micro]));
  return { loss: lossSum / micro, parts, gradNorm };
}
