/**
 * The KITTI splits: Eigen (velodyne GT, monodepth / monodepth2 protocols), the Eigen benchmark split (improved GT
 * PNGs) and KITTI 2015 stereo (disp_noc_0, monodepth's D1-all).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { readRawStereoRig } from '../io/kitti_calib.js';
import type { CropName } from './crops.js';
import { exportGtMaps } from './export_gt.js';
import { readGtFile, readScaledPng16, type parseMonodepth2Split } from './gt.js';
import { median } from './metrics.js';
import { evaluateDepthImage, evaluateKittiStereoImage, predictionToDepth } from './protocols.js';
import type { PlaneMap } from './resize.js';
import { checkCount, decideMedianScaling, readSplitLines, type EvalContext } from './run_context.js';

type SplitLines = ReturnType<typeof parseMonodepth2Split>;

/** The Eigen / Eigen-benchmark GT: a cached stack (--gt) or built from the raw data as export-gt would. */
async function kittiDepthGt(ctx: EvalContext, splitPath: string): Promise<PlaneMap[]> {
  const { opts } = ctx;
  if (opts.gtPath) return readGtFile(opts.gtPath);
  if (!opts.dataPath) {
    throw new Error(`split ${opts.split} needs --gt <gt.npz> (create it once with: stereodepth export-gt --split ${opts.split} --data-path <kitti raw>)` + ' or --data-path <kitti raw>');
  }
  // No cache: build the GT exactly as export-gt would (slower; export-gt once and pass --gt to repeat runs).
  ctx.notes.push(`GT computed from ${opts.dataPath} (${opts.split === 'eigen' ? 'velodyne' : 'improved GT PNGs'}); cache it with stereodepth export-gt`);
  return exportGtMaps(opts.split as 'eigen' | 'eigen_benchmark', opts.dataPath, splitPath);
}

/** focal x baseline for image i of a pixel-disparity prediction: flags, the drive's calibration, or the sidecar. */
async function focalTimesBaselineFor(ctx: EvalContext, i: number, gt: PlaneMap, lines: SplitLines, calib: Map<string, { focal: number; baseline: number }>): Promise<number> {
  const { opts } = ctx;
  const sidecar = opts.sidecar;
  if (opts.focal !== undefined && opts.baseline !== undefined) return opts.focal * opts.baseline;
  if (opts.dataPath && lines[i]) {
    const date = lines[i]!.folder.split('/')[0]!;
    let fb = calib.get(date);
    if (!fb) calib.set(date, (fb = await readRawStereoRig(join(opts.dataPath, date, 'calib_cam_to_cam.txt'))));
    return fb.focal * fb.baseline;
  }
  if (sidecar?.focal !== undefined && sidecar.baseline !== undefined) return sidecar.focal * (gt.width / (sidecar.width ?? gt.width)) * sidecar.baseline;
  throw new Error(`convention ${ctx.convention} needs focal and baseline: pass --data-path <kitti raw> (calibration), or --focal and --baseline`);
}

