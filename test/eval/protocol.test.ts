import { describe, it, expect } from 'vitest';
import { resizeBilinearCv2, resizeBilinearAlignCorners } from '../../src/eval/resize.js';
import { postProcessDisparity, edgeRampLeftMask } from '../../src/eval/postprocess.js';
import { evaluateDepthImage, predictionToDepth, evaluateKittiStereoImage } from '../../src/eval/protocols.js';
import { predictionValueToDepth, scaleSigmoidDisparity } from '../../src/models/output_convention.js';
import { computeDepthMetrics } from '../../src/eval/metrics.js';
import { decideMedianScaling } from '../../src/eval/run.js';

const map = (rows: number[][], f32 = true) => {
  const h = rows.length;
  const w = rows[0]!.length;
  const data = f32 ? new Float32Array(rows.flat()) : new Float64Array(rows.flat());
  return { data, height: h, width: w };
};

describe('cv2 INTER_LINEAR emulation', () => {
  it('upsamples with half-pixel centres and clamped borders', () => {
    // 1x2 -> 1x4: x = 0.25*(2d+1) - 0.5 -> -0.25 (clamped to S0), 0.25, 0.75, 1.25 (clamped to S1)
    const out = resizeBilinearCv2(map([[0, 4]]), 1, 4);
    expect([...out.data]).toEqual([0, 1, 3, 4]);
    // rows: a border row is blended with itself, still the same value for exact inputs
    const col = resizeBilinearCv2(map([[0], [4]]), 4, 1);
    expect([...col.data]).toEqual([0, 1, 3, 4]);
  });

  it('downsamples by 2 as the mean of pixel pairs and copies at the same size', () => {
    const out = resizeBilinearCv2(map([[0, 2, 4, 8]]), 1, 2);
    expect([...out.data]).toEqual([1, 6]);
    const same = resizeBilinearCv2(map([[1, 2], [3, 4]]), 2, 2);
    expect([...same.data]).toEqual([1, 2, 3, 4]);
  });

  it('float32 arithmetic stays within float32 rounding of the exact result and keeps constants exact', () => {
    const src = { data: new Float32Array(6 * 10).map((_, i) => Math.fround(0.01 + 0.3 * Math.sin(i))), height: 6, width: 10 };
    const a = resizeBilinearCv2(src, 17, 31, 'float32');
    const b = resizeBilinearCv2(src, 17, 31, 'float64');
    let maxRel = 0;
    for (let i = 0; i < a.data.length; i++) maxRel = Math.max(maxRel, Math.abs(a.data[i]! - b.data[i]!) / 0.31);
    // values span +-0.31: a few float32 ulps of that range
    expect(maxRel).toBeLessThan(1e-6);
    expect(maxRel).toBeGreaterThan(0); // the two arithmetics really differ
    const c = resizeBilinearCv2({ data: new Float32Array(12).fill(0.1), height: 3, width: 4 }, 7, 9);
    expect([...c.data].every((v) => v === Math.fround(0.1))).toBe(true);
  });

  it('align_corners=True maps corners onto corners', () => {
    const out = resizeBilinearAlignCorners(map([[0, 2], [4, 6]], false), 3, 3);
    expect([...out.data]).toEqual([0, 1, 2, 2, 3, 4, 4, 5, 6]);
  });
});

describe('flip post-processing (monodepth edge ramps)', () => {
  it('takes the left 5 % from the flipped pass, the right 5 % from the normal pass, averages the centre', () => {
    // W = 21: l_j = j/20, m_l = 1 - clip(j - 1, 0, 1) -> 1 for j <= 1, 0 from j = 2
    const w = 21;
    const d = { data: new Float32Array(w).fill(2), height: 1, width: w };
    const f = { data: new Float32Array(w).fill(4), height: 1, width: w };
    const out = postProcessDisparity(d, f);
    expect(out.data[0]).toBe(4);
    expect(out.data[1]).toBe(4);
    expect(out.data[10]).toBe(3);
    expect(out.data[19]).toBe(2);
    expect(out.data[20]).toBe(2);
  });

  it('ramps linearly and flips the second prediction back', () => {
    // W = 41: l_3 = 0.075 -> m_l = 1 - 20 * 0.025 = 0.5
    const mask = edgeRampLeftMask(41);
    expect(mask[3]).toBeCloseTo(0.5, 12);
    expect(mask[2]).toBe(1);
    expect(mask[4]).toBe(0);
    const w = 41;
    const d = { data: new Float32Array(w).fill(0), height: 1, width: w };
    const f = { data: new Float32Array(w).map((_, j) => j), height: 1, width: w };
    const out = postProcessDisparity(d, f);
    // column 3: m_l = 0.5, m_r = 0: 0.5 * flip(f)[3] + 0.5 * mean = 0.5 * 37 + 0.5 * 18.5
    expect(out.data[3]).toBeCloseTo(0.5 * 37 + 0.5 * 18.5, 5);
    expect(out.data[0]).toBe(40);
  });
});

