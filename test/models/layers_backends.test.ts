import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { ParamStore, batchNorm, conv2d, createBatchNorm, createConv2d, maxPool3x3s2Torch, reflectPad } from '../../src/models/layers.js';
import { Rng } from '../../src/util/random.js';
import { testBackends } from '../helpers/backends.js';

/**
 * The layers choose per backend (explicit conv/pool padding and the fused batch-norm and reflection-pad kernels on
 * wasm/cpu, materialised padding and tf-op compositions elsewhere, e.g. tfjs-node): every test backend must give the
 * cpu backend's values and gradients for a small conv -> BN -> max-pool -> reflect-pad -> conv stack.
 */
async function stackOn(backend: string): Promise<Float32Array[]> {
  await initBackend(backend as 'cpu');
  const rng = new Rng(3);
  const store = new ParamStore();
  const c1 = createConv2d(store, 'c1', 3, 4, 3, rng, { bias: false, init: 'kaiming' });
  const c2 = createConv2d(store, 'c2', 4, 2, 3, rng, { bias: true, init: 'torch' });
  const c3 = createConv2d(store, 'c3', 4, 3, 3, rng, { bias: false, init: 'kaiming' });
  const bn = createBatchNorm(store, 'bn', 4);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 10 * 9 * 3 }, () => rng.uniform(-1, 1)), [2, 10, 9, 3]);
  const vars = [c1.kernel, c2.kernel, c2.bias!, c3.kernel, bn.gamma, bn.beta];
  const { value, grads } = tf.variableGrads(() => {
    const h = maxPool3x3s2Torch(tf.relu(batchNorm(conv2d(x, c1, 1, 1, 'zero'), bn, true)));
    const y = conv2d(h, c2, 1, 1, 'reflect');
    const z = conv2d(reflectPad(h, 2), c3, 2, 1, 'zero');
    return tf.add(tf.sum(tf.square(y)), tf.sum(tf.sin(z))) as tf.Scalar;
  }, vars);
  const out = [value, ...vars.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose([value, x, ...Object.values(grads)]);
  store.dispose();
  return out;
}

describe('layers on every test backend match cpu', () => {
  for (const backend of testBackends().filter((b) => b !== 'cpu')) {
    it(`${backend}: conv (zero/reflect padding, stride 1/2), batch norm, stem max pool, reflect pad; values and gradients`, async () => {
      const ref = await stackOn('cpu');
      const got = await stackOn(backend);
      ref.forEach((r, k) => {
        const scale = Math.max(1e-6, ...Array.from(r, Math.abs));
        const err = Math.max(...Array.from(r, (v, i) => Math.abs(v - got[k]![i]!)));
        expect(err / scale, `output ${k}`).toBeLessThanOrEqual(1e-4);
      });
    });
  }
});