/** Eigen and Eigen benchmark: depth per image through the convention, monodepth / monodepth2 protocol, Garg crop. */
export async function evaluateKittiDepth(ctx: EvalContext): Promise<void> {
  const { opts, protocol, convention, trainedWith, scaleFactor, preds, notes } = ctx;
  if (protocol !== 'monodepth' && protocol !== 'monodepth2') throw new Error(`--protocol ${protocol} does not apply to split ${opts.split}; use monodepth or monodepth2`);
  const { lines, path: splitPath } = readSplitLines(opts, opts.split === 'eigen' ? 'monodepth2/eigen/test_files.txt' : 'monodepth2/eigen_benchmark/test_files.txt');
  const gts = await kittiDepthGt(ctx, splitPath);
  checkCount(preds, gts.length, opts.predPath, opts.gtPath ?? splitPath);
  if (lines.length !== gts.length) notes.push(`split file ${splitPath} has ${lines.length} lines but GT has ${gts.length} maps; calibration lookups use the split order`);
  const { medianScaling, note } = decideMedianScaling(protocol, trainedWith, opts.medianScaling, opts.forceMedianScaling ?? false);
  notes.push(note);
  if (!medianScaling && scaleFactor === 1 && (convention === 'scaledSigmoid' || convention === 'sigmoid') && trainedWith !== 'mono') {
    notes.push('scale factor 1 on a monodepth2-style prediction without median scaling: depth stays in training units (monodepth2 stereo needs --scale-factor 5.4 = 0.54 m / 0.1)');
  }
  const crop: CropName = opts.crop ?? (opts.split === 'eigen' && protocol === 'monodepth2' ? 'garg' : 'none');
  Object.assign(ctx.settings, { medianScaling, crop, minDepth: 1e-3, maxDepth: 80 });
  const gtMask = opts.split === 'eigen' ? { kind: 'range' as const, min: 1e-3, max: 80 } : { kind: 'positive' as const };
  const ratios: number[] = [];
  const needsRig = convention === 'widthFraction' || convention === 'disparityPx';
  const calib = new Map<string, { focal: number; baseline: number }>();
  for (let i = 0; i < preds.length; i++) {
    const gt = gts[i]!;
    const focalTimesBaseline = needsRig ? await focalTimesBaselineFor(ctx, i, gt, lines, calib) : undefined;
    const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention, ...(focalTimesBaseline !== undefined ? { focalTimesBaseline } : {}), ...ctx.depthCtx });
    const r = evaluateDepthImage(gt, depth, { protocol, crop, gtMask, minDepth: 1e-3, maxDepth: 80, scaleFactor, medianScaling }, `${opts.predPath} image ${i}`);
    if (r.ratio !== undefined) ratios.push(r.ratio);
    ctx.perImage.push({ ...r.metrics, validPixels: r.validCount, ...(r.ratio !== undefined ? { ratio: r.ratio } : {}) });
  }
  if (ratios.length > 0) {
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const std = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / ratios.length);
    notes.push(`scaling ratios: median ${median(ratios).toFixed(3)}, std ${(std / median(ratios)).toFixed(3)} (std / median, as monodepth2 prints)`);
  }
}

/** KITTI 2015 stereo (monodepth `evaluate_kitti.py --split kitti`): disparity GT, depth metrics and D1-all. */
export async function evaluateKittiStereo(ctx: EvalContext): Promise<void> {
  const { opts, protocol, preds } = ctx;
  if (protocol !== 'monodepth') throw new Error(`split kitti uses the monodepth protocol (D1-all); got --protocol ${protocol}`);
  let gts: PlaneMap[];
  if (opts.gtPath) gts = readGtFile(opts.gtPath);
  else if (opts.dataPath) {
    // monodepth reads training/disp_noc_0/%06d_10.png for i = 0..199
    const dispDir = join(opts.dataPath, 'training', 'disp_noc_0');
    if (!existsSync(dispDir)) throw new Error(`${dispDir}: KITTI 2015 disparity GT folder not found`);
    const count = readdirSync(dispDir).filter((f) => /^\d{6}_10\.png$/.test(f)).length;
    gts = [];
    for (let i = 0; i < count; i++) gts.push(await readScaledPng16(join(dispDir, `${String(i).padStart(6, '0')}_10.png`), 256));
  } else throw new Error('split kitti needs --data-path <KITTI 2015 root with training/disp_noc_0> or --gt <disparity stack>');
  checkCount(preds, gts.length, opts.predPath, opts.gtPath ?? 'training/disp_noc_0');
  if (opts.medianScaling) throw new Error('split kitti follows monodepth: no median scaling');
  const d1 = opts.d1 ?? 'monodepth';
  Object.assign(ctx.settings, { d1Comparison: d1, minDepth: 1e-3, maxDepth: 80 });
  for (let i = 0; i < preds.length; i++) {
    const r = evaluateKittiStereoImage(gts[i]!, preds[i]!, ctx.convention, d1, `${opts.predPath} image ${i}`, ctx.depthCtx);
    ctx.perImage.push({ ...r.metrics, d1All: r.d1All, validPixels: r.validCount });
  }
}
