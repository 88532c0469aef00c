import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { createModel } from '../../src/models/registry.js';

/**
 * Every trainable variable's gradient of the whole ResNet18 + monodepth2 depth net (BN in training mode, 4 disparity
 * scales) on wasm — with the project's gradient kernels — against the pure-JS cpu reference. 64x64 is the smallest
 * size whose deepest feature map (2x2) still admits reflection padding. The cpu side takes ~100 s (its conv filter
 * gradient runs at ~0.01 GFLOP/s); the check is worth it: it is the one test that differentiates the whole net.
 * BatchNorm runs the fused kernels of src/backend/batchnorm_kernels.ts on both backends; test/backend/batchnorm.test.ts
 * checks them against autodiff of the same maths.
 */
async function gradientsOn(backend: 'cpu' | 'wasm'): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await initBackend(backend);
  const model = createModel('monodepth2_resnet18');
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const vars = model.trainableVariables();
  const names = Object.keys(vars);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true });
    tf.dispose(out.features);
    const perScale = out.disparities.map((d, s) => tf.mul(tf.mean(tf.square(tf.sub(d, 0.3))), 1 / (s + 1)));
    return tf.addN(perScale) as tf.Scalar;
  }, names.map((n) => vars[n]!));
  const result: Record<string, Float32Array> = {};
  for (const n of names) result[n] = grads[vars[n]!.name]!.dataSync() as Float32Array;
  const loss = value.dataSync()[0]!;
  tf.dispose([value, x, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: result };
}

describe('whole depth-net gradients, wasm vs cpu', () => {
  it('agree for all 88 variables (max diff / max |grad| <= 1e-4)', { timeout: 1_200_000 }, async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    const names = Object.keys(cpu.grads);
    expect(names).toHaveLength(88);
    const failures: string[] = [];
    for (const n of names) {
      const a = cpu.grads[n]!;
      const b = wasm.grads[n]!;
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
        maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
      }
      if (!(maxDiff <= 1e-4 * maxAbs + 1e-9)) failures.push(`${n}: max diff ${maxDiff} vs max |grad| ${maxAbs}`);
    }
    expect(failures).toEqual([]);
  });
});
