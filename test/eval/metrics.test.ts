import { describe, it, expect } from 'vitest';
import { computeDepthMetrics, median, d1All, fastDepthMetrics, maiMetrics, averageMetrics } from '../../src/eval/metrics.js';
import { cropBox, validIndices } from '../../src/eval/crops.js';

describe('computeDepthMetrics (monodepth/monodepth2 compute_errors)', () => {
  it('matches hand-computed values on a tiny example', () => {
    const gt = [2, 4, 10];
    const pred = [1, 5, 10];
    const m = computeDepthMetrics(gt, pred);
    expect(m.absRel).toBeCloseTo((1 / 2 + 1 / 4 + 0) / 3, 12);
    expect(m.sqRel).toBeCloseTo((1 / 2 + 1 / 4 + 0) / 3, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt((1 + 1 + 0) / 3), 12);
    expect(m.rmseLog).toBeCloseTo(Math.sqrt((Math.log(2) ** 2 + Math.log(4 / 5) ** 2) / 3), 12);
    // ratios: 2, 1.25, 1 -> a1 counts only 1 (strict <), a2 (1.5625) counts 1.25 and 1, a3 (1.953125) too; 2 is out.
    expect(m.a1).toBeCloseTo(1 / 3, 12);
    expect(m.a2).toBeCloseTo(2 / 3, 12);
    expect(m.a3).toBeCloseTo(2 / 3, 12);
  });

  it('a ratio exactly 1.25 (either direction) is not within a1', () => {
    expect(computeDepthMetrics([1.25], [1]).a1).toBe(0);
    expect(computeDepthMetrics([1], [1.25]).a1).toBe(0);
    expect(computeDepthMetrics([1], [1.2499]).a1).toBe(1);
    expect(computeDepthMetrics([1], [1.5625]).a2).toBe(0);
    expect(computeDepthMetrics([1], [1.953125]).a3).toBe(0);
  });

  it('agrees with an independent float64 implementation on random data', () => {
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const gt: number[] = [];
    const pred: number[] = [];
    for (let i = 0; i < 500; i++) {
      gt.push(1 + 79 * rand());
      pred.push(1 + 79 * rand());
    }
    const m = computeDepthMetrics(gt, pred, { float32Ratios: false });
    const mean = (f: (g: number, p: number) => number) => gt.reduce((a, g, i) => a + f(g, pred[i]!), 0) / gt.length;
    expect(m.absRel).toBeCloseTo(mean((g, p) => Math.abs(g - p) / g), 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(mean((g, p) => (g - p) ** 2)), 10);
    expect(m.a1).toBeCloseTo(mean((g, p) => (Math.max(g / p, p / g) < 1.25 ? 1 : 0)), 12);
  });

  it('rejects empty and mismatched input with a message', () => {
    expect(() => computeDepthMetrics([], [])).toThrow(/no valid pixels/);
    expect(() => computeDepthMetrics([1], [1, 2])).toThrow(/equal lengths/);
  });

  it('averages per image, not per pixel', () => {
    const a = computeDepthMetrics([1, 1, 1, 1], [2, 2, 2, 2]); // absRel 1
    const b = computeDepthMetrics([1], [1]); // absRel 0
    expect(averageMetrics([a, b]).absRel).toBe(0.5);
  });
});

describe('median (numpy semantics)', () => {
  it('averages the two middle values for even counts', () => {
    expect(median([1, 4, 2, 3])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 0])).toBe(5);
  });
});

describe('D1-all', () => {
  it('counts |Δd| = 3 px and Δd/d = 5 % as bad with monodepth >=, good with devkit >', () => {
    // gt 60, pred 57: diff 3, relative 0.05 exactly
    expect(d1All([60], [57], 'monodepth')).toBe(100);
    expect(d1All([60], [57], 'devkit')).toBe(0);
    // both conditions needed: diff 3 but relative 3/100 < 5 %
    expect(d1All([100], [97], 'monodepth')).toBe(0);
    // relative 0.5 but diff 1 < 3
    expect(d1All([2], [3], 'monodepth')).toBe(0);
    expect(d1All([60, 60, 100, 10], [57, 60, 97, 2])).toBe(50);
  });
});

describe('crops (int truncation like numpy astype(int32))', () => {
  it('gives the exact Garg and Eigen bounds for KITTI sizes', () => {
    expect(cropBox('garg', 375, 1242)).toEqual({ top: 153, bottom: 371, left: 44, right: 1197 });
    expect(cropBox('eigen', 375, 1242)).toEqual({ top: 124, bottom: 342, left: 44, right: 1197 });
    // 370x1224: 0.99189189*370 = 366.99999... -> 366 and 0.03594771*1224 = 43.99999... -> 43
    expect(cropBox('garg', 370, 1224)).toEqual({ top: 151, bottom: 366, left: 43, right: 1180 });
    expect(cropBox('eigen', 370, 1224)).toEqual({ top: 122, bottom: 337, left: 43, right: 1180 });
    expect(cropBox('garg', 352, 1216)).toEqual({ top: 143, bottom: 349, left: 43, right: 1172 });
    expect(cropBox('garg', 100, 200)).toEqual({ top: 40, bottom: 99, left: 7, right: 192 });
    expect(cropBox('none', 5, 6)).toEqual({ top: 0, bottom: 5, left: 0, right: 6 });
  });

  it('masks with open range (min < gt < max) inside the crop only', () => {
    const gt = [0.001, 0.0011, 80, 79.9, 5, 5];
    // 2 x 3 map, crop rows [0,1) cols [0,3)
    const idx = validIndices(gt, 2, 3, { kind: 'range', min: 1e-3, max: 80 }, { top: 0, bottom: 1, left: 0, right: 3 });
    expect([...idx]).toEqual([1]);
    const idxAll = validIndices(gt, 2, 3, { kind: 'range', min: 1e-3, max: 80 }, cropBox('none', 2, 3));
    expect([...idxAll]).toEqual([1, 3, 4, 5]);
    const inclusive = validIndices([10, 10.5], 1, 2, { kind: 'range', min: 0.01, max: 10, maxInclusive: true }, cropBox('none', 1, 2));
    expect([...inclusive]).toEqual([0]);
  });
});

describe('fast-depth NYU metrics', () => {
  it('keeps the OR mask quirk: a pixel with gt = 0 but pred > 0 is evaluated', () => {
    const m = fastDepthMetrics([0, 2], [1, 2]);
    expect(m.rmseMm).toBeCloseTo(Math.sqrt(1000 ** 2 / 2), 9);
    expect(m.rmseMetres).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(m.maeMm).toBeCloseTo(500, 9);
    // both zero -> excluded
    const m2 = fastDepthMetrics([0, 2, 4], [0, 2, 2]);
    expect(m2.maeMm).toBeCloseTo(1000, 9);
    expect(m2.lg10).toBeCloseTo(Math.log10(2) / 2, 12);
    expect(m2.delta1).toBe(0.5);
    expect(m2.irmse).toBeCloseTo(Math.sqrt((1 / 2000 - 1 / 4000) ** 2 / 2), 15);
  });
});

describe('MAI 2021 metrics', () => {
  it('matches the hand-computed si-RMSE, RMSE, LOG10, REL', () => {
    const m = maiMetrics([1000, 2000, 0], [1000, 1000, 5]);
    expect(m.rmse).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(m.siRmse).toBeCloseTo(Math.log(2) / 2, 12);
    expect(m.log10).toBeCloseTo(Math.log10(2) / 2, 12);
    expect(m.rel).toBeCloseTo(0.25, 12);
  });
});
