import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { photometricError, smoothnessLoss, ssim } from '../../src/losses/photometric.js';
import { BACKENDS, goldenNHWC, goldenRaw, maxAbsDiff } from '../geometry/golden.js';

for (const backend of BACKENDS) {
  describe(`loss goldens (monodepth2 layers.py) on ${backend}`, () => {
    it('SSIM maps and reprojection loss, independent and correlated pairs (atol 1e-5)', async () => {
      await initBackend(backend);
      const x = goldenNHWC('ssim_x');
      for (const [yName, tag] of [['ssim_y', 'indep'], ['ssim_y_corr', 'corr']] as const) {
        const y = goldenNHWC(yName);
        const before = tf.memory().numTensors;
        const map = ssim(x, y, 'reflect');
        const reproj = photometricError(x, y);
        expect(tf.memory().numTensors).toBe(before + 2);
        expect(maxAbsDiff(map, goldenNHWC(`ssim_map_${tag}`)), `ssim ${tag}`).toBeLessThan(1e-5);
        expect(maxAbsDiff(reproj, goldenNHWC(`reproj_loss_${tag}`)), `reproj ${tag}`).toBeLessThan(1e-5);
        // valid padding drops the 1-px ring and equals the reflect map in the interior
        const valid = ssim(x, y, 'valid');
        expect(valid.shape).toEqual([1, 62, 94, 3]);
        expect(maxAbsDiff(valid, tf.slice(map, [0, 1, 1, 0], [1, 62, 94, 3]))).toBeLessThan(1e-6);
      }
    });

    it('edge-aware smoothness on raw and mean-normalised disparity (rtol 1e-5)', async () => {
      await initBackend(backend);
      const img = goldenNHWC('smooth_img');
      const disp = goldenNHWC('smooth_disp');
      const raw = smoothnessLoss(disp, img).dataSync()[0];
      const norm = smoothnessLoss(disp, img, { normalize: true }).dataSync()[0];
      const rawRef = goldenRaw('smooth_loss_rawdisp').dataSync()[0];
      const normRef = goldenRaw('smooth_loss_normdisp').dataSync()[0];
      expect(Math.abs(raw - rawRef) / rawRef).toBeLessThan(1e-5);
      expect(Math.abs(norm - normRef) / normRef).toBeLessThan(1e-5);
      // the normalisation itself, as Trainer.compute_losses writes it
      const normDisp = tf.div(disp, tf.add(tf.mean(tf.mean(disp, 1, true), 2, true), 1e-7));
      expect(maxAbsDiff(normDisp, goldenNHWC('smooth_norm_disp'))).toBeLessThan(1e-5);
    });
  });
}
