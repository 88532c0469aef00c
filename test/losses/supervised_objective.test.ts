/**
 * The supervised objective of `loss.kind: supervised`: the network's sigmoid becomes metric depth through disp_to_depth,
 * is upsampled to the GT, and each configured loss sees only valid GT (0 = invalid).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import { supervisedDepth, supervisedObjective, supervisedSettingsOf, type SupervisedSettings } from '../../src/losses/supervised_objective.js';

const base: SupervisedSettings = { loss: 'l1', minDepth: 0.1, maxDepth: 10, scales: [0], berhuThreshold: 0.2, silogLambda: 0.5 };

/** The sigmoid value whose disp_to_depth(0.1, 10) is `depth`. */
function sigmoidFor(depth: number): number {
  return (1 / depth - 1 / 10) / (1 / 0.1 - 1 / 10);
}

describe('supervised objective', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('turns the sigmoid into metres and is 0 for a perfect prediction, whatever the loss', () => {
    const gt = tf.tensor4d([1, 2, 4, 8], [1, 2, 2, 1]);
    const disp = tf.tensor4d([1, 2, 4, 8].map(sigmoidFor), [1, 2, 2, 1]);
    const depth = supervisedDepth(disp, 2, 2, base);
    expect(Array.from(depth.dataSync()).map((v) => Number(v.toFixed(3)))).toEqual([1, 2, 4, 8]);
    for (const loss of ['l1', 'berhu', 'silog'] as const) {
      const r = supervisedObjective([disp], gt, { ...base, loss });
      expect(r.total.dataSync()[0], loss).toBeCloseTo(0, 4);
      tf.dispose([r.total, ...Object.values(r.parts)]);
    }
    tf.dispose([gt, disp, depth]);
  });

  it('ignores invalid GT pixels, upsamples coarser scales to the GT and averages the scales', () => {
    const gt = tf.tensor4d([2, 0, 2, 2], [1, 2, 2, 1]);
    const good = tf.tensor4d([2, 2, 2, 2].map(sigmoidFor), [1, 2, 2, 1]);
    const wrongWhereInvalid = tf.tensor4d([2, 9, 2, 2].map(sigmoidFor), [1, 2, 2, 1]);
    const coarse = tf.tensor4d([sigmoidFor(4)], [1, 1, 1, 1]); // 4 m everywhere: L1 error 2 on the three valid pixels
    const a = supervisedObjective([good], gt, base);
    const b = supervisedObjective([wrongWhereInvalid], gt, base);
    expect(a.total.dataSync()[0]).toBeCloseTo(0, 4);
    expect(b.total.dataSync()[0]).toBeCloseTo(0, 4);
    const c = supervisedObjective([good, coarse], gt, { ...base, scales: [0, 1] });
    expect(c.parts['supervised/1']!.dataSync()[0]).toBeCloseTo(2, 3);
    expect(c.total.dataSync()[0]).toBeCloseTo(1, 3);
    for (const r of [a, b, c]) tf.dispose([r.total, ...Object.values(r.parts)]);
    tf.dispose([gt, good, wrongWhereInvalid, coarse]);
  });

  it('berHu uses c = threshold x max|err| of the batch, silog lambda 1 ignores a global scale', () => {
    const gt = tf.tensor4d([1, 1, 1, 1], [1, 2, 2, 1]);
    const disp = tf.tensor4d([1, 1.5, 2, 3].map(sigmoidFor), [1, 2, 2, 1]); // errors 0, 0.5, 1, 2: c = 0.4 at 0.2
    const r = supervisedObjective([disp], gt, { ...base, loss: 'berhu' });
    const c = 0.4;
    const expected = (0 + (0.25 + c * c) / (2 * c) + (1 + c * c) / (2 * c) + (4 + c * c) / (2 * c)) / 4;
    expect(r.total.dataSync()[0]).toBeCloseTo(expected, 3);
    const scaled = tf.tensor4d([3, 3, 3, 3].map(sigmoidFor), [1, 2, 2, 1]);
    const si = supervisedObjective([scaled], gt, { ...base, loss: 'silog', silogLambda: 1 });
    expect(si.total.dataSync()[0]).toBeCloseTo(0, 4);
    for (const x of [r, si]) tf.dispose([x.total, ...Object.values(x.parts)]);
    tf.dispose([gt, disp, scaled]);
  });

  it('is leak-free and has gradients', () => {
    const gt = tf.tensor4d([1, 2, 0, 3], [1, 2, 2, 1]);
    const disp = tf.variable(tf.tensor4d([0.2, 0.3, 0.4, 0.5], [1, 2, 2, 1]));
    const before = tf.memory().numTensors;
    for (const loss of ['l1', 'berhu', 'silog'] as const) {
      const { value, grads } = tf.variableGrads(() => {
        const r = supervisedObjective([disp as unknown as tf.Tensor4D], gt, { ...base, loss });
        tf.dispose(Object.values(r.parts));
        return r.total;
      }, [disp]);
      const g = grads[disp.name]!.dataSync();
      expect(Math.abs(g[2]!), `${loss}: no gradient at the invalid pixel`).toBe(0);
      expect(Math.abs(g[1]!), `${loss}: gradient at a valid pixel`).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([gt, disp]);
  });

  it('is selected from the config: loss.kind supervised with loss.supervised and the references options', () => {
    const { config } = loadConfig('configs/synthetic/small_models/mai_teacher.yaml', ['loss.berhu_threshold=0.3']);
    expect(supervisedSettingsOf(config.loss)).toEqual({ loss: 'silog', minDepth: 0.5, maxDepth: 60, scales: [0], berhuThreshold: 0.3, silogLambda: 0.5 });
    expect(() => loadConfig('configs/synthetic/small_models/nyu_teacher.yaml', ['loss.supervised=l2'])).toThrow(/loss\.supervised/);
  });
});
