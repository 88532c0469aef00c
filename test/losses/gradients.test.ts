/**
 * Finite differences vs autodiff for every loss and sampler: the directional derivative <grad f(x), v> against
 * (f(x + eps v) - f(x - eps v)) / 2 eps, computed in float32 on small inputs. eps is small enough that the piecewise-linear
 * samplers stay within one linear piece for almost all pixels, large enough that float32 rounding (~1e-7 * |f| / eps) is
 * far below the tolerance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { KITTI_NORMALISED_K, stereoTransform } from '../../src/geometry/camera.js';
import { bilinearSampler1dH, gridSample } from '../../src/geometry/sampler.js';
import { lrConsistencyLoss, monodepthLoss } from '../../src/losses/monodepth.js';
import { monodepth2Loss } from '../../src/losses/monodepth2.js';
import { photometricError, smoothnessLoss, ssim } from '../../src/losses/photometric.js';
import { Rng } from '../../src/util/random.js';

function rand(shape: number[], rng: Rng, lo = 0, hi = 1): tf.Tensor {
  const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(lo, hi);
  return tf.tensor(d, shape);
}

/** Relative mismatch of the directional derivative of f at x along a random direction. */
function directionalCheck(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, rng: Rng, eps: number, density = 1): { ad: number; fd: number } {
  return tf.tidy(() => {
    // A sparse direction (density < 1) makes crossing a kink of the piecewise-linear samplers / min selection unlikely.
    const v = tf.mul(rand(x.shape, rng, -1, 1), tf.cast(tf.less(rand(x.shape, rng), density), 'float32'));
    const g = tf.grad(f)(x);
    const ad = tf.sum(tf.mul(g, v)).dataSync()[0];
    const fp = f(tf.add(x, tf.mul(v, eps))).dataSync()[0];
    const fm = f(tf.sub(x, tf.mul(v, eps))).dataSync()[0];
    return { ad, fd: (fp - fm) / (2 * eps) };
  });
}

function expectClose(r: { ad: number; fd: number }, rtol: number, label: string): void {
  expect(Math.abs(r.ad - r.fd), `${label}: autodiff ${r.ad} vs finite difference ${r.fd}`).toBeLessThan(rtol * Math.max(Math.abs(r.fd), 1e-3));
  expect(Math.abs(r.ad), `${label}: gradient must not vanish`).toBeGreaterThan(1e-6);
}

/** Values whose pixel coordinate (per `toParam`) is integer + a fraction in [0.2, 0.8], within [lo, hi]. */
function awayFromKinks(shape: number[], rng: Rng, toParam: (px: number, xIdx: number) => number, lo: number, hi: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  const width = shape[2];
  for (let i = 0; i < n; i++) d[i] = toParam(rng.int(lo, hi) + rng.uniform(0.2, 0.8), i % width);
  return tf.tensor(d, shape);
}

