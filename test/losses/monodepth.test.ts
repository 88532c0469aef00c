import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { MONODEPTH_PRESET, monodepthLoss } from '../../src/losses/monodepth.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A right image whose left view is the same scene shifted by `shift` px: left(x) = right(x - shift). */
function stereoPair(h: number, w: number, shift: number, rng: Rng): { left: tf.Tensor4D; right: tf.Tensor4D } {
  const r = new Float32Array(h * (w + shift) * 3).map(() => rng.uniform(0, 1));
  const right = new Float32Array(h * w * 3);
  const left = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    right[(y * w + x) * 3 + c] = r[(y * (w + shift) + x + shift) * 3 + c];
    left[(y * w + x) * 3 + c] = r[(y * (w + shift) + x) * 3 + c];
  }
  return { left: tf.tensor4d(left, [1, h, w, 3]), right: tf.tensor4d(right, [1, h, w, 3]) };
}

describe('monodepthLoss (v1)', () => {
  it('is ~0 for the true constant disparity away from the border, and sums (not averages) over scales', () => {
    const rng = new Rng(9);
    const { left, right } = stereoPair(8, 16, 0, rng);
    const zero = tf.zeros([1, 8, 16, 1]) as tf.Tensor4D;
    const one = monodepthLoss({ leftPyramid: [left], rightPyramid: [right], dispLeft: [zero], dispRight: [zero] });
    expect(one.total.dataSync()[0]).toBeCloseTo(0, 6);
    // a wrong disparity costs image and LR terms; two identical scales cost twice one scale
    const d = tf.fill([1, 8, 16, 1], 0.1) as tf.Tensor4D;
    const d2 = tf.fill([1, 8, 16, 1], 0.05) as tf.Tensor4D;
    const single = monodepthLoss({ leftPyramid: [left], rightPyramid: [right], dispLeft: [d], dispRight: [d2] });
    const double = monodepthLoss({ leftPyramid: [left, left], rightPyramid: [right, right], dispLeft: [d, d], dispRight: [d2, d2] });
    expect(single.parts.image.dataSync()[0]).toBeGreaterThan(0.05);
    expect(single.parts.lrConsistency.dataSync()[0]).toBeGreaterThan(0.01);
    expect(double.parts.image.dataSync()[0]).toBeCloseTo(2 * single.parts.image.dataSync()[0], 5);
    const s = single.parts;
    expect(single.total.dataSync()[0]).toBeCloseTo(
      s.image.dataSync()[0] + MONODEPTH_PRESET.smoothnessWeight * s.smoothness.dataSync()[0] + MONODEPTH_PRESET.lrWeight * s.lrConsistency.dataSync()[0],
      6,
    );
  });

  it('prefers the true disparity: loss at the true shift is lower than at a wrong one', () => {
    const rng = new Rng(10);
    const W = 32;
    const { left, right } = stereoPair(8, W, 4, rng);
    const loss = (px: number) => {
      const d = tf.fill([1, 8, W, 1], px / W) as tf.Tensor4D;
      return monodepthLoss({ leftPyramid: [left], rightPyramid: [right], dispLeft: [d], dispRight: [d] }).parts.image.dataSync()[0];
    };
    expect(loss(4)).toBeLessThan(loss(2));
    expect(loss(4)).toBeLessThan(loss(6));
  });
});
