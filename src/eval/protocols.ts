/**
 * The references' evaluation protocols, one image at a time (ANCHORS §6): the order of resize, conversion,
 * masking, scaling and clamping is what makes numbers comparable with published tables.
 */
import { computeDepthMetrics, median, medianLower, d1All, type DepthMetrics, type D1Comparison } from './metrics.js';
import { cropBox, validIndices, type CropName, type GtMaskRule } from './crops.js';
import { resizeBilinearCv2, resizeBilinearAlignCorners, type PlaneMap } from './resize.js';
import { predictionValueToDepth, toPixelDisparity, type ConversionContext, type PredictionConvention } from '../models/output_convention.js';

/**
 * monodepth: clamp the prediction to [min, max] first, then mask (no median scaling in the reference).
 * monodepth2: mask, multiply by the scale factor, median-scale (mono only), THEN clamp.
 */
export type DepthProtocol = 'monodepth' | 'monodepth2';

export interface DepthEvalOptions {
  protocol: DepthProtocol;
  crop: CropName;
  gtMask: GtMaskRule;
  /** Clamp range of the prediction (KITTI 1e-3..80, NYU 1e-3..10). */
  minDepth: number;
  maxDepth: number;
  /** Fixed factor on the predicted depth (monodepth2 stereo 5.4); 1 = none. */
  scaleFactor: number;
  /** Per-image median(gt) / median(pred) (monodepth2 mono, DistDepth). */
  medianScaling: boolean;
}

export interface DepthImageResult {
  metrics: DepthMetrics;
  /** median(gt) / median(pred) when median scaling ran. */
  ratio?: number;
  validCount: number;
}

/**
 * Evaluates one predicted depth map that is already at GT size. Arithmetic follows numpy on float32 maps:
 * products, the median ratio and its product are rounded to float32; metric sums run in float64.
 */
export function evaluateDepthImage(gt: PlaneMap, predDepth: PlaneMap, opts: DepthEvalOptions, where = 'image'): DepthImageResult {
  const { height, width } = gt;
  if (predDepth.height !== height || predDepth.width !== width) {
    throw new Error(`${where}: prediction is ${predDepth.height}x${predDepth.width} but GT is ${height}x${width}`);
  }
  const idx = validIndices(gt.data, height, width, opts.gtMask, cropBox(opts.crop, height, width));
  if (idx.length === 0) throw new Error(`${where}: no valid GT pixels after mask and ${opts.crop} crop`);
  const gtValid = new Float64Array(idx.length);
  const predValid = new Float64Array(idx.length);
  const f32Pred = predDepth.data instanceof Float32Array;
  const round = f32Pred ? Math.fround : (v: number) => v;
  const clamp = (v: number): number => (v < opts.minDepth ? opts.minDepth : v > opts.maxDepth ? opts.maxDepth : v);
  for (let k = 0; k < idx.length; k++) {
    gtValid[k] = gt.data[idx[k]!]!;
    predValid[k] = predDepth.data[idx[k]!]!;
  }
  let ratio: number | undefined;
  if (opts.protocol === 'monodepth') {
    if (opts.medianScaling) {
      throw new Error(`${where}: the monodepth protocol has no median scaling (its models are stereo-trained); use --protocol monodepth2`);
    }
    // evaluate_kitti.py: depth inf -> 0, then clamp the whole prediction, then mask.
    const factor = round(opts.scaleFactor);
    for (let k = 0; k < predValid.length; k++) {
      let p = predValid[k]!;
      if (opts.scaleFactor !== 1) p = round(p * factor);
      if (!Number.isFinite(p)) p = 0;
      predValid[k] = round(clamp(p));
    }
  } else {
    const factor = round(opts.scaleFactor);
    if (opts.scaleFactor !== 1) for (let k = 0; k < predValid.length; k++) predValid[k] = round(predValid[k]! * factor);
    if (opts.medianScaling) {
      const f32 = f32Pred;
      ratio = f32 ? Math.fround(median(gtValid, { float32: gt.data instanceof Float32Array }) / median(predValid, { float32: true })) : median(gtValid) / median(predValid);
      for (let k = 0; k < predValid.length; k++) predValid[k] = round(predValid[k]! * ratio);
    }
    for (let k = 0; k < predValid.length; k++) predValid[k] = round(clamp(predValid[k]!));
  }
  const metrics = computeDepthMetrics(gtValid, predValid, { float32Ratios: f32Pred && gt.data instanceof Float32Array });
  return ratio === undefined ? { metrics, validCount: idx.length } : { metrics, ratio, validCount: idx.length };
}

export type ResizeKind = 'cv2' | 'alignCorners';

/**
 * Turns one raw prediction (convention values at prediction size) into depth at GT size: resize the VALUES
 * first (the references resize disparity, not depth), then convert per convention. Float32 output.
 */
export function predictionToDepth(
  pred: PlaneMap,
  height: number,
  width: number,
  ctx: Omit<ConversionContext, 'targetWidth' | 'predictionWidth'>,
  resize: ResizeKind = 'cv2',
): PlaneMap {
  const resized = resize === 'cv2' ? resizeBilinearCv2(pred, height, width) : resizeBilinearAlignCorners(pred, height, width);
  const full: ConversionContext = { ...ctx, targetWidth: width, predictionWidth: pred.width };
  const out = new Float32Array(height * width);
  for (let i = 0; i < out.length; i++) out[i] = predictionValueToDepth(resized.data[i]!, full);
  return { data: out, height, width };
}

