import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScaledPng16 } from '../../src/eval/gt.js';
import { evaluateKittiStereoImage, type KittiStereoImageResult } from '../../src/eval/protocols.js';
import { runEvaluation } from '../../src/eval/run.js';
import { encodeNpy } from '../../src/io/npy.js';
import type { PlaneMap } from '../../src/eval/resize.js';
import { fixtureData, repoRoot } from '../helpers/fixtures.js';

/**
 * Reference values: an independent numpy 2.4 implementation of monodepth's `evaluate_kitti.py --split kitti`
 * steps (float32 GT / 256, pred depth = float32(721.5377 * 0.54) / pred_disp in float32, so 0 -> inf, then
 * clamp to [1e-3, 80]; gt depth in float64; metrics on gt > 0; D1 with >=) run on the devkit sample.
 */
const REF_DEVKIT_ESTIMATE = {
  absRel: 0.08994842259527588, sqRel: 1.8409832104917565, rmse: 5.171759971158352, rmseLog: 0.19093911284432033,
  a1: 0.9386306882489266, a2: 0.9612309792860607, a3: 0.9766451682446149, d1All: 13.626646066507375,
};
/** Same, with est[::7, ::5] = 0 and est[1::11, ::13] = -1.5 (3408 zero and 781 negative disparities on valid GT). */
const REF_WITH_ZEROS = {
  absRel: 0.3642829691482396, sqRel: 21.521896567249428, rmse: 12.91644922410214, rmseLog: 0.8794666913305756,
  a1: 0.9052422614663241, a2: 0.9272586817095737, a3: 0.9423494960745917, d1All: 16.71128038373785,
};

const sample = (f: string) => join(fixtureData, 'kitti_stereo2015_devkit', f);

function expectMatches(r: KittiStereoImageResult, ref: Record<string, number>): void {
  for (const [k, want] of Object.entries(ref)) {
    const got = k === 'd1All' ? r.d1All : r.metrics[k as keyof typeof r.metrics];
    expect(Math.abs(got - want) / Math.abs(want), `${k}: ${got} vs reference ${want}`).toBeLessThan(1e-6);
  }
}

function withZerosAndNegatives(est: PlaneMap): PlaneMap {
  const data = Float32Array.from(est.data);
  for (let y = 0; y < est.height; y++) {
    for (let x = 0; x < est.width; x++) {
      if (y % 7 === 0 && x % 5 === 0) data[y * est.width + x] = 0;
      if (y % 11 === 1 && x % 13 === 0) data[y * est.width + x] = -1.5;
    }
  }
  return { data, height: est.height, width: est.width };
}

describe('KITTI 2015 (monodepth --split kitti) on the devkit sample: all eight metrics at rtol 1e-6', () => {
  it('the devkit example estimate (199 zero disparities on valid GT -> depth 80 m, not 1e-3)', async () => {
    const gt = await readScaledPng16(sample('disp_gt.png'), 256);
    const est = await readScaledPng16(sample('disp_est.png'), 256);
    expectMatches(evaluateKittiStereoImage(gt, est, 'disparityPx', 'monodepth'), REF_DEVKIT_ESTIMATE);
  });
  it('zero disparity clamps to max depth, negative disparity to min depth', async () => {
    const gt = await readScaledPng16(sample('disp_gt.png'), 256);
    const est = withZerosAndNegatives(await readScaledPng16(sample('disp_est.png'), 256));
    expectMatches(evaluateKittiStereoImage(gt, est, 'disparityPx', 'monodepth'), REF_WITH_ZEROS);
  });
  it('the widthFraction convention (monodepth output) gives the same numbers', async () => {
    const gt = await readScaledPng16(sample('disp_gt.png'), 256);
    const est = await readScaledPng16(sample('disp_est.png'), 256);
    const frac = { ...est, data: est.data.map((v) => v / est.width) };
    const r = evaluateKittiStereoImage(gt, frac, 'widthFraction', 'monodepth');
    // x / W * W is not always x in float32: compare at a looser tolerance than the exact-input case
    for (const k of ['absRel', 'rmse', 'a1'] as const) expect(r.metrics[k]).toBeCloseTo(REF_DEVKIT_ESTIMATE[k], 5);
  });
});

