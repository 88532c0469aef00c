import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { ADAM_UPDATE, adamUpdateOps, fusedAdamUpdate, type AdamCoefficients } from '../../src/backend/adam-kernel.js';
import { Adam } from '../../src/train/optimizer.js';
import { Rng } from '../../src/util/random.js';

/** Values over many magnitudes, zeros and signs: where float32 rounding order shows. */
function values(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0 : rng.uniform(-1, 1) * 10 ** rng.uniform(-30, 2)));
}

function coefficients(step: number, lr: number): AdamCoefficients {
  const [beta1, beta2] = [0.9, 0.999];
  return { beta1, beta2, epsilon: 1e-8, stepSize: lr / (1 - beta1 ** step), sqrtBiasCorrection2: Math.sqrt(1 - beta2 ** step) };
}

describe('fused Adam update (wasm, cpu): bit-identical to the tf-op composition', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: new param, m and v equal the ops bit for bit (steps 1, 7, 5000; odd shape)`, async () => {
      await initBackend(backend);
      expect(tf.getKernel(ADAM_UPDATE, backend)).toBeDefined();
      const rng = new Rng(11);
      const shape = [3, 5, 7, 2];
      const n = 3 * 5 * 7 * 2;
      const param = tf.tensor(values(rng, n), shape);
      const m = tf.tensor(values(rng, n), shape);
      const v = tf.tensor(Float32Array.from(values(rng, n), Math.abs), shape);
      const grad = tf.tensor(values(rng, n), shape);
      const before = tf.memory().numTensors;
      for (const [step, lr] of [[1, 1e-3], [7, 3e-4], [5000, 1e-4]] as const) {
        const c = coefficients(step, lr);
        const fused = fusedAdamUpdate(param, m, v, grad, c)!;
        const ops = adamUpdateOps(param, m, v, grad, c);
        fused.forEach((t, k) => expect(Array.from(t.dataSync()), `output ${k} at step ${step}`).toEqual(Array.from(ops[k]!.dataSync())));
        tf.dispose([...fused, ...ops]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([param, m, v, grad]);
    });
  }

  it('rejects mismatched shapes naming the kernel', async () => {
    await initBackend('wasm');
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 2]);
    expect(() => fusedAdamUpdate(a, a, a, b, coefficients(1, 1e-3))).toThrow(/StereodepthAdamUpdate.*\[2,3\].*\[3,2\]/);
    tf.dispose([a, b]);
  });

  it('the Adam optimiser (fused kernel on wasm) gives the same weights as the op composition over 3 steps', async () => {
    await initBackend('wasm');
    const rng = new Rng(5);
    const init = values(rng, 40);
    const grads = [0, 1, 2].map(() => values(rng, 40));
    const run = (useFused: boolean): number[] => {
      const w = tf.variable(tf.tensor(init, [8, 5]), true, `adam-test-${useFused}`);
      const adam = new Adam();
      const m = tf.variable(tf.zeros([8, 5]), false, `adam-test-m-${useFused}`);
      const v = tf.variable(tf.zeros([8, 5]), false, `adam-test-v-${useFused}`);
      for (const [k, g] of grads.entries()) {
        const gt = tf.tensor(g, [8, 5]);
        if (useFused) adam.apply({ w }, { w: gt }, 1e-3);
        else {
          const step = k + 1;
          const out = adamUpdateOps(w, m, v, gt, coefficients(step, 1e-3));
          w.assign(out[0]);
          m.assign(out[1]);
          v.assign(out[2]);
          tf.dispose(out);
        }
        gt.dispose();
      }
      const result = Array.from(w.dataSync());
      tf.dispose([w, m, v]);
      adam.dispose();
      return result;
    };
    expect(run(true)).toEqual(run(false));
  });
});
