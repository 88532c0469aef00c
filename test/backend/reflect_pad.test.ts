import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { REFLECT_PAD, reflectPad, reflectPadComposite } from '../../src/backend/reflect_pad.js';
import { Rng } from '../../src/util/random.js';

/**
 * The reflection-pad kernels (src/backend/reflect_pad.ts) against the slices + concat they replace: the padded values
 * and the gradient must be bit-identical (the SSIM of the photometric loss is padded with it and must not change).
 * Also checked against tf.mirrorPad's forward, an independent definition of the values.
 */

describe.each(['cpu', 'wasm'] as const)('reflection pad kernels on %s', (backend) => {
  const cases: [number[], number][] = [[[2, 5, 7, 3], 1], [[1, 3, 10, 4], 1], [[2, 2, 2, 1], 1], [[1, 6, 5, 2], 2], [[1, 7, 9, 3], 3]];
  for (const [shape, p] of cases) {
    it(`[${shape}] pad ${p}: values and gradient bit-identical to slices + concat`, async () => {
      await initBackend(backend);
      expect(tf.getKernel(REFLECT_PAD, backend)).toBeDefined();
      const rng = new Rng(shape[1]! * 10 + p);
      const n = shape.reduce((a, b) => a * b, 1);
      // Values of mixed magnitudes make the order of the gradient's float32 additions visible.
      const xv = Float32Array.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.uniform(-3, 3)));
      const [h, w] = [shape[1]! + 2 * p, shape[2]! + 2 * p];
      const dyv = Float32Array.from({ length: shape[0]! * h * w * shape[3]! }, () => rng.normal() * 10 ** Math.floor(rng.uniform(-3, 3)));
      const [got, ref, mirror] = tf.tidy(() => {
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        const dy = tf.tensor4d(dyv, [shape[0]!, h, w, shape[3]!]);
        const run = (f: (t: tf.Tensor4D) => tf.Tensor4D): Float32Array[] => [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), dy)))(x)]
          .map((t) => Float32Array.from(t.dataSync() as Float32Array));
        const mirrored = tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
        return [run((t) => reflectPad(t, p)), run((t) => reflectPadComposite(t, p)), Float32Array.from(mirrored.dataSync() as Float32Array)];
      });
      expect(Array.from(got![0]!)).toEqual(Array.from(ref![0]!));
      expect(Array.from(got![0]!)).toEqual(Array.from(mirror!));
      expect(Array.from(got![1]!)).toEqual(Array.from(ref![1]!));
    });
  }

  it('rejects a pad as large as the image', async () => {
    await initBackend(backend);
    expect(() => reflectPad(tf.zeros([1, 2, 5, 1]) as tf.Tensor4D, 2)).toThrow(/pad 2 needs H,W > 2, got 2x5/);
  });
});
