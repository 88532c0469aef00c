import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { alignScaleShift, distDepthLoss, quantile, spatialLoss } from '../../src/losses/distill.js';
import { HintAdapters, hintLoss } from '../../src/losses/hint.js';
import { berHuLoss, maskedL1Loss, scaleInvariantLogLoss } from '../../src/losses/supervised.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function rampDepth(h: number, w: number, edgeCol: number): tf.Tensor4D {
  const d = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = 2 + 0.01 * x + (x >= edgeCol ? 1 + 0.2 * y : 0); // edge strength varies by row: a few pixels exceed the 0.95 quantile
  return tf.tensor4d(d, [1, h, w, 1]);
}

describe('DistDepth alignment', () => {
  it('recovers a known scale and shift (row-wise and global least squares) and the median ratio', () => {
    const rng = new Rng(5);
    const t = new Float32Array(2 * 8 * 16).map(() => rng.uniform(0.5, 5));
    const teacher = tf.tensor4d(t, [2, 8, 16, 1]);
    const student = tf.tidy(() => tf.add(tf.mul(teacher, 2.5), 0.7) as tf.Tensor4D);
    for (const method of ['lstsqRows', 'lstsq'] as const) {
      const { scale, shift } = alignScaleShift(teacher, student, method);
      expect(scale).toBeCloseTo(2.5, 4);
      expect(shift).toBeCloseTo(0.7, 4);
    }
    const moments = alignScaleShift(teacher, student, 'moments');
    expect(moments.scale).toBeCloseTo(2.5, 4);
    expect(moments.shift).toBeCloseTo(0.7, 4);
    const pure = tf.mul(teacher, 3) as tf.Tensor4D;
    expect(alignScaleShift(teacher, pure, 'medianRatio').scale).toBeCloseTo(3, 5);
    expect(quantile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8, 10); // torch.quantile linear interpolation
    tf.dispose([teacher, student, pure]);
  });
});

describe('DistDepth alignment of an imperfect teacher', () => {
  it('least squares shrinks the aligned teacher to correlation x the student spread; moment matching keeps the spread', () => {
    const rng = new Rng(8);
    const s = new Float32Array(4 * 16 * 16).map(() => rng.uniform(1, 5));
    const student = tf.tensor4d(s, [4, 16, 16, 1]);
    const teacher = tf.tensor4d(s.map((v) => 0.01 * v + rng.normal(0, 0.01)), [4, 16, 16, 1]); // correlation ~0.76
    const spread = (t: tf.Tensor) => Math.sqrt(tf.moments(t).variance.dataSync()[0]!);
    const alignedSpread = (m: 'lstsq' | 'moments') => {
      const { scale, shift } = alignScaleShift(teacher, student, m);
      return spread(tf.add(tf.mul(teacher, scale), shift)) / spread(student);
    };
    expect(alignedSpread('lstsq')).toBeLessThan(0.85);
    expect(alignedSpread('moments')).toBeCloseTo(1, 4);
  });
});

