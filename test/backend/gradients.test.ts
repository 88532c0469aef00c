import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';

import { meanGradient } from '../../src/backend/gradients.js';
import { initBackend } from '../../src/backend/index.js';
import { Rng } from '../../src/util/random.js';
import { testBackends } from '../helpers/backends.js';

/**
 * src/backend/gradients.ts replaces tfjs-core's Mean gradient ((dy * ones(x.shape)) / n) by dy / n broadcast to x's
 * shape: the same numbers bit for bit, without a full-size ones tensor. Checked against core's formula on every backend.
 */
describe('Mean gradient override', () => {
  for (const backend of testBackends()) {
    it(`equals tfjs-core's (dy * ones) / n bit for bit on ${backend}, over several axes, with and without keepDims`, async () => {
      await initBackend(backend);
      // Registered after the backend loaded (tfjs-node's bundle re-registers core's gradients when it loads).
      expect(tf.getGradient(tf.Mean)?.gradFunc).toBe(meanGradient.gradFunc);
      const rng = new Rng(3);
      const shape = [2, 3, 5, 4];
      const xv = Float32Array.from({ length: 120 }, () => rng.normal());
      const cases: [number | number[] | undefined, boolean][] = [[undefined, false], [-1, true], [[1, 2], false], [[0, 1, 2, 3], true], [0, false]];
      for (const [axis, keepDims] of cases) {
        tf.tidy(() => {
          const x = tf.tensor4d(xv, shape as [number, number, number, number]);
          const out = tf.mean(x, axis, keepDims);
          const dy = tf.tensor(Float32Array.from({ length: out.size }, () => rng.normal() * 3), out.shape);
          const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis, keepDims), dy)))(x);
          const axes = tf.util.parseAxisParam(axis ?? shape.map((_, i) => i), shape);
          const expandedShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const n = axes.reduce((a, i) => a * shape[i]!, 1);
          const core = tf.div(tf.mul(tf.reshape(dy, expandedShape), tf.ones(shape, 'float32')), n);
          expect(got.shape).toEqual(shape);
          expect(Array.from(got.dataSync())).toEqual(Array.from(core.dataSync()));
        });
      }
    });
  }
});
