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
  inputShape: [number, number, number, number] = [2, 64, 64, 3], training = true,
  { seed = 11, randomTarget = false } = {}): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await initBackend(backend);
  const model = makeModel();
  const x = tf.randomUniform(inputShape, 0, 1, 'float32', seed) as tf.Tensor4D;
  const vars = model.trainableVariables();
  const names = Object.keys(vars);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training });
    tf.dispose(out.features);
    const perScale = out.disparities.map((d, s) => {
      const target = randomTarget ? tf.randomUniform(d.shape, 0, 1, 'float32', 100 + s) : tf.scalar(0.3);
      return tf.mul(tf.mean(tf.square(tf.sub(d, target))), 1 / (s + 1));
    });
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
 * beta = 0, so both backends return float32 cancellation noise; they are measured against the larger gradient of
 * the two parameters of their BN instead of their own:
 * - project/bn/beta of features 7-10 and 13-15: the block output, and the residual stream it joins, reaches only 1x1
 *   convs followed by batch norm (the next expansion, the last 1x1 conv), never a decoder skip, so a per-channel shift
 *   is removed exactly (float64: < 1e-17 of the net's largest gradient; the other blocks reach a skip, whose zero-padded
 *   depthwise conv keeps a border signal, and are checked on their own scale);
 * - the gamma of a BN -> ReLU whose output reaches only per-channel linear maps and then BN (features 2-6: expansion ->
 *   depthwise; every decoder stage: reduce -> resize -> depthwise): with beta = 0 the ReLU is positively homogeneous,
 *   so a per-channel scale is removed up to eps / variance (float64: 1e-3 to 1e-2 of the same BN's beta gradient).
 */
function invariantBatchNormParam(name: string): boolean {
  return /\/features\/(7|8|9|10|13|14|15)\/project\/bn\/beta$/.test(name) || /\/features\/[2-6]\/expand\/bn\/gamma$/.test(name)
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

  // The same net in training mode (batch statistics), as training runs it, against a random target map per scale: at
  // initialisation every disparity is ~0.5, so a constant target makes the loss gradient nearly constant per channel,
  // the direction each training-mode batch norm removes, and its backward then cancels: both backends end up 1e-4 to
  // 3e-4 off float64 on every kind of variable (measured with scripts/mai2021_gradient_reference.*, a float64 torch
  // rebuild of this net, weights and input). With the random target both are within 7e-5 of float64 and 4e-5 of each
  // other, so 1e-4 holds. The input seed matters: a ReLU input within float32 noise of 0 (~1e-5 deep in the net) can
  // land on different sides of the kink on the two backends, and every upstream gradient then moves by ~5e-2 (seeds
  // 1, 3 and 11 do this at 48x80); on seed 2 both backends take the float64 side of every kink. If this fails after a
  // change of initialisation or input, run that script (its --flip) before suspecting a kernel.
  it('agree for every variable of mai2021 in training mode (BN batch statistics)', { timeout: 1_200_000 }, async () => {
    const make = () => createModel('mai2021', { internalSize: [64, 64] });
    const cpu = await gradientsOn('cpu', make, [2, 48, 80, 3], true, { seed: 2, randomTarget: true });
    const wasm = await gradientsOn('wasm', make, [2, 48, 80, 3], true, { seed: 2, randomTarget: true });
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    const names = Object.keys(cpu.grads);
    expect(names.filter(invariantBatchNormParam)).toHaveLength(7 + 5 + 5);
    const scaleOf = (n: string): string[] => {
      if (!invariantBatchNormParam(n)) return [n];
      const bn = n.slice(0, n.lastIndexOf('/'));
      return [`${bn}/gamma`, `${bn}/beta`];
    };
    expect(gradientFailures(cpu.grads, wasm.grads, 1e-4, scaleOf)).toEqual([]);
  });
});
