import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { createModel } from '../../src/models/registry.js';
import type { DepthNet } from '../../src/models/types.js';

/**
 * Every trainable variable's gradient of the whole ResNet18 + monodepth2 depth net (BN in training mode, 4 disparity
 * scales) on wasm — with the project's gradient kernels — against the pure-JS cpu reference. 64x64 is the smallest
 * size whose deepest feature map (2x2) still admits reflection padding. The cpu side takes ~100 s (its conv filter
 * gradient runs at ~0.01 GFLOP/s); the check is worth it: it is the one test that differentiates the whole net.
 * BatchNorm runs the fused kernels of src/backend/batchnorm_kernels.ts on both backends; test/backend/batchnorm.test.ts
 * checks them against autodiff of the same maths.
 */
async function gradientsOn(backend: 'cpu' | 'wasm', makeModel: () => DepthNet = () => createModel('monodepth2_resnet18'),
  inputShape: [number, number, number, number] = [2, 64, 64, 3], training = true): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await initBackend(backend);
  const model = makeModel();
  const x = tf.randomUniform(inputShape, 0, 1, 'float32', 11) as tf.Tensor4D;
  const vars = model.trainableVariables();
  const names = Object.keys(vars);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training });
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

/** Variables whose wasm gradient is off by more than 1e-4 of the largest cpu gradient entry. */
function gradientFailures(cpu: Record<string, Float32Array>, wasm: Record<string, Float32Array>): string[] {
  const failures: string[] = [];
  for (const n of Object.keys(cpu)) {
    const a = cpu[n]!;
    const b = wasm[n]!;
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
    }
    if (!(maxDiff <= 1e-4 * maxAbs + 1e-9)) failures.push(`${n}: max diff ${maxDiff} vs max |grad| ${maxAbs}`);
  }
  return failures;
}

describe('whole depth-net gradients, wasm vs cpu', () => {
  it('agree for all 88 variables (max diff / max |grad| <= 1e-4)', { timeout: 1_200_000 }, async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    expect(Object.keys(cpu.grads)).toHaveLength(88);
    expect(gradientFailures(cpu.grads, wasm.grads)).toEqual([]);
  });

  // mai2021 = MobileNetV3-Large (depthwise convs, hard-swish, squeeze-excite) + resize/depthwise decoder, with its
  // in-model bilinear resizes (48x80 -> 64x64 inside -> back): every layer kind of the small networks, on the cpu in
  // under a minute. Batch norm uses its running statistics here (gamma and beta are still differentiated): in
  // training mode this net chains batch norms with only linear maps between them (the linear 1x1 projection of each
  // block, then the next block's 1x1 conv or a depthwise conv, then batch norm), which makes many gradients
  // mathematically near zero, so both backends' float32 cancellation noise reaches 1e-3 of the gradient (measured:
  // a 3-layer chain depthwise-BN-SE-1x1-BN-depthwise-BN already gives 8e-4 on the middle gamma). The training-mode
  // batch-norm kernels are covered by the ResNet check above and test/backend/batchnorm.test.ts.
  it('agree for every variable of mai2021 (MobileNetV3-Large + resize_dw, in-model resize; BN running statistics)', { timeout: 1_200_000 }, async () => {
    const make = () => createModel('mai2021', { internalSize: [64, 64] });
    const cpu = await gradientsOn('cpu', make, [2, 48, 80, 3], false);
    const wasm = await gradientsOn('wasm', make, [2, 48, 80, 3], false);
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    const names = Object.keys(cpu.grads);
    expect(names.filter((n) => n.includes('/se/')).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.includes('/dw/conv/'))).toHaveLength(20); // 15 bnecks + 5 decoder stages
    expect(gradientFailures(cpu.grads, wasm.grads)).toEqual([]);
  });
});
