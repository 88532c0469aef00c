import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { upsampleNearest2x } from '../../src/models/layers.js';
import { Adam } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/step.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** A per-sample mean-squared loss of a linear map, so the mean over slices equals the mean over the batch. */
function setup() {
  const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5], [-2, 1]]);
  const y = tf.tensor2d([[1], [0], [2], [-1]]);
  const w = tf.variable(tf.tensor2d([[0.1], [-0.2]]), true);
  const lossOf = (start: number, size: number) =>
    tf.tidy(() => {
      const pred = tf.matMul(tf.slice(x, [start, 0], [size, 2]), w);
      const total = tf.mean(tf.square(tf.sub(pred, tf.slice(y, [start, 0], [size, 1])))) as tf.Scalar;
      return { total, parts: { mse: tf.keep(tf.clone(total)) as tf.Scalar } };
    });
  return { x, y, w, lossOf };
}

describe('trainStep', () => {
  it('gives the same update with 2 micro-batches as with the whole batch, and leaks nothing', () => {
    const results: number[][] = [];
    for (const micro of [1, 2]) {
      const { x, y, w, lossOf } = setup();
      const adam = new Adam();
      trainStep({ w }, adam, lossOf, 4, 0.1, { microBatches: micro });
      const before = tf.memory().numTensors;
      const r = trainStep({ w }, adam, lossOf, 4, 0.1, { microBatches: micro });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.parts.mse).toBeCloseTo(r.loss, 6);
      results.push(Array.from(w.dataSync()));
      tf.dispose([x, y, w]);
      adam.dispose();
    }
    expect(results[1]![0]).toBeCloseTo(results[0]![0]!, 6);
    expect(results[1]![1]).toBeCloseTo(results[0]![1]!, 6);
  });

  it('rejects a micro-batch count that does not divide the batch', () => {
    const { x, y, w, lossOf } = setup();
    const adam = new Adam();
    expect(() => trainStep({ w }, adam, lossOf, 4, 0.1, { microBatches: 3 })).toThrow(/must be a positive integer dividing the batch size \(4\)/);
    tf.dispose([x, y, w]);
  });
});

describe('upsampleNearest2x', () => {
  it('repeats each pixel 2x2 and its gradient sums the four copies (rank-4 ops only)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const up = upsampleNearest2x(x);
    expect(up.shape).toEqual([1, 4, 4, 2]);
    const v = up.arraySync() as number[][][][];
    expect(v[0]![0]![0]).toEqual([1, 2]);
    expect(v[0]![1]![1]).toEqual([1, 2]);
    expect(v[0]![0]![2]).toEqual([3, 4]);
    expect(v[0]![3]![3]).toEqual([7, 8]);
    const weights = tf.reshape(tf.range(0, 32), [1, 4, 4, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(t as tf.Tensor4D), weights)))(x);
    // Input pixel (0,0) channel 0 receives weights at (0,0),(0,1),(1,0),(1,1) channel 0: 0 + 2 + 8 + 10.
    expect(g.dataSync()[0]).toBe(20);
    tf.dispose([x, up, weights, g]);
  });
});
