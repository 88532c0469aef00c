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
  inputShape: [number, number, number, number] = [2, 64, 64, 3], training = true, seed = 11): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await initBackend(backend);
  const model = makeModel();
  const x = tf.randomUniform(inputShape, 0, 1, 'float32', seed) as tf.Tensor4D;
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

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Variables whose wasm gradient is off by more than `tol` of the largest cpu gradient entry of `scaleOf(name)` (the
 * variable itself unless told otherwise).
 */
function gradientFailures(cpu: Record<string, Float32Array>, wasm: Record<string, Float32Array>, tol = 1e-4,
  scaleOf: (name: string) => string[] = (n) => [n]): string[] {
  const failures: string[] = [];
  for (const n of Object.keys(cpu)) {
    const a = cpu[n]!;
    const b = wasm[n]!;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    const scale = Math.max(...scaleOf(n).map((s) => maxAbs(cpu[s]!)));
    if (!(maxDiff <= tol * scale + 1e-9)) failures.push(`${n}: max diff ${maxDiff} vs max |grad| ${scale}`);
  }
  return failures;
}

/**
 * mai2021 batch-norm parameters whose gradient is zero by an invariance of training-mode batch norm at the initial
 * beta = 0 (beta = 0 makes BN -> ReLU positively homogeneous), so both backends return float32 cancellation noise:
 * - project/bn/beta: the projection output (and the residual stream it joins) reaches only 1x1 convs or the decoder's
 *   depthwise convs, each followed by batch norm, which removes a per-channel shift (exactly, or up to the depthwise
 *   zero padding at the borders for the tapped blocks);
 * - the gamma of a BN -> ReLU whose output reaches only per-channel linear maps and then BN (the expansion of the ReLU
 *   bnecks, features 2-6, followed by the depthwise conv; each decoder stage's reduce, followed by resize and the
 *   depthwise conv): a per-channel scale is removed up to eps / variance.
 * Measured against a float64 (torch) rebuild of the same net, relative to the same BN's other parameter: ~1e-16
 * (exact invariance), ~1e-2 (tapped blocks, borders only), ~1e-3 (gammas). Their scale here is the larger gradient
 * of the two parameters of that BN.
 */
function invariantBatchNormParam(name: string): boolean {
  return /\/features\/\d+\/project\/bn\/beta$/.test(name) || /\/features\/[2-6]\/expand\/bn\/gamma$/.test(name)
    || /\/stage_\d\/reduce\/bn\/gamma$/.test(name);
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
  // in-model bilinear resizes (48x80 -> 64x64 inside -> back): every layer kind of the small networks. With batch norm
  // on its running statistics the net is an ordinary chain of kernels, so this is the tight kernel check (1e-4).
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

  // The same net in training mode (batch statistics), as training runs it. Measured against a float64 torch rebuild
  // of this net, weights and input, both backends' float32 gradients are within 3.2e-4 (max diff / max |grad|) on
  // every variable that is not invariant, and within 1.5e-4 of each other: ~50 chained training-mode batch norms
  // with 8 to 32 samples per channel in the deepest maps put the float32 floor of this net near 1e-4, so the bound is
  // 3e-4 (a 1e-3 error in one kernel's gradient fails it). The input seed matters: near a ReLU kink (BN output within
  // float32 noise of 0: 3 of the 4 seeds measured) the backends may differentiate different sides of the kink, which
  // moves every upstream gradient by 1e-2 on both alike; seed 2 has no such element (checked against float64). If this
  // fails after a change of initialisation or input, check for such a flip before suspecting a kernel.
  it('agree for every variable of mai2021 in training mode (BN batch statistics)', { timeout: 1_200_000 }, async () => {
    const make = () => createModel('mai2021', { internalSize: [64, 64] });
    const cpu = await gradientsOn('cpu', make, [2, 48, 80, 3], true, 2);
    const wasm = await gradientsOn('wasm', make, [2, 48, 80, 3], true, 2);
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    const names = Object.keys(cpu.grads);
    expect(names.filter(invariantBatchNormParam)).toHaveLength(15 + 5 + 5);
    const scaleOf = (n: string): string[] => {
      if (!invariantBatchNormParam(n)) return [n];
      const bn = n.slice(0, n.lastIndexOf('/'));
      return [`${bn}/gamma`, `${bn}/beta`];
    };
    expect(gradientFailures(cpu.grads, wasm.grads, 3e-4, scaleOf)).toEqual([]);
  });
});
