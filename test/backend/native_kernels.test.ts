import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { ADAM_UPDATE } from '../../src/backend/adam_kernel.js';
import { BILINEAR_SAMPLE, BILINEAR_SAMPLE_GRAD } from '../../src/backend/bilinear_sample.js';
import { MEAN_POOL3, MEAN_POOL3_GRAD, meanPool3x3 } from '../../src/backend/mean_pool.js';
import { REFLECT_PAD, reflectPad } from '../../src/backend/reflect_pad.js';
import { RELU_GRAD, relu } from '../../src/backend/relu.js';
import { Rng } from '../../src/util/random.js';
import { onTensorflowAndCpu, testBackends } from '../helpers/backends.js';
import { relErr } from '../helpers/compare.js';
import { gridSample, sampleRowsAtPixels } from '../../src/geometry/sampler.js';
import { minReprojection, type MinReprojectionOptions } from '../../src/losses/photometric.js';

/**
 * The tensorflow backend's native kernels (src/backend/native_kernels.ts: MirrorPad / MirrorPadGrad, ResourceApplyAdam,
 * the mean-pool gradient, ReluGrad, bilinear sampling by CropAndResize) against the cpu backend: values and gradients within 1e-4 relative error or tighter.
 * Batch norm's (FusedBatchNormV3 / FusedBatchNormGradV3) are checked in batchnorm.test.ts.
 */
const hasNative = testBackends().includes('tensorflow');

describe.skipIf(!hasNative)('tensorflow reflection pad against cpu (MirrorPad; skipped without tfjs-node)', () => {
  const padCases: [[number, number, number, number], number][] = [[[2, 5, 7, 3], 1], [[1, 3, 10, 4], 1], [[1, 6, 5, 2], 2], [[1, 7, 9, 3], 3]];
  for (const [shape, p] of padCases) {
    it(`reflection pad [${shape}] by ${p}: values and gradient`, async () => {
      await initBackend('tensorflow');
      expect(tf.getKernel(REFLECT_PAD, 'tensorflow')).toBeDefined();
      const rng = new Rng(shape[2] * 10 + p);
      const xv = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const padded: [number, number, number, number] = [shape[0], shape[1] + 2 * p, shape[2] + 2 * p, shape[3]];
      const dyv = Float32Array.from({ length: padded.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const [native, cpu] = await onTensorflowAndCpu(() => {
        const x = tf.tensor4d(xv, shape);
        const dy = tf.tensor4d(dyv, padded);
        return [reflectPad(x, p), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reflectPad(t as tf.Tensor4D, p), dy)))(x)];
      });
      expect(Array.from(native[0]!)).toEqual(Array.from(cpu[0]!));
      expect(relErr(native[1]!, cpu[1]!)).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe.skipIf(!hasNative)('tensorflow Adam update (ResourceApplyAdam; skipped without tfjs-node)', () => {
  it('matches the cpu ops over three steps and leaves its inputs unchanged', async () => {
    const { adamUpdate } = await import('../../src/backend/adam_kernel.js');
    await initBackend('tensorflow');
    expect(tf.getKernel(ADAM_UPDATE, 'tensorflow')).toBeDefined();
    const rng = new Rng(11);
    const shape = [3, 3, 8, 5];
    const n = 3 * 3 * 8 * 5;
    const p0 = Float32Array.from({ length: n }, () => rng.normal());
    // Gradients of mixed magnitudes, some far below epsilon's scale, so the placement of epsilon matters.
    const grads = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.uniform(-9, 1))));
    const [native, cpu] = await onTensorflowAndCpu(() => {
      let [param, m, v] = [tf.tensor(p0, shape), tf.zeros(shape), tf.zeros(shape)];
      const lr = 1e-3;
      grads.forEach((gv, step) => {
        const t = step + 1;
        const g = tf.tensor(gv, shape);
        const before = [param, m, v].map((x) => Float32Array.from(x.dataSync() as Float32Array));
        const c = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: lr / (1 - 0.9 ** t), sqrtBiasCorrection2: Math.sqrt(1 - 0.999 ** t) };
        const next = adamUpdate(param, m, v, g, c);
        [param, m, v].forEach((x, i) => expect(Array.from(x.dataSync() as Float32Array)).toEqual(Array.from(before[i]!)));
        [param, m, v] = next;
      });
      return [param, m, v];
    });
    ['param', 'm', 'v'].forEach((what, k) => expect(relErr(native[k]!, cpu[k]!), what).toBeLessThanOrEqual(1e-4));
    // The update moved the parameters by ~lr per step: a relative check on the change itself.
    const moved = (x: Float32Array) => x.map((val, i) => val - p0[i]!);
    expect(relErr(moved(native[0]!), moved(cpu[0]!))).toBeLessThanOrEqual(1e-4);
  });
});

