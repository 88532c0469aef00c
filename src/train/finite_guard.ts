/**
 * Non-finite numbers must not reach the weights or a checkpoint: a NaN gradient applied once turns every weight
 * NaN, and a checkpoint saved after it is no "last good checkpoint". One device->host read per check.
 */
import * as tf from '@tensorflow/tfjs-core';

import { nonFiniteFlags } from '../backend/finite_kernel.js';

/** Names of the tensors holding any NaN or +-Inf (one sync for all tensors). */
export function nonFiniteNames(tensors: Record<string, tf.Tensor>): string[] {
  const names = Object.keys(tensors);
  if (names.length === 0) return [];
  const flagTensor = nonFiniteFlags(names.map((n) => tensors[n]!));
  const flags = flagTensor.dataSync();
  flagTensor.dispose();
  return names.filter((_, i) => !Number.isFinite(flags[i]!));
}

/** A step whose gradients are not finite: nothing was applied. */
export class NonFiniteGradientError extends Error {
  constructor(readonly variables: string[], readonly loss: number) {
    super(`non-finite gradient (loss ${loss}) in ${variables.length} variable(s): ${variables.slice(0, 5).join(', ')}${variables.length > 5 ? ', ...' : ''}; the update was not applied`);
    this.name = 'NonFiniteGradientError';
  }
}

/** Adds where it happened (step, the batch's samples, where the last good checkpoint is) to a non-finite step error. */
export function withBatchContext(err: unknown, step: number, sampleIds: readonly string[], checkpointsDir: string): unknown {
  if (!(err instanceof NonFiniteGradientError)) return err;
  if (!Number.isFinite(err.loss)) {
    return new Error(
      `loss is ${err.loss} at step ${step} (batch ${sampleIds.join(', ')}); the update was not applied and nothing was saved from this step. ` +
        `The last good checkpoint is in ${checkpointsDir}; lower optim.lr or set optim.grad_clip`,
    );
  }
  return new Error(
    `step ${step}: ${err.message} (batch samples: ${sampleIds.join(', ')}). Nothing was saved from this step; the last good checkpoint is in ${checkpointsDir}. ` +
      `Check those samples' calibration (focal, baseline) and images, lower optim.lr or set optim.grad_clip`,
  );
}

/** Throws naming the variables when any tensor to be saved holds NaN or Inf. */
export function assertFiniteForSave(tensors: Record<string, tf.Tensor>, what: string): void {
  const bad = nonFiniteNames(tensors);
  if (bad.length > 0) {
    throw new Error(`refusing to save ${what}: ${bad.length} tensor(s) hold NaN or Inf (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}); the previous checkpoint stays the latest`);
  }
}
