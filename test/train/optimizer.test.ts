import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { Adam, clipByGlobalNorm } from '../../src/train/optimizer.js';
import { learningRateAt } from '../../src/train/schedule.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** torch.optim.Adam written out in scalar JS, the reference for one parameter. */
function adamReference(x0: number, grads: number[], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let x = x0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
    x -= (lr / (1 - b1 ** t)) * (m / denom);
  });
  return x;
}

describe('Adam', () => {
  it('matches the torch update rule step by step', () => {
    const w = tf.variable(tf.tensor1d([1.5, -2]), true, 'w');
    const adam = new Adam();
    const gradSeq = [
      [0.3, -1],
      [0.1, 0.5],
      [-0.7, 0.2],
    ];
    for (const g of gradSeq) {
      const gt = tf.tensor1d(g);
      adam.apply({ w }, { w: gt }, 0.01);
      gt.dispose();
    }
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(adamReference(1.5, gradSeq.map((g) => g[0]!), 0.01), 6);
    expect(got[1]).toBeCloseTo(adamReference(-2, gradSeq.map((g) => g[1]!), 0.01), 6);
    adam.dispose();
    w.dispose();
  });

  it('continues identically after its state is saved and restored', () => {
    const run = (restoreAt: number | null): Float32Array => {
      const w = tf.variable(tf.tensor1d([0.5, 1, -1]));
      let adam = new Adam();
      for (let step = 0; step < 6; step++) {
        if (step === restoreAt) {
          const saved = Object.fromEntries(Object.entries(adam.stateTensors()).map(([k, t]) => [k, tf.clone(t)]));
          const savedStep = adam.step;
          adam.dispose();
          adam = new Adam();
          adam.loadState(saved, savedStep);
          Object.values(saved).forEach((t) => t.dispose());
        }
        const g = tf.tidy(() => tf.mul(w, tf.scalar(2 + step)));
        adam.apply({ w }, { w: g }, 0.05);
        g.dispose();
      }
      const out = w.dataSync().slice();
      adam.dispose();
      w.dispose();
      return out as Float32Array;
    };
    expect(Array.from(run(3))).toEqual(Array.from(run(null)));
  });

  it('leaks no tensors across updates', () => {
    const w = tf.variable(tf.ones([4, 4]));
    const adam = new Adam();
    const g = tf.ones([4, 4]);
    adam.apply({ w }, { w: g }, 0.1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) adam.apply({ w }, { w: g }, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
    adam.dispose();
    w.dispose();
  });

  it('rejects a gradient for an unknown variable', () => {
    const adam = new Adam();
    const g = tf.ones([1]);
    expect(() => adam.apply({}, { ghost: g }, 0.1)).toThrow(/unknown variable 'ghost'/);
    g.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it('scales to the requested global norm and leaves small gradients alone', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm).toBeCloseTo(5, 5);
    expect(Array.from(clipped.grads.a!.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(clipped.grads.b!.dataSync())[1]).toBeCloseTo(0.8, 5);
    const untouched = clipByGlobalNorm(grads, 10);
    expect(Array.from(untouched.grads.b!.dataSync())).toEqual([0, 4]);
    for (const t of [...Object.values(grads), ...Object.values(clipped.grads), ...Object.values(untouched.grads)]) t.dispose();
  });
});

describe('learningRateAt', () => {
  it('halves at 3/5 and 4/5 of the run (monodepth piecewise)', () => {
    expect(learningRateAt(0, 100, 1e-4, { kind: 'piecewise' })).toBe(1e-4);
    expect(learningRateAt(59, 100, 1e-4, { kind: 'piecewise' })).toBe(1e-4);
    expect(learningRateAt(60, 100, 1e-4, { kind: 'piecewise' })).toBe(5e-5);
    expect(learningRateAt(80, 100, 1e-4, { kind: 'piecewise' })).toBe(2.5e-5);
  });
  it('follows StepLR and cosine, with linear warm-up', () => {
    expect(learningRateAt(14, 100, 1, { kind: 'step', stepSize: 15, gamma: 0.1 })).toBe(1);
    expect(learningRateAt(15, 100, 1, { kind: 'step', stepSize: 15, gamma: 0.1 })).toBeCloseTo(0.1, 12);
    expect(learningRateAt(50, 100, 1, { kind: 'cosine' })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(100, 100, 1, { kind: 'cosine', minLr: 0.1 })).toBeCloseTo(0.1, 12);
    expect(learningRateAt(0, 100, 1, { kind: 'constant' }, 4)).toBe(0.25);
  });
  it('names the problem in a malformed piecewise schedule', () => {
    expect(() => learningRateAt(0, 10, 1, { kind: 'piecewise', boundaries: [0.5], factors: [1] })).toThrow(/1 boundaries need 2 factors/);
  });
});