describe.skipIf(!hasNative)('tensorflow 3x3 mean pool and its gradient (depthwise box filters; skipped without tfjs-node)', () => {
  for (const shape of [[2, 7, 9, 3], [4, 12, 40, 3], [1, 5, 5, 15]] as [number, number, number, number][]) {
    it(`[${shape}]: meanPool3x3 values and gradient match cpu's avgPool and AvgPoolGrad`, async () => {
      await initBackend('tensorflow');
      expect(tf.getKernel(MEAN_POOL3_GRAD, 'tensorflow')).toBeDefined();
      expect(tf.getKernel(MEAN_POOL3, 'tensorflow')).toBeDefined();
      const rng = new Rng(shape[1] * 100 + shape[3]);
      const xv = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const out: [number, number, number, number] = [shape[0], shape[1] - 2, shape[2] - 2, shape[3]];
      const dyv = Float32Array.from({ length: out.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const [native, cpu] = await onTensorflowAndCpu(() => {
        const x = tf.tensor4d(xv, shape);
        const dy = tf.tensor4d(dyv, out);
        return [meanPool3x3(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(meanPool3x3(t as tf.Tensor4D), dy)))(x)];
      });
      expect(relErr(native[0]!, cpu[0]!)).toBeLessThanOrEqual(1e-6);
      expect(relErr(native[1]!, cpu[1]!)).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe.skipIf(!hasNative)('tensorflow ReLU gradient (ReluGrad; skipped without tfjs-node)', () => {
  it('relu values and gradient match cpu, zeros included', async () => {
    await initBackend('tensorflow');
    expect(tf.getKernel(RELU_GRAD, 'tensorflow')).toBeDefined();
    const rng = new Rng(5);
    const xv = Float32Array.from({ length: 2 * 6 * 7 * 4 }, (_, i) => (i % 9 === 0 ? 0 : rng.normal()));
    const dyv = Float32Array.from({ length: xv.length }, () => rng.normal());
    const [native, cpu] = await onTensorflowAndCpu(() => {
      const x = tf.tensor4d(xv, [2, 6, 7, 4]);
      const dy = tf.tensor4d(dyv, [2, 6, 7, 4]);
      return [relu(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(relu(t), dy)))(x)];
    });
    expect(Array.from(native[0]!)).toEqual(Array.from(cpu[0]!));
    expect(Array.from(native[1]!)).toEqual(Array.from(cpu[1]!));
  });
});

describe.skipIf(!hasNative)('tensorflow Step (Sign + Relu; skipped without tfjs-node)', () => {
  it('equals the cpu kernel for positives, zeros, negatives, NaN and infinities, for any alpha', async () => {
    await initBackend('tensorflow');
    expect(tf.getKernel('Step', 'tensorflow')?.kernelFunc.name).toBe('stepNative');
    const values = [2.5, 0, -0, -1e-30, 1e-30, -3, Infinity, -Infinity, NaN, 7];
    for (const alpha of [0, -1, 0.25, 1]) {
      const [native, cpu] = await onTensorflowAndCpu(() => [tf.step(tf.tensor1d(values), alpha)]);
      expect(Array.from(native[0]!)).toEqual(Array.from(cpu[0]!));
    }
    // int32 (tfjs-node's own kernel failed on it).
    const [nativeInt, cpuInt] = await onTensorflowAndCpu(() => [tf.cast(tf.step(tf.tensor1d([3, 0, -2], 'int32'), -1), 'float32')]);
    expect(Array.from(nativeInt[0]!)).toEqual(Array.from(cpuInt[0]!));
    // Abs's gradient (its user in training) on a [2,5,7,3] map.
    const rng = new Rng(5);
    const xv = Float32Array.from({ length: 210 }, () => rng.normal());
    const [native, cpu] = await onTensorflowAndCpu(() => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.abs(t), 0.5)))(tf.tensor4d(xv, [2, 5, 7, 3]))]);
    expect(Array.from(native[0]!)).toEqual(Array.from(cpu[0]!));
  });
});

describe.skipIf(!hasNative)('tensorflow nearest x2 upsampling (ResizeNearestNeighbor; skipped without tfjs-node)', () => {
  it('equals the cpu reshape + concat composition: values and gradient, odd sizes', async () => {
    const { upsampleNearest2x } = await import('../../src/models/layers.js');
    const rng = new Rng(9);
    const shape: [number, number, number, number] = [2, 3, 5, 4];
    const xv = Float32Array.from({ length: 120 }, () => rng.normal());
    const wv = Float32Array.from({ length: 480 }, () => rng.normal());
    const [native, cpu] = await onTensorflowAndCpu(() => {
      const x = tf.tensor4d(xv, shape);
      const w = tf.tensor4d(wv, [2, 6, 10, 4]);
      return [upsampleNearest2x(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(t as tf.Tensor4D), w)))(x)];
    });
    expect(Array.from(native[0]!)).toEqual(Array.from(cpu[0]!));
    expect(relErr(native[1]!, cpu[1]!)).toBeLessThanOrEqual(1e-6);
    await initBackend('tensorflow');
    const profile = await tf.profile(() => upsampleNearest2x(tf.zeros(shape) as tf.Tensor4D));
    expect(profile.kernelNames).toEqual(['ResizeNearestNeighbor']);
  });
});