describe('DistDepth spatial loss', () => {
  it('two-sided soft Hamming is 0 for identical edge maps and grows as the edge moves away', () => {
    const teacher = rampDepth(24, 24, 12);
    const losses = [12, 14, 17].map((col) => spatialLoss(teacher, rampDepth(24, 24, col), { variant: 'twoSided' }).dataSync()[0]);
    expect(losses[0]).toBe(0);
    expect(losses[1]).toBeGreaterThan(1e-3);
    expect(losses[2]).toBeGreaterThanOrEqual(losses[1]);
  });

  it('one-sided (DistDepth code) grows with misplaced edges but ignores extra student edges', () => {
    const teacher = rampDepth(24, 24, 12);
    const same = spatialLoss(teacher, teacher).dataSync()[0];
    const moved = spatialLoss(teacher, rampDepth(24, 24, 16)).dataSync()[0];
    expect(moved).toBeGreaterThan(same);
    // student = teacher edge + an extra edge: the one-sided loss does not see the extra edge as an error the way two-sided does
    const extra = tf.tidy(() => tf.add(teacher, tf.sub(rampDepth(24, 24, 7), rampDepth(24, 24, 100))) as tf.Tensor4D);
    const twoSame = spatialLoss(teacher, teacher, { variant: 'twoSided' }).dataSync()[0];
    const twoExtra = spatialLoss(teacher, extra, { variant: 'twoSided' }).dataSync()[0];
    expect(twoExtra).toBeGreaterThan(twoSame);
  });

  it('distDepthLoss is leak-free and differentiable w.r.t. the student depth', () => {
    const rng = new Rng(6);
    const teacher = tf.tensor4d(new Float32Array(24 * 24).map(() => rng.uniform(1, 3)), [1, 24, 24, 1]);
    const student = tf.tensor4d(new Float32Array(24 * 24).map(() => rng.uniform(1, 3)), [1, 24, 24, 1]);
    const before = tf.memory().numTensors;
    const r = distDepthLoss(teacher, student);
    expect(Object.keys(r.parts).sort()).toEqual(['spatial', 'statistical']);
    tf.dispose([r.total, ...Object.values(r.parts)]);
    expect(tf.memory().numTensors).toBe(before);
    const g = tf.grad((s: tf.Tensor) => distDepthLoss(teacher, s as tf.Tensor4D).total)(student);
    expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('supervised losses', () => {
  it('L1, berHu and scale-invariant log ignore invalid pixels and match hand values', () => {
    const gt = tf.tensor4d([1, 2, 0, 4], [1, 2, 2, 1]);
    const pred = tf.tensor4d([2, 2, 9, 2], [1, 2, 2, 1]);
    expect(maskedL1Loss(pred, gt).dataSync()[0]).toBeCloseTo(1, 6); // (1 + 0 + 2) / 3
    // c = 0.2 * 2 = 0.4: |1| -> (1 + 0.16)/0.8 = 1.45, |2| -> (4 + 0.16)/0.8 = 5.2, 0 -> 0
    expect(berHuLoss(pred, gt).dataSync()[0]).toBeCloseTo((1.45 + 5.2) / 3, 5);
    const d = [Math.log(2), 0, Math.log(0.5)];
    const expected = d.reduce((a, v) => a + v * v, 0) / 3 - 0.5 * (d.reduce((a, v) => a + v, 0) / 3) ** 2;
    expect(scaleInvariantLogLoss(pred, gt).dataSync()[0]).toBeCloseTo(expected, 5);
    // lambda = 1: invariant to a global scale
    const scaled = tf.mul(gt, 3);
    expect(scaleInvariantLogLoss(scaled, gt, 0, 1).dataSync()[0]).toBeCloseTo(0, 5);
  });
});

describe('hint KD', () => {
  it('adapters hold their own variables; loss is 0 when adapted student equals teacher; teacher features are resized', () => {
    const adapters = new HintAdapters([2], [3], new Rng(7));
    expect(Object.keys(adapters.variables()).sort()).toEqual(['hint_adapter/0/bias', 'hint_adapter/0/kernel']);
    const fs = tf.randomUniform([1, 4, 4, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const ft = adapters.apply(0, fs);
    expect(hintLoss(adapters, [fs], [ft]).total.dataSync()[0]).toBeCloseTo(0, 6);
    const big = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const r = hintLoss(adapters, [fs], [big], [0.5]);
    expect(r.total.dataSync()[0]).toBeCloseTo(0.5 * r.parts['hint/0'].dataSync()[0], 6);
    const grads = tf.variableGrads(() => hintLoss(adapters, [fs], [big]).total, Object.values(adapters.variables()));
    expect(Object.keys(grads.grads).length).toBe(2);
    adapters.dispose();
  });

  it("normalize 'teacher' divides each scale's MSE by its teacher features' mean square, so a scale's size does not set its weight", () => {
    const adapters = new HintAdapters([2, 2], [3, 3], new Rng(7), 'hint_normalize_test');
    const fs = tf.randomUniform([1, 4, 4, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const ft = tf.randomUniform([1, 4, 4, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const plain = hintLoss(adapters, [fs], [ft]).parts['hint/0'].dataSync()[0];
    const energy = tf.mean(tf.square(ft)).dataSync()[0];
    expect(hintLoss(adapters, [fs], [ft], [1], 'teacher').parts['hint/0'].dataSync()[0]).toBeCloseTo(plain / energy, 5);
    // Scale 1 = scale 0 with teacher and adapter both 10x larger: plain MSE grows 100x, the normalized term does not.
    const scaled = new HintAdapters([2, 2], [3, 3], new Rng(7), 'hint_normalize_scaled');
    scaled.kernels[1].assign(tf.mul(scaled.kernels[0], 10) as tf.Tensor4D);
    const bigTeacher = tf.mul(ft, 10) as tf.Tensor4D;
    const plainScaled = hintLoss(scaled, [fs, fs], [ft, bigTeacher]);
    expect(plainScaled.parts['hint/1'].dataSync()[0]).toBeCloseTo(100 * plain, 2);
    const r = hintLoss(scaled, [fs, fs], [ft, bigTeacher], [1, 1], 'teacher');
    expect(r.parts['hint/0'].dataSync()[0]).toBeCloseTo(plain / energy, 5);
    expect(r.parts['hint/1'].dataSync()[0]).toBeCloseTo(plain / energy, 5);
    expect(hintLoss(adapters, [fs], [adapters.apply(0, fs)], [1], 'teacher').total.dataSync()[0]).toBeCloseTo(0, 6);
    adapters.dispose();
    scaled.dispose();
  });
});
