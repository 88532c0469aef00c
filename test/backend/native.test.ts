import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { testBackends } from '../helpers/backends.js';

const hasNative = testBackends().includes('tensorflow');

describe.skipIf(!hasNative)('tensorflow backend (tfjs-node; skipped when not installed)', () => {
  it('shares this project tfjs-core instance and matches cpu on a conv gradient', async () => {
    const run = (): number[] => tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 5, 4, 3]);
      const w = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.cos(i)), [3, 3, 3, 2]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w]);
      return [...dx!.dataSync(), ...dw!.dataSync()];
    });
    const info = await initBackend('tensorflow');
    // Same instance: the backend tfjs-node registered is visible through this project's tfjs-core import.
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info.threads).toBeGreaterThan(0);
    const native = run();
    await initBackend('cpu');
    const ref = run();
    const scale = Math.max(...ref.map(Math.abs));
    for (let i = 0; i < ref.length; i++) expect(Math.abs(native[i]! - ref[i]!)).toBeLessThanOrEqual(1e-4 * scale);
  });
});
