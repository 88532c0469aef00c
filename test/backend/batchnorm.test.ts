import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_RUNNING } from '../../src/backend/batchnorm_kernels.js';
import { ParamStore, batchNorm, createBatchNorm } from '../../src/models/layers.js';
import { Rng } from '../../src/util/random.js';
import { onTensorflowAndCpu, testBackends } from '../helpers/backends.js';
import { relErr } from '../helpers/compare.js';

/**
 * The fused training batch-norm kernels (src/backend/batchnorm_kernels.ts, used by layers.batchNorm on wasm and cpu)
 * against the same maths autodiffed from tf ops: output, gradients w.r.t. x, gamma and beta, and running statistics.
 */
function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** Random inputs for a layer of `shape`: x with an offset mean and uneven scales per channel (as conv outputs have), gamma, beta, dy. */
function batchNormCase(shape: [number, number, number, number], seed: number) {
  const rng = new Rng(shape.reduce((a, b) => a * 10 + b, seed));
  const c = shape[3];
  const n = shape.reduce((a, b) => a * b, 1);
  const xv = Float32Array.from({ length: n }, (_, i) => 3 + (1 + (i % c)) * rng.normal());
  const gv = Float32Array.from({ length: c }, () => rng.uniform(0.5, 1.5));
  const bv = Float32Array.from({ length: c }, () => rng.uniform(-0.5, 0.5));
  const dyv = Float32Array.from({ length: n }, () => rng.normal());
  return { c, n, xv, gv, bv, dyv };
}

describe.each(['cpu', 'wasm'] as const)('fused training batch norm on %s', (backend) => {
  const shapes: [number, number, number, number][] = [[2, 5, 7, 3], [4, 3, 2, 16], [1, 1, 3, 5]];
  for (const shape of shapes) {
    it(`[${shape}] matches the tf-op composite (values, grads of x/gamma/beta, running stats)`, async () => {
      await initBackend(backend);
      expect(tf.getKernel(BATCH_NORM_TRAIN, backend)).toBeDefined();
      const { c, n, xv, gv, bv, dyv } = batchNormCase(shape, 0);
      const store = new ParamStore();
      const p = createBatchNorm(store, 'bn', c);
      p.gamma.assign(tf.tensor1d(gv));
      p.beta.assign(tf.tensor1d(bv));
      const [got, ref] = tf.tidy(() => {
        const x = tf.tensor4d(xv, shape);
        const dy = tf.tensor4d(dyv, shape);
        // gamma and beta enter as plain tensors (with p's running statistics) so tf.grads returns all three gradients.
        const fused = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
          batchNorm(xx as tf.Tensor4D, { ...p, gamma: g as tf.Variable, beta: b as tf.Variable }, true);
        const composite = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
          reference(xx as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, p.eps);
        const inputs = [x, tf.tensor1d(gv), tf.tensor1d(bv)];
        const withGrads = (f: typeof fused): tf.Tensor[] =>
          [f(x, inputs[1]!, inputs[2]!), ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), dy)))(inputs)];
        return [withGrads(fused), withGrads(composite)].map((ts) => ts.map((t) => Float32Array.from(t.dataSync() as Float32Array)));
      });
      ['y', 'dx', 'dgamma', 'dbeta'].forEach((what, k) => {
        expect(relErr(got![k]!, ref![k]!), what).toBeLessThanOrEqual(1e-5);
      });
      // Running mean after the two fused training calls above (it starts at 0): (1 - (1-m)^2) * batch mean.
      const mean = Array.from({ length: c }, (_, ch) => {
        let s = 0;
        for (let i = ch; i < n; i += c) s += xv[i]!;
        return s / (n / c);
      });
      const m = p.momentum;
      const blend = 1 - (1 - m) ** 2;
      const rm = p.runningMean.dataSync();
      for (let ch = 0; ch < c; ch++) expect(rm[ch]).toBeCloseTo(blend * mean[ch]!, 4);
      store.dispose();
    });
  }
});

// The tensorflow backend's kernels (src/backend/native_kernels.ts: FusedBatchNormV3 / FusedBatchNormGradV3) against cpu's.
describe.skipIf(!testBackends().includes('tensorflow'))('training batch norm on tensorflow against cpu (skipped without tfjs-node)', () => {
  // [1,1,1,4]: one position per channel, where the running variance takes the batch variance (0) without n/(n-1).
  const bnShapes: [number, number, number, number][] = [[2, 5, 7, 3], [4, 3, 2, 16], [1, 1, 3, 5], [4, 12, 40, 64], [1, 1, 1, 4]];
  for (const shape of bnShapes) {
    it(`training batch norm [${shape}]: y, dx, dgamma, dbeta and running statistics`, async () => {
      await initBackend('tensorflow');
      expect(tf.getKernel(BATCH_NORM_TRAIN, 'tensorflow')).toBeDefined();
      const { c, xv, gv, bv, dyv } = batchNormCase(shape, 7);
      const [native, cpu] = await onTensorflowAndCpu(() => {
        const store = new ParamStore();
        const p = createBatchNorm(store, 'bn', c);
        const x = tf.tensor4d(xv, shape);
        const dy = tf.tensor4d(dyv, shape);
        const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
          batchNorm(xx as tf.Tensor4D, { ...p, gamma: g as tf.Variable, beta: b as tf.Variable }, true);
        const inputs = [x, tf.tensor1d(gv), tf.tensor1d(bv)];
        const out = [f(x, inputs[1]!, inputs[2]!), ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), dy)))(inputs)];
        const stats = [tf.clone(p.runningMean), tf.clone(p.runningVar)];
        store.dispose();
        return [...out, ...stats];
      });
      ['y', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'].forEach((what, k) => {
        expect(relErr(native[k]!, cpu[k]!), what).toBeLessThanOrEqual(1e-4);
      });
    });
  }

  it('the forward updates the running statistics inside its one kernel (FusedBatchNormV3 exponential_avg_factor)', async () => {
    await initBackend('tensorflow');
    expect(tf.getKernel(BATCH_NORM_TRAIN_RUNNING, 'tensorflow')).toBeDefined();
    const store = new ParamStore();
    const p = createBatchNorm(store, 'bn', 3);
    const x = tf.randomNormal([2, 4, 5, 3]) as tf.Tensor4D;
    const before = p.runningVar.dataSync().slice();
    const profile = await tf.profile(() => batchNorm(x, p, true));
    // ('' is the customGrad's scope.)
    expect(profile.kernelNames.filter((k) => k !== '')).toEqual([BATCH_NORM_TRAIN_RUNNING]);
    expect(Array.from(p.runningVar.dataSync())).not.toEqual(Array.from(before));
    x.dispose();
    store.dispose();
  });

});