const haveWasmScatter = (): boolean => tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gradient checks on ${backend}`, () => {
    it('ssim, photometric error, smoothness (raw and normalised)', async () => {
      await initBackend(backend);
      const rng = new Rng(1);
      const x = rand([1, 6, 7, 3], rng);
      const y = rand([1, 6, 7, 3], rng);
      const d = rand([1, 6, 7, 1], rng, 0.1, 1);
      expectClose(directionalCheck((a) => tf.mean(ssim(a as tf.Tensor4D, y as tf.Tensor4D)) as tf.Scalar, x, rng, 1e-3), 2e-2, 'ssim reflect');
      expectClose(directionalCheck((a) => tf.mean(ssim(a as tf.Tensor4D, y as tf.Tensor4D, 'valid')) as tf.Scalar, x, rng, 1e-3), 2e-2, 'ssim valid');
      expectClose(directionalCheck((a) => tf.mean(photometricError(a as tf.Tensor4D, y as tf.Tensor4D)) as tf.Scalar, x, rng, 1e-3), 2e-2, 'photometric');
      expectClose(directionalCheck((a) => smoothnessLoss(a as tf.Tensor4D, x as tf.Tensor4D), d, rng, 1e-3), 2e-2, 'smoothness raw');
      expectClose(directionalCheck((a) => smoothnessLoss(a as tf.Tensor4D, x as tf.Tensor4D, { normalize: true }), d, rng, 1e-3), 2e-2, 'smoothness norm');
      expectClose(directionalCheck((a) => smoothnessLoss(d as tf.Tensor4D, a as tf.Tensor4D), x, rng, 1e-3), 2e-2, 'smoothness w.r.t. image');
      tf.dispose([x, y, d]);
    });

    it('samplers w.r.t. offset/grid (and w.r.t. the sampled tensor where a scatter kernel exists)', async () => {
      await initBackend(backend);
      const rng = new Rng(2);
      const img = rand([1, 5, 8, 2], rng);
      // Sampling positions a pixel fraction in [0.2, 0.8] away from the integer kinks (eps moves them < 0.01 px), some outside.
      const offset = awayFromKinks([1, 5, 8, 1], rng, (px, xIdx) => (px - xIdx) / 8, -3, 10);
      const grid = tf.concat(
        [awayFromKinks([1, 4, 6, 1], rng, (px) => (2 * px) / 7 - 1, -2, 9), awayFromKinks([1, 4, 6, 1], rng, (py) => (2 * py) / 4 - 1, -2, 6)],
        3,
      );
      const w = rand([1, 5, 8, 2], rng);
      for (const mode of ['border', 'edge'] as const) {
        const f = (o: tf.Tensor) => tf.sum(tf.mul(bilinearSampler1dH(img as tf.Tensor4D, o as tf.Tensor4D, mode), w)) as tf.Scalar;
        expectClose(directionalCheck(f, offset, rng, 1e-3), 2e-2, `1-D ${mode} offset`);
      }
      for (const alignCorners of [true, false]) {
        for (const padding of ['border', 'zeros'] as const) {
          const f = (g: tf.Tensor) => tf.sum(tf.square(gridSample(img as tf.Tensor4D, g as tf.Tensor4D, { alignCorners, padding }))) as tf.Scalar;
          expectClose(directionalCheck(f, grid, rng, 1e-3), 2e-2, `grid ${alignCorners} ${padding}`);
          if (backend === 'cpu' || haveWasmScatter()) {
            const fi = (im: tf.Tensor) => tf.sum(tf.square(gridSample(im as tf.Tensor4D, grid as tf.Tensor4D, { alignCorners, padding }))) as tf.Scalar;
            expectClose(directionalCheck(fi, img, rng, 1e-3), 2e-2, `grid image ${alignCorners} ${padding}`);
          }
        }
      }
      tf.dispose([img, offset, grid, w]);
    });

    it('LR consistency and the monodepth v1 total w.r.t. both disparities', async () => {
      await initBackend(backend);
      const rng = new Rng(3);
      const L = rand([1, 8, 8, 3], rng);
      const R = rand([1, 8, 8, 3], rng);
      const dl = rand([1, 8, 8, 1], rng, 0.02, 0.2);
      const dr = rand([1, 8, 8, 1], rng, 0.02, 0.2);
      const lr = (a: tf.Tensor) => lrConsistencyLoss(a as tf.Tensor4D, dr as tf.Tensor4D);
      if (backend === 'cpu' || haveWasmScatter()) expectClose(directionalCheck(lr, dl, rng, 1e-4, 0.2), 3e-2, 'lr w.r.t. d_l');
      else console.warn('wasm has no UnsortedSegmentSum kernel yet: LR-consistency gradient check skipped on wasm');
      const v1 = (a: tf.Tensor) =>
        monodepthLoss({ leftPyramid: [L as tf.Tensor4D], rightPyramid: [R as tf.Tensor4D], dispLeft: [a as tf.Tensor4D], dispRight: [dr as tf.Tensor4D] }, { lrWeight: backend === 'cpu' || haveWasmScatter() ? 1 : 0 }).total;
      expectClose(directionalCheck(v1, dl, rng, 1e-4, 0.2), 3e-2, 'monodepth v1 total');
      tf.dispose([L, R, dl, dr]);
    });

    it('monodepth2 stereo total w.r.t. each scale disparity (both align-corners variants)', async () => {
      await initBackend(backend);
      const rng = new Rng(4);
      const H = 16;
      const W = 16; // square: the cpu ResizeBilinearGrad rejects non-square inputs until the backend fix lands
      const target = rand([1, H, W, 3], rng) as tf.Tensor4D;
      const source = rand([1, H, W, 3], rng) as tf.Tensor4D;
      const pyramid = [0, 1].map((s) => (s === 0 ? target : (tf.image.resizeBilinear(target, [H >> s, W >> s]) as tf.Tensor4D)));
      const disps = [0, 1].map((s) => rand([1, H >> s, W >> s, 1], rng, 0.05, 0.6) as tf.Tensor4D);
      for (const alignCorners of [false, true]) {
        for (const s of [0, 1]) {
          const f = (d: tf.Tensor) =>
            monodepth2Loss(
              { target, targetPyramid: pyramid, sources: [{ name: 's', image: source, T: stereoTransform('l') }], normalisedK: KITTI_NORMALISED_K, disparities: disps.map((x, i) => (i === s ? (d as tf.Tensor4D) : x)) },
              { alignCorners },
            ).total;
          // A random step can cross a sampler/min kink; a correct gradient matches at (at least) one of three steps.
          const seed = rng.int(0, 1e9);
          const results = [1e-3, 5e-4, 2e-3].map((eps) => directionalCheck(f, disps[s], new Rng(seed), eps, 0.05));
          const best = results.reduce((a, r) => (Math.abs(r.ad - r.fd) < Math.abs(a.ad - a.fd) ? r : a));
          expectClose(best, 2e-2, `monodepth2 ac=${alignCorners} scale ${s}`);
        }
      }
    });
  });
}