describe('prediction conventions', () => {
  it('converts each convention to depth', () => {
    const ctx = { targetWidth: 1242, predictionWidth: 512 };
    expect(predictionValueToDepth(0.1, { ...ctx, convention: 'widthFraction', focalTimesBaseline: 721.5377 * 0.54 })).toBeCloseTo((721.5377 * 0.54) / 124.2, 4);
    expect(predictionValueToDepth(10, { ...ctx, convention: 'disparityPx', focalTimesBaseline: 100 })).toBeCloseTo(100 / (10 * (1242 / 512)), 4);
    expect(predictionValueToDepth(0.5, { ...ctx, convention: 'scaledSigmoid' })).toBe(2);
    expect(predictionValueToDepth(7, { ...ctx, convention: 'depth' })).toBe(7);
    // sigmoid 0 -> 1/maxDepth -> depth maxDepth; sigmoid 1 -> depth minDepth
    expect(predictionValueToDepth(0, { ...ctx, convention: 'sigmoid', minDepth: 0.1, maxDepth: 100 })).toBeCloseTo(100, 3);
    expect(predictionValueToDepth(1, { ...ctx, convention: 'sigmoid', minDepth: 0.1, maxDepth: 100 })).toBeCloseTo(0.1, 6);
    expect(scaleSigmoidDisparity(0.5, 0.1, 100)).toBeCloseTo(0.01 + 9.99 * 0.5, 5);
    expect(() => predictionValueToDepth(1, { ...ctx, convention: 'widthFraction' })).toThrow(/focal and baseline/);
  });
});

describe('KITTI depth protocols: clamp order and scaling', () => {
  const gt = map([[10, 10]]);
  const opts = { crop: 'none' as const, gtMask: { kind: 'range' as const, min: 1e-3, max: 80 }, minDepth: 1e-3, maxDepth: 80, scaleFactor: 1 };

  it('monodepth2 median-scales BEFORE clamping (even count: mean of the middle two)', () => {
    const pred = map([[100, 50]]);
    const r = evaluateDepthImage(gt, pred, { ...opts, protocol: 'monodepth2', medianScaling: true });
    // median(pred) = 75 -> ratio 10/75; clamping first would give median 65
    expect(r.ratio).toBeCloseTo(10 / 75, 6);
    const expected = computeDepthMetrics([10, 10], [Math.fround(100 * Math.fround(10 / 75)), Math.fround(50 * Math.fround(10 / 75))]);
    expect(r.metrics.absRel).toBeCloseTo(expected.absRel, 7);
  });

  it('monodepth clamps the prediction first and refuses median scaling', () => {
    const pred = map([[100, 0.0001]]);
    const r = evaluateDepthImage(gt, pred, { ...opts, protocol: 'monodepth', medianScaling: false });
    const expected = computeDepthMetrics([10, 10], [80, Math.fround(1e-3)]);
    expect(r.metrics.rmse).toBeCloseTo(expected.rmse, 9);
    expect(() => evaluateDepthImage(gt, pred, { ...opts, protocol: 'monodepth', medianScaling: true })).toThrow(/no median scaling/);
  });

  it('applies the fixed stereo factor (x5.4) before the clamp, without median scaling', () => {
    const pred = map([[2, 20]]);
    const r = evaluateDepthImage(gt, pred, { ...opts, protocol: 'monodepth2', medianScaling: false, scaleFactor: 5.4 });
    const expected = computeDepthMetrics([10, 10], [Math.fround(2 * Math.fround(5.4)), 80]);
    expect(r.metrics.absRel).toBeCloseTo(expected.absRel, 7);
    expect(r.ratio).toBeUndefined();
  });

  it('maps monodepth2 scaled disparity to depth after the resize (resize the disparity, not the depth)', () => {
    const pred = map([[0.1, 0.5]]);
    const d = predictionToDepth(pred, 1, 4, { convention: 'scaledSigmoid' });
    // resized disparity [0.1, 0.2, 0.4, 0.5] -> depth 1/d
    expect(d.data[1]).toBeCloseTo(1 / 0.2, 5);
    expect(d.data[2]).toBeCloseTo(1 / 0.4, 5);
  });
});

