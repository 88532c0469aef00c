/**
 * The monodepth2 stereo loss assembled from its parts and anchored to the golden warps: a disparity whose depth is fx*0.1/d_px
 * makes the loss's own BackprojectDepth/Project3D + grid_sample reproduce `warp_gridsample_ac_*_border`, so the loss must
 * equal mean(min(identity, reprojection)) + 1e-3 * smoothness computed from the golden warp independently.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { KITTI_NORMALISED_K, stereoTransform } from '../../src/geometry/camera.js';
import { resizeBilinearTorch } from '../../src/geometry/resize.js';
import { MONODEPTH2_PRESET, monodepth2Loss } from '../../src/losses/monodepth2.js';
import { photometricError, smoothnessLoss } from '../../src/losses/photometric.js';
import { Rng } from '../../src/util/random.js';
import { goldenNHWC } from '../geometry/golden.js';

describe('monodepth2Loss (stereo, golden-anchored)', () => {
  it('equals min reprojection with auto-mask + 1e-3 smoothness built from the golden warps, for both align-corners variants', async () => {
    await initBackend('wasm');
    const right = goldenNHWC('warp_right_img');
    const target = goldenNHWC('ssim_x'); // any 1x64x96x3 image in [0,1]
    const dispPx = goldenNHWC('warp_disp_px');
    const [, H, W] = right.shape;
    const fx = KITTI_NORMALISED_K[0][0] * W;
    // depth = fx*0.1/d_px  <=>  scaled disparity = d_px/(fx*0.1) = 0.01 + (10 - 0.01) * sigmoid
    const sigmoidDisp = tf.div(tf.sub(tf.div(dispPx, fx * 0.1), 0.01), 10 - 0.01) as tf.Tensor4D;
    for (const alignCorners of [true, false]) {
      const r = monodepth2Loss(
        { target, targetPyramid: [target], disparities: [sigmoidDisp], sources: [{ name: 's', image: right, T: stereoTransform('l') }], normalisedK: KITTI_NORMALISED_K },
        { alignCorners, returnMaps: true },
      );
      const warped = goldenNHWC(`warp_gridsample_ac_${alignCorners}_border`);
      const expected = tf.tidy(() => {
        const stack = tf.concat([photometricError(right, target), photometricError(warped, target)], -1);
        return tf.add(tf.mean(tf.min(stack, -1)), tf.mul(smoothnessLoss(sigmoidDisp, target, { normalize: true }), 1e-3));
      });
      const got = r.total.dataSync()[0];
      const want = expected.dataSync()[0];
      // the golden warp used the analytic grid, ours the projected one (<= 6e-7 apart): ~2e-5 per pixel at most
      expect(Math.abs(got - want) / want, `align_corners=${alignCorners}: ${got} vs ${want}`).toBeLessThan(2e-5);
      const mask = r.maps!['identitySelection/0'];
      const frac = tf.mean(mask).dataSync()[0];
      expect(frac).toBeGreaterThan(0.2);
      expect(frac).toBeLessThan(1);
      tf.dispose([r.total, ...Object.values(r.parts), mask, warped, expected]);
    }
  });

  it('multiscale: total = mean_s (L_p^s + 1e-3 L_s^s / 2^s), leak-free, tie-break noise seeded and off by default', async () => {
    await initBackend('wasm');
    const rng = new Rng(11);
    const mk = (shape: number[], lo = 0, hi = 1) => tf.tensor4d(new Float32Array(shape.reduce((a, b) => a * b)).map(() => rng.uniform(lo, hi)), shape as [number, number, number, number]);
    const H = 16, W = 24;
    const target = mk([2, H, W, 3]);
    const source = mk([2, H, W, 3]);
    const pyramid = [0, 1, 2, 3].map((s) => (s === 0 ? target : resizeBilinearTorch(target, H >> s, W >> s)));
    const disps = [0, 1, 2, 3].map((s) => mk([2, H >> s, W >> s, 1], 0.05, 0.5));
    const inputs = { target, targetPyramid: pyramid, disparities: disps, sources: [{ name: 's', image: source, T: stereoTransform('r', true) }], normalisedK: KITTI_NORMALISED_K };
    const before = tf.memory().numTensors;
    const r = monodepth2Loss(inputs);
    const perScale = [0, 1, 2, 3].map((s) => r.parts[`loss/${s}`].dataSync()[0]);
    perScale.forEach((v, s) => {
      const expected = r.parts[`reprojection/${s}`].dataSync()[0] + (1e-3 * r.parts[`smoothness/${s}`].dataSync()[0]) / 2 ** s;
      expect(v).toBeCloseTo(expected, 6);
    });
    expect(r.total.dataSync()[0]).toBeCloseTo(perScale.reduce((a, b) => a + b) / 4, 6);
    tf.dispose([r.total, ...Object.values(r.parts)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(MONODEPTH2_PRESET.tieBreakRng).toBeNull();
    const a = monodepth2Loss(inputs, { tieBreakRng: new Rng(3) }).total.dataSync()[0];
    const b = monodepth2Loss(inputs, { tieBreakRng: new Rng(3) }).total.dataSync()[0];
    expect(a).toBe(b);
  });
});