describe.skipIf(!hasNative)('tensorflow no-op Reshape and Cast share the buffer (skipped without tfjs-node)', () => {
  it('same-shape reshape and same-dtype cast reuse the data, outlive their input and free it once; real ones still run', async () => {
    await initBackend('tensorflow');
    const before = tf.memory().numTensors;
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const same = tf.reshape(x, [1, -1, 3]);
    const cast = tf.cast(x, 'float32');
    const flat = tf.reshape(x, [6]);
    const ints = tf.cast(x, 'int32');
    expect(same.dataId).toBe(x.dataId);
    expect(cast.dataId).toBe(x.dataId);
    expect(flat.dataId).not.toBe(x.dataId);
    expect(ints.dataId).not.toBe(x.dataId);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(same.shape).toEqual([1, 2, 3]);
    expect(Array.from(cast.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(flat.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ints.dtype).toBe('int32');
    tf.dispose([same, cast, flat, ints]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!hasNative)('tensorflow non-finite flags (skipped without tfjs-node)', () => {
  it('flags NaN and infinities per tensor like the cpu composition, for ranks 0-4 and empty tensors', async () => {
    const { NON_FINITE_FLAGS, nonFiniteFlags } = await import('../../src/backend/finite_kernel.js');
    await initBackend('tensorflow');
    expect(tf.getKernel(NON_FINITE_FLAGS, 'tensorflow')?.kernelFunc.name).toBe('nonFiniteFlagsNative');
    const make = (): tf.Tensor[] => [
      tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]),
      tf.tensor2d([1, NaN, 3, 4], [2, 2]),
      tf.scalar(Infinity),
      tf.tensor1d([-Infinity, 0]),
      tf.scalar(-2.5),
      tf.tensor1d([]),
      tf.tensor3d([3e38, 3e38, 3e38, 3e38], [1, 2, 2]),
    ];
    const [native, cpu] = await onTensorflowAndCpu(() => [nonFiniteFlags(make())]);
    // The contract is NaN or not (a finite flag may be -0 where the composition gives +0).
    expect(Array.from(native[0]!).map(Number.isNaN)).toEqual(Array.from(cpu[0]!).map(Number.isNaN));
    expect(Array.from(native[0]!).map(Number.isNaN)).toEqual([false, true, true, true, false, false, false]);
  });
});

describe.skipIf(!hasNative)('tensorflow bilinear sampling (CropAndResize and its gradients; skipped without tfjs-node)', () => {
  const shape: [number, number, number, number] = [2, 7, 11, 3];
  const [n, h, w, c] = shape;
  const rng = new Rng(17);
  const imageValues = Float32Array.from({ length: n * h * w * c }, () => rng.uniform(0, 1));
  const dyValues = Float32Array.from({ length: n * 6 * 9 * c }, () => rng.normal());
  // Normalised coordinates reaching ~15% beyond the image on every side, so the border clamp and its zero gradient are
  // exercised; random floats, so no coordinate is an exact integer (where TensorFlow's slope is 0, bilinear_sample.ts).
  const gridValues = Float32Array.from({ length: n * 6 * 9 * 2 }, () => rng.uniform(-1.15, 1.15));
  const rowDyValues = Float32Array.from({ length: n * h * w * c }, () => rng.normal());
  const xValues = Float32Array.from({ length: n * h * w }, () => rng.uniform(-2, w + 1));

  for (const alignCorners of [false, true]) {
    for (const imageGradient of [false, true]) {
      it(`gridSample border, alignCorners ${alignCorners}, imageGradient ${imageGradient}: values and gradients match cpu`, async () => {
        await initBackend('tensorflow');
        expect(tf.getKernel(BILINEAR_SAMPLE, 'tensorflow')).toBeDefined();
        const [native, cpu] = await onTensorflowAndCpu(() => {
          const image = tf.tensor4d(imageValues, shape);
          const grid = tf.tensor4d(gridValues, [n, 6, 9, 2]);
          const dy = tf.tensor4d(dyValues, [n, 6, 9, c]);
          const options = { alignCorners, padding: 'border' as const, imageGradient };
          const [dImage, dGrid] = tf.grads((im: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(gridSample(im as tf.Tensor4D, g as tf.Tensor4D, options), dy)))([image, grid]);
          return [gridSample(image, grid, options), dGrid!, dImage!];
        });
        expect(relErr(native[0]!, cpu[0]!), 'values').toBeLessThanOrEqual(1e-4);
        expect(relErr(native[1]!, cpu[1]!), 'grid gradient').toBeLessThanOrEqual(1e-4);
        expect(relErr(native[2]!, cpu[2]!), 'image gradient').toBeLessThanOrEqual(1e-4);
        // The clamp zeroes some grid gradients and the interior ones are not: the check above compared both kinds.
        expect(native[1]!.some((v) => v === 0) && native[1]!.some((v) => v !== 0)).toBe(true);
        if (!imageGradient) expect(native[2]!.every((v) => v === 0)).toBe(true);
      });
    }
  }

  it('1-D edge sampler (integer rows): values and gradients match cpu, in two kernels', async () => {
    const [native, cpu] = await onTensorflowAndCpu(() => {
      const image = tf.tensor4d(imageValues, shape);
      const x = tf.tensor3d(xValues, [n, h, w]);
      const dy = tf.tensor4d(rowDyValues, shape);
      const [dImage, dx] = tf.grads((im: tf.Tensor, xs: tf.Tensor) => tf.sum(tf.mul(sampleRowsAtPixels(im as tf.Tensor4D, xs as tf.Tensor3D, 'edge'), dy)))([image, x]);
      return [sampleRowsAtPixels(image, x, 'edge'), dx!, dImage!];
    });
    ['values', 'x gradient', 'image gradient'].forEach((what, k) => expect(relErr(native[k]!, cpu[k]!), what).toBeLessThanOrEqual(1e-4));
    await initBackend('tensorflow');
    const image = tf.tensor4d(imageValues, shape);
    const x = tf.tensor3d(xValues, [n, h, w]);
    const profile = await tf.profile(() => tf.grad((xs: tf.Tensor) => tf.sum(sampleRowsAtPixels(image, xs as tf.Tensor3D, 'edge', false)))(x));
    expect(profile.kernelNames.filter((k) => k.startsWith('Stereodepth'))).toEqual([BILINEAR_SAMPLE, BILINEAR_SAMPLE_GRAD]);
    expect(profile.kernelNames).not.toContain('GatherNd');
    tf.dispose([image, x]);
  });
});

describe.skipIf(!hasNative)('tensorflow min reprojection over separate planes (skipped without tfjs-node)', () => {
  const shape: [number, number, number, number] = [2, 5, 6, 1];
  const rng = new Rng(23);
  // Values on a coarse grid, so that many pixels tie (the first minimal map must win, as torch.min's argmin).
  const mapValues = () => Float32Array.from({ length: 60 }, () => Math.round(rng.uniform(0, 4)) / 4);
  const cases: [string, number, number, Partial<MinReprojectionOptions>][] = [
    ['one identity and one reprojection (stereo)', 1, 1, {}],
    ['two identities and two reprojections (mono)', 2, 2, {}],
    ['two identities and two reprojections, seeded tie-break noise', 2, 2, { tieBreakRng: new Rng(3) }],
    ['no auto-mask', 2, 3, { automask: false }],
  ];
  for (const [name, nIdentity, nReprojection, options] of cases) {
    it(`${name}: per-pixel minimum, auto-mask and gradients equal cpu's`, async () => {
      const idValues = Array.from({ length: nIdentity }, mapValues);
      const repValues = Array.from({ length: nReprojection }, mapValues);
      const dyValues = Float32Array.from({ length: 60 }, () => rng.normal());
      const [native, cpu] = await onTensorflowAndCpu(() => {
        // A fresh generator per call: both backends (and both calls) draw the same noise.
        const opts = () => ({ ...options, tieBreakRng: options.tieBreakRng ? new Rng(3) : null });
        const ids = idValues.map((v) => tf.tensor4d(v, shape));
        const reps = repValues.map((v) => tf.tensor4d(v, shape));
        const dy = tf.tensor4d(dyValues, shape);
        const { perPixel, identitySelection } = minReprojection(reps, ids, opts());
        const grads = tf.grads((...r: tf.Tensor[]) => tf.sum(tf.mul(minReprojection(r as tf.Tensor4D[], ids, opts()).perPixel, dy)))(reps);
        return [perPixel, identitySelection ?? tf.zeros([1]), ...grads];
      });
      native.forEach((values, k) => expect(Array.from(values), `output ${k}`).toEqual(Array.from(cpu[k]!)));
    });
  }
});