describe('median-scaling guard', () => {
  it('refuses median scaling for stereo-trained models unless forced, and says why', () => {
    expect(() => decideMedianScaling('monodepth2', 'stereo', true, false)).toThrow(/stereo-trained.*metric.*--force-median-scaling/);
    expect(decideMedianScaling('monodepth2', 'stereo', true, true).medianScaling).toBe(true);
    expect(decideMedianScaling('monodepth2', 'mono', undefined, false).medianScaling).toBe(true);
    expect(decideMedianScaling('monodepth2', 'mono+stereo', undefined, false).medianScaling).toBe(false);
    expect(decideMedianScaling('monodepth2', undefined, undefined, false).medianScaling).toBe(false);
  });
});

describe('KITTI 2015 stereo split', () => {
  it('computes D1 and depth metrics from width-fraction disparity on gt > 0 pixels', () => {
    const w = 1242;
    const gtDisp = { data: new Float32Array(w), height: 1, width: w };
    gtDisp.data[0] = 60; // pred 57 -> bad with >=
    gtDisp.data[1] = 100; // pred 100 -> good
    const pred = { data: new Float32Array(w), height: 1, width: w };
    pred.data[0] = 57 / w;
    pred.data[1] = 100 / w;
    const mono = evaluateKittiStereoImage(gtDisp, pred, 'widthFraction', 'monodepth');
    expect(mono.validCount).toBe(2);
    // 57/w*w may not be exactly 57 in float32; the bad count must still be 1 of 2 under >=
    expect(mono.d1All).toBeCloseTo(Math.abs(Math.fround(Math.fround(57 / w) * w) - 60) >= 3 ? 50 : 0, 9);
    const fb = 721.5377 * 0.54;
    expect(mono.metrics.absRel).toBeGreaterThan(0);
    expect(mono.metrics.absRel).toBeCloseTo((Math.abs(fb / 60 - Math.fround(Math.fround(fb) / Math.fround(Math.fround(57 / w) * w))) / (fb / 60)) / 2 + (Math.abs(fb / 100 - Math.fround(Math.fround(fb) / Math.fround(Math.fround(100 / w) * w))) / (fb / 100)) / 2, 9);
    expect(() => evaluateKittiStereoImage({ data: new Float32Array(5), height: 1, width: 5 }, pred, 'widthFraction', 'monodepth')).toThrow(/width->focal/);
  });
});

describe('training-time monitor (monodepth2 compute_depth_losses)', () => {
  it('uses one batch-wide torch-style median (lower middle) and pools pixels over the batch', async () => {
    const { medianLower } = await import('../../src/eval/metrics.js');
    const { trainingMonitorDepthMetrics } = await import('../../src/eval/protocols.js');
    expect(medianLower([1, 2, 3, 4])).toBe(2);
    expect(medianLower([3, 1, 2])).toBe(2);
    // 10x10 maps: Garg crop rows 4..9, cols 0..9 (0.03594771*10 -> 0, 0.96405229*10 -> 9)
    const gt = { data: new Float32Array(100).fill(10), height: 10, width: 10 };
    const pred = { data: new Float32Array(100).fill(20), height: 10, width: 10 };
    const m = trainingMonitorDepthMetrics([gt], [pred], true);
    expect(m.absRel).toBeCloseTo(0, 12);
    const unscaled = trainingMonitorDepthMetrics([gt], [pred], false);
    expect(unscaled.absRel).toBeCloseTo(1, 12);
  });
});
