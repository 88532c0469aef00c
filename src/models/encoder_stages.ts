/** The one stage loop every Encoder's apply/applyStages shares (range checks, who owns which map). */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Runs stage(k, previous) for k = from .. to-1, starting from `input` (the image when from = 0, else features[from-1]),
 * and returns the maps produced. `input` is never disposed; each stage's output is kept (the caller owns it).
 */
export function runStages(
  encoderName: string, numStages: number, input: tf.Tensor4D, from: number, to: number,
  stage: (k: number, x: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor4D[] {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= numStages)) {
    throw new Error(`${encoderName}.applyStages: expected integers 0 <= from <= to <= ${numStages}, got from=${from} to=${to}`);
  }
  const out: tf.Tensor4D[] = [];
  let h = input;
  for (let k = from; k < to; k++) {
    h = stage(k, h);
    out.push(h);
  }
  return out;
}
