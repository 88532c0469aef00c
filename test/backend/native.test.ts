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

  it('runs the depth net (zero-padded and reflection-padded convs, BN) like wasm', async () => {
    const { createDepthNet } = await import('../../src/models/registry.js');
    const run = async (backend: 'tensorflow' | 'wasm'): Promise<Float32Array> => {
      await initBackend(backend);
      const net = createDepthNet({ encoder: { seed: 1 }, decoder: { seed: 2, numChDec: [8, 16, 32, 64, 128] } });
      const x = tf.tensor4d(Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => 0.5 + 0.5 * Math.sin(i / 7)), [1, 64, 64, 3]);
      const out = net.apply(x, { training: true });
      const d = (await out.disparities[0]!.data()) as Float32Array;
      tf.dispose([x, ...out.disparities, ...out.features]);
      net.dispose();
      return d;
    };
    const native = await run('tensorflow');
    const ref = await run('wasm');
    for (let i = 0; i < ref.length; i += 97) expect(Math.abs(native[i]! - ref[i]!)).toBeLessThanOrEqual(1e-4);
  });
});