/** KITTI 2015 stereo split result for one image (monodepth `evaluate_kitti.py --split kitti`). */
export interface KittiStereoImageResult extends DepthImageResult {
  d1All: number;
}

/** monodepth's width -> focal table for KITTI 2015 (baseline 0.54 m), ANCHORS §5.1. */
export const KITTI_WIDTH_TO_FOCAL: Readonly<Record<number, number>> = {
  1242: 721.5377,
  1241: 718.856,
  1224: 707.0493,
  1238: 718.3351,
};
export const KITTI_BASELINE = 0.54;

/**
 * KITTI 2015 stereo protocol: gt disparity (uint16 / 256) mask > 0; prediction resized (cv2) and converted to
 * pixels at GT width; gt depth = f(W) 0.54 / gt_disp (float64, as numpy promotes it), pred depth =
 * float32(f(W) 0.54) / pred_disp; prediction clamped to [1e-3, 80] then the depth metrics on the mask;
 * D1-all on the same mask with `comparison` ('monodepth' >=, 'devkit' >).
 * For depth-valued conventions the pixel disparity is f 0.54 / depth.
 */
export function evaluateKittiStereoImage(
  gtDisp: PlaneMap,
  pred: PlaneMap,
  convention: PredictionConvention,
  comparison: D1Comparison,
  where = 'image',
  depthCtx: { minDepth?: number; maxDepth?: number } = {},
): KittiStereoImageResult {
  const { height, width } = gtDisp;
  const focal = KITTI_WIDTH_TO_FOCAL[width];
  if (focal === undefined) {
    throw new Error(`${where}: GT width ${width} is not in the KITTI 2015 width->focal table (1242, 1241, 1224, 1238)`);
  }
  const fb = focal * KITTI_BASELINE;
  const fb32 = Math.fround(fb);
  const resized = resizeBilinearCv2(pred, height, width);
  const ctx: ConversionContext = {
    convention,
    targetWidth: width,
    predictionWidth: pred.width,
    focalTimesBaseline: fb,
    ...depthCtx,
  };
  const gtD: number[] = [];
  const predD: number[] = [];
  const gtDepth: number[] = [];
  const predDepth: number[] = [];
  for (let i = 0; i < height * width; i++) {
    const g = gtDisp.data[i]!;
    if (!(g > 0)) continue;
    let dPx: number;
    let depth: number;
    if (convention === 'widthFraction' || convention === 'disparityPx') {
      dPx = toPixelDisparity(resized.data[i]!, ctx);
      depth = Math.fround(fb32 / dPx);
    } else {
      depth = predictionValueToDepth(resized.data[i]!, ctx);
      dPx = Math.fround(fb32 / depth);
    }
    if (!Number.isFinite(depth)) depth = 0;
    depth = depth < 1e-3 ? 1e-3 : depth > 80 ? 80 : depth;
    gtD.push(g);
    predD.push(dPx);
    gtDepth.push(fb / g);
    predDepth.push(Math.fround(depth));
  }
  if (gtD.length === 0) throw new Error(`${where}: GT disparity has no valid (> 0) pixel`);
  return {
    metrics: computeDepthMetrics(gtDepth, predDepth, { float32Ratios: false }),
    d1All: d1All(gtD, predD, comparison),
    validCount: gtD.length,
  };
}

/**
 * monodepth2's training-time depth monitor (`trainer.compute_depth_losses`), for the trainer's validation:
 * predictions already upsampled to GT size (375x1242 there), mask gt > 0 inside the Garg crop, ONE median ratio
 * over the whole batch with torch.median (lower middle value; `medianScaling` false for stereo models), clamp to
 * [1e-3, 80], and the metrics over all batch pixels at once (not averaged per image).
 */
export function trainingMonitorDepthMetrics(gt: PlaneMap[], predDepth: PlaneMap[], medianScaling: boolean): DepthMetrics {
  if (gt.length !== predDepth.length || gt.length === 0) {
    throw new Error(`trainingMonitorDepthMetrics: ${gt.length} GT maps and ${predDepth.length} predictions; expected the same non-zero count`);
  }
  const g: number[] = [];
  const p: number[] = [];
  gt.forEach((map, i) => {
    const pred = predDepth[i]!;
    if (pred.height !== map.height || pred.width !== map.width) {
      throw new Error(`trainingMonitorDepthMetrics: prediction ${i} is ${pred.height}x${pred.width}, GT is ${map.height}x${map.width}`);
    }
    for (const k of validIndices(map.data, map.height, map.width, { kind: 'positive' }, cropBox('garg', map.height, map.width))) {
      g.push(map.data[k]!);
      p.push(pred.data[k]!);
    }
  });
  if (g.length === 0) throw new Error('trainingMonitorDepthMetrics: no GT pixel > 0 inside the Garg crop');
  const ratio = medianScaling ? medianLower(g) / medianLower(p) : 1;
  const scaled = p.map((v) => Math.min(Math.max(v * ratio, 1e-3), 80));
  return computeDepthMetrics(g, scaled, { float32Ratios: false });
}
