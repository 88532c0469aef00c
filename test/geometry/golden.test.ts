import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { backprojectDepth, batchMat4, invertMat4, KITTI_NORMALISED_K, project3d, scaleIntrinsics, stereoTransform, warpByDepth } from '../../src/geometry/camera.js';
import { bilinearSampler1dH, gridSample } from '../../src/geometry/sampler.js';
import { BACKENDS, goldenNHWC, maxAbsDiff } from './golden.js';

for (const backend of BACKENDS) {
  describe(`geometry goldens on ${backend}`, () => {
    it('monodepth v1 bilinear_sampler_1d_h (zero ring border) and both grid_sample variants', async () => {
      await initBackend(backend);
      const right = goldenNHWC('warp_right_img');
      const dispPx = goldenNHWC('warp_disp_px');
      const W = right.shape[2];
      const offset = tf.div(tf.neg(dispPx), W) as tf.Tensor4D;
      const md1 = bilinearSampler1dH(right, offset, 'border');
      const md1Ref = goldenNHWC('warp_md1_bilinear_sampler_1d_h');
      expect(maxAbsDiff(md1, md1Ref)).toBeLessThan(1e-5);
      // 'edge' differs from the zero ring exactly where samples leave the image (columns 0..5 have +8 px).
      const edge = bilinearSampler1dH(right, offset, 'edge');
      expect(maxAbsDiff(edge, md1Ref)).toBeGreaterThan(1e-2);

      const grid = tf.transpose(goldenNHWC('warp_grid'), [0, 3, 1, 2]) as tf.Tensor4D; // stored N,H,W,2 read as NCHW
      for (const ac of [true, false]) {
        const out = gridSample(right, grid, { alignCorners: ac, padding: 'border' });
        const ref = goldenNHWC(`warp_gridsample_ac_${ac}_border`);
        expect(maxAbsDiff(out, ref), `align_corners=${ac}`).toBeLessThan(1e-5);
        out.dispose();
        ref.dispose();
      }
      // ac=true + border equals the 1-D edge sampler at integer rows.
      expect(maxAbsDiff(edge, gridSample(right, grid, { alignCorners: true, padding: 'border' }))).toBeLessThan(1e-5);
            const before = tf.memory().numTensors;
      const again = bilinearSampler1dH(right, offset, 'border');
      again.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([right, dispPx, offset, md1, md1Ref, edge, grid]);
    });

    it('monodepth2 BackprojectDepth + Project3D grid, and the horizontal fast path equals the 2-D path', async () => {
      await initBackend(backend);
      const right = goldenNHWC('warp_right_img');
      const dispPx = goldenNHWC('warp_disp_px');
      const [, H, W] = right.shape;
      const K = scaleIntrinsics(KITTI_NORMALISED_K, W, H);
      const Kt = batchMat4(K, 1);
      const invKt = batchMat4(invertMat4(K), 1);
      const T = batchMat4(stereoTransform('l'), 1);
      const depth = tf.div(tf.scalar(K[0][0] * 0.1), dispPx) as tf.Tensor4D;
      const grid = project3d(backprojectDepth(depth, invKt), Kt, T, H, W);
      const ref = tf.transpose(goldenNHWC('warp_md2_project3d_grid'), [0, 3, 1, 2]);
      expect(maxAbsDiff(grid, ref)).toBeLessThan(1e-5);
      const slow = warpByDepth(right, depth, Kt, invKt, T, { alignCorners: true });
      const fast = warpByDepth(right, depth, Kt, invKt, T, { alignCorners: true, horizontalFastPath: true });
      // The projected y is an integer only up to ~6e-7 (normalised), so the 2-D path mixes rows by ~2e-5 px.
      expect(maxAbsDiff(slow.warped, fast.warped)).toBeLessThan(5e-5);
      expect(maxAbsDiff(fast.warped, goldenNHWC('warp_gridsample_ac_true_border'))).toBeLessThan(5e-5);
      // The golden warp used the analytic grid; the projected one differs by up to 6e-7 (normalised) => ~2e-5 in values.
      expect(maxAbsDiff(slow.warped, goldenNHWC('warp_gridsample_ac_true_border'))).toBeLessThan(5e-5);
      tf.disposeVariables();
    });
  });
}