describe('eval input checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-evalchk-'));
  const npy = (name: string, shape: number[], data: Float32Array) => {
    const p = join(dir, name);
    writeFileSync(p, encodeNpy({ shape, data }));
    return p;
  };
  it('a transposed prediction (1242x375 for a 375x1242 GT) is an error unless --allow-resize', async () => {
    const gt = await readScaledPng16(sample('disp_gt.png'), 256);
    const gtPath = npy('gt.npy', [1, 375, 1242], gt.data as Float32Array);
    const pred = npy('pred_t.npy', [1, 1242, 375], new Float32Array(1242 * 375).fill(0.05));
    const opts = { split: 'kitti' as const, predPath: pred, gtPath, repoRoot, convention: 'widthFraction' as const };
    await expect(runEvaluation(opts)).rejects.toThrow(/pred_t\.npy: image 0 is 1242x375 .* GT in .*gt\.npy is 375x1242.*--allow-resize/);
    const r = await runEvaluation({ ...opts, allowResize: true });
    expect(r.count).toBe(1);
    // the usual network sizes keep working: monodepth 256x512 and monodepth2 192x640 against 375x1242
    for (const [h, w] of [[256, 512], [192, 640]] as const) {
      const p = npy(`pred_${h}.npy`, [1, h, w], new Float32Array(h * w).fill(0.05));
      expect((await runEvaluation({ ...opts, predPath: p })).count).toBe(1);
    }
  });
  it('NaN or Inf in the GT is an error naming the file, image and pixel (never silently masked)', async () => {
    const g = new Float32Array(2 * 4 * 6).fill(10);
    g[4 * 6 + 6 + 2] = Infinity; // image 1, row 1, col 2
    const gtPath = npy('gt_inf.npy', [2, 4, 6], g);
    const pred = npy('pred_ok.npy', [2, 4, 6], new Float32Array(2 * 4 * 6).fill(0.01));
    await expect(runEvaluation({ split: 'kitti', predPath: pred, gtPath, repoRoot, convention: 'widthFraction' })).rejects.toThrow(
      /gt_inf\.npy: GT image 1 has Infinity at row 1, col 2/,
    );
  });
});

describe('texts that must not mislead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-evalnote-'));
  const npy = (name: string, data: number[]) => {
    const p = join(dir, name);
    writeFileSync(p, encodeNpy({ shape: [1, 2, 3], data: Float32Array.from(data) }));
    return p;
  };
  it("eval does not call a stated metric prediction 'training units'; it says so only when no scale factor is stated", async () => {
    const gtPath = npy('gt.npy', [10, 20, 30, 10, 20, 30]);
    const predPath = npy('pred.npy', [0.1, 0.05, 0.03, 0.1, 0.05, 0.03]);
    const base = { split: 'eigen_benchmark' as const, predPath, gtPath, repoRoot, protocol: 'monodepth2' as const, crop: 'none' as const };
    const stated = await runEvaluation({ ...base, sidecar: { convention: 'sigmoid', trainedWith: 'stereo', scaleFactor: 1, minDepth: 0.1, maxDepth: 100 } });
    expect(stated.notes.join('\n')).not.toMatch(/training units|no scale factor stated/);
    const unstated = await runEvaluation({ ...base, sidecar: { convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100 } });
    expect(unstated.notes.join('\n')).toMatch(/no scale factor stated .* read as metres/);
  });
  it("quickstart.yaml's duration agrees with the README's measurement", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const yaml = readFileSync(join(repoRoot, 'configs/synthetic/quickstart.yaml'), 'utf8');
    const measured = /took (\d+) min (\d+) s/.exec(readme)!;
    expect(yaml).toContain(`${measured[1]} min ${measured[2]} s`);
    expect(yaml).not.toMatch(/about 15 minutes/);
  });
});
