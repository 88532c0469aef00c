import * as tf from '@tensorflow/tfjs-core';

import type { DepthNet } from '../../src/models/types.js';

/** Non-trivial BN statistics (fresh nets have mean 0 / var 1, which would hide a wrong fold). */
export function perturbBatchNorm(net: DepthNet): void {
  let seed = 5;
  for (const [k, v] of Object.entries(net.allVariables())) {
    if (!/running_mean|running_var|gamma|beta/.test(k)) continue;
    v.assign(tf.tidy(() => tf.add(v, tf.randomUniform(v.shape, 0.05, 0.4, 'float32', seed++))));
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
