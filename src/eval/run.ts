/**
 * A whole evaluation run for one split: loads predictions and GT, checks they match, applies the split's
 * protocol image by image and averages. The CLI (`stereodepth eval`) only parses flags and prints.
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { parseNpy, type NpyArray } from '../io/npy.js';
import { readGtFile, readScaledPng16, parseMonodepth2Split, splitStack, readPng16 } from './gt.js';
import { evaluateDepthImage, predictionToDepth, evaluateKittiStereoImage, type DepthProtocol } from './protocols.js';
import { averageMetrics, fastDepthMetrics, maiMetrics, median } from './metrics.js';
import { resizeBilinearCv2, resizeBilinearAlignCorners, type PlaneMap } from './resize.js';
import { readRawStereoRig } from '../io/kitti_calib.js';
import { exportGtMaps } from './export_gt.js';
import type { CropName } from './crops.js';
import type { D1Comparison } from './metrics.js';
import type { PredictionSidecar } from './convert.js';
import type { PredictionConvention, TrainedWith } from '../models/output_convention.js';

export const EVAL_SPLITS = ['eigen', 'kitti', 'eigen_benchmark', 'nyu', 'mai'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];
export const EVAL_PROTOCOLS = ['monodepth', 'monodepth2', 'distdepth', 'fastdepth', 'mai'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

export interface EvalRunOptions {
  split: EvalSplit;
  predPath: string;
  gtPath?: string;
  dataPath?: string;
  splitFile?: string;
  protocol?: EvalProtocol;
  convention?: PredictionConvention;
  trainedWith?: TrainedWith;
  /** disp_to_depth range for 'sigmoid'. */
  minDepth?: number;
  maxDepth?: number;
  medianScaling?: boolean;
  forceMedianScaling?: boolean;
  scaleFactor?: number;
  crop?: CropName;
  d1?: D1Comparison;
  focal?: number;
  baseline?: number;
  /** MAI: round metres x 1000 to uint16 like the challenge submissions (default true). */
  maiQuantize?: boolean;
  sidecar?: PredictionSidecar;
  /** Repository root, for the bundled filenames/ lists. */
  repoRoot: string;
}

export interface EvalRunResult {
  split: EvalSplit;
  protocol: EvalProtocol;
  count: number;
  metrics: Record<string, number>;
  perImage: Array<Record<string, number>>;
  /** Decisions the run made (median scaling, scale factor, crop ...), printed and stored in metrics.json. */
  settings: Record<string, string | number | boolean>;
  notes: string[];
}

/** Loads the prediction stack and checks shape and values; errors name the file and the image index. */
export function loadPredictions(path: string): PlaneMap[] {
  if (!existsSync(path)) throw new Error(`${path}: prediction file not found`);
  let arr: NpyArray = parseNpy(new Uint8Array(readFileSync(path)), path, { view: true });
  if (arr.shape.length === 4 && arr.shape[3] === 1) arr = { ...arr, shape: arr.shape.slice(0, 3) };
  else if (arr.shape.length === 4 && arr.shape[1] === 1) arr = { ...arr, shape: [arr.shape[0]!, arr.shape[2]!, arr.shape[3]!] };
  if (arr.shape.length !== 3) {
    throw new Error(`${path}: predictions must be N x H x W (or N x H x W x 1), got shape (${arr.shape.join(', ')})`);
  }
  if (!(arr.data instanceof Float32Array) && !(arr.data instanceof Float64Array)) {
    throw new Error(`${path}: dtype ${arr.data.constructor.name}; expected float32 (or float64)`);
  }
  const maps = splitStack(arr, path);
  maps.forEach((m, i) => {
    for (let k = 0; k < m.data.length; k++) {
      if (Number.isNaN(m.data[k]!)) {
        throw new Error(`${path}: image ${i} has NaN at row ${Math.floor(k / m.width)}, col ${k % m.width}`);
      }
    }
  });
  return maps;
}

function defaultProtocol(split: EvalSplit, convention: PredictionConvention): EvalProtocol {
  switch (split) {
    case 'eigen':
      return convention === 'widthFraction' ? 'monodepth' : 'monodepth2';
    case 'kitti':
      return 'monodepth';
    case 'eigen_benchmark':
      return 'monodepth2';
    case 'nyu':
      return 'distdepth';
    case 'mai':
      return 'mai';
  }
}

/**
 * Median scaling decision: on by default only for mono-trained models under a protocol that uses it
 * (monodepth2, distdepth); asking for it on a stereo-trained prediction is refused unless forced, because a
 * stereo model is already metric and median scaling hides its scale error (monodepth2 issue #390).
 */
export function decideMedianScaling(
  protocol: EvalProtocol,
  trainedWith: TrainedWith | undefined,
  requested: boolean | undefined,
  force: boolean,
): { medianScaling: boolean; note: string } {
  const usesMedian = protocol === 'monodepth2' || protocol === 'distdepth';
  const metric = trainedWith === 'stereo' || trainedWith === 'mono+stereo';
  if (requested === true || (requested === undefined && force)) {
    if (metric && !force) {
      throw new Error(
        `refusing median scaling: the prediction comes from a ${trainedWith}-trained model, which is metric already; ` +
          `median scaling would hide its scale error (use --scale-factor, e.g. 5.4 for monodepth2 stereo, or pass --force-median-scaling)`,
      );
    }
    return { medianScaling: true, note: metric ? `median scaling FORCED on a ${trainedWith}-trained model` : 'median scaling on (requested)' };
  }
  if (requested === false) return { medianScaling: false, note: 'median scaling off (requested)' };
  if (usesMedian && trainedWith === 'mono') return { medianScaling: true, note: 'median scaling on (mono-trained model)' };
  if (usesMedian && trainedWith === undefined) {
    return { medianScaling: false, note: 'median scaling off: training mode unknown (state trainedWith in the sidecar, or pass --median-scaling for a mono model)' };
  }
  return { medianScaling: false, note: 'median scaling off' };
}

function readSplitLines(opts: EvalRunOptions, defaultRelative: string): { lines: ReturnType<typeof parseMonodepth2Split>; path: string } {
  const path = opts.splitFile ?? join(opts.repoRoot, 'filenames', defaultRelative);
  if (!existsSync(path)) throw new Error(`${path}: split file not found`);
  return { lines: parseMonodepth2Split(readFileSync(path, 'utf8'), path), path };
}

function checkCount(preds: PlaneMap[], gtCount: number, predPath: string, gtWhere: string): void {
  if (preds.length !== gtCount) {
    throw new Error(`${predPath}: holds ${preds.length} predictions but ${gtWhere} has ${gtCount} images; expected the same count in the same order`);
  }
}

/** Runs the evaluation of one split. */
export async function runEvaluation(opts: EvalRunOptions): Promise<EvalRunResult> {
  const sidecar = opts.sidecar;
  const convention = opts.convention ?? sidecar?.convention;
  if (!convention) {
    throw new Error(`${opts.predPath}: prediction convention unknown: no sidecar JSON beside it; pass --convention (widthFraction, scaledSigmoid, sigmoid, disparityPx, depth)`);
  }
  const trainedWith = opts.trainedWith ?? sidecar?.trainedWith;
  const protocol = opts.protocol ?? defaultProtocol(opts.split, convention);
  const scaleFactor = opts.scaleFactor ?? sidecar?.scaleFactor ?? 1;
  const preds = loadPredictions(opts.predPath);
  if (sidecar?.count !== undefined && sidecar.count !== preds.length) {
    throw new Error(`${opts.predPath}: sidecar says count ${sidecar.count} but the file holds ${preds.length} predictions`);
  }
  const notes: string[] = [];
  const settings: Record<string, string | number | boolean> = { convention, protocol, scaleFactor };
  if (trainedWith) settings.trainedWith = trainedWith;
  const perImage: Array<Record<string, number>> = [];
  const convMinDepth = opts.minDepth ?? sidecar?.minDepth;
  const convMaxDepth = opts.maxDepth ?? sidecar?.maxDepth;
  const depthCtx = { ...(convMinDepth !== undefined ? { minDepth: convMinDepth } : {}), ...(convMaxDepth !== undefined ? { maxDepth: convMaxDepth } : {}) };

  if (opts.split === 'eigen' || opts.split === 'eigen_benchmark') {
    if (protocol !== 'monodepth' && protocol !== 'monodepth2') throw new Error(`--protocol ${protocol} does not apply to split ${opts.split}; use monodepth or monodepth2`);
    const { lines, path: splitPath } = readSplitLines(opts, opts.split === 'eigen' ? 'monodepth2/eigen/test_files.txt' : 'monodepth2/eigen_benchmark/test_files.txt');
    let gts: PlaneMap[];
    if (opts.gtPath) gts = readGtFile(opts.gtPath);
    else if (opts.dataPath) {
      // No cache: build the GT exactly as export-gt would (slower; export-gt once and pass --gt to repeat runs).
      gts = await exportGtMaps(opts.split, opts.dataPath, splitPath);
      notes.push(`GT computed from ${opts.dataPath} (${opts.split === 'eigen' ? 'velodyne' : 'improved GT PNGs'}); cache it with stereodepth export-gt`);
    } else {
      throw new Error(`split ${opts.split} needs --gt <gt.npz> (create it once with: stereodepth export-gt --split ${opts.split} --data-path <kitti raw>)` + ' or --data-path <kitti raw>');
    }
    checkCount(preds, gts.length, opts.predPath, opts.gtPath ?? splitPath);
    if (lines.length !== gts.length) notes.push(`split file ${splitPath} has ${lines.length} lines but GT has ${gts.length} maps; calibration lookups use the split order`);
    const { medianScaling, note } = decideMedianScaling(protocol, trainedWith, opts.medianScaling, opts.forceMedianScaling ?? false);
    notes.push(note);
    if (!medianScaling && scaleFactor === 1 && (convention === 'scaledSigmoid' || convention === 'sigmoid') && trainedWith !== 'mono') {
      notes.push('scale factor 1 on a monodepth2-style prediction without median scaling: depth stays in training units (monodepth2 stereo needs --scale-factor 5.4 = 0.54 m / 0.1)');
    }
    const crop: CropName = opts.crop ?? (opts.split === 'eigen' && protocol === 'monodepth2' ? 'garg' : 'none');
    Object.assign(settings, { medianScaling, crop, minDepth: 1e-3, maxDepth: 80 });
    const gtMask = opts.split === 'eigen' ? { kind: 'range' as const, min: 1e-3, max: 80 } : { kind: 'positive' as const };
    const ratios: number[] = [];
    const needsRig = convention === 'widthFraction' || convention === 'disparityPx';
    const calibCache = new Map<string, { focal: number; baseline: number }>();
    for (let i = 0; i < preds.length; i++) {
      const gt = gts[i]!;
      let focalTimesBaseline: number | undefined;
      if (needsRig) {
        if (opts.focal !== undefined && opts.baseline !== undefined) focalTimesBaseline = opts.focal * opts.baseline;
        else if (opts.dataPath && lines[i]) {
          const date = lines[i]!.folder.split('/')[0]!;
          let fb = calibCache.get(date);
          if (!fb) calibCache.set(date, (fb = await readRawStereoRig(join(opts.dataPath, date, 'calib_cam_to_cam.txt'))));
          focalTimesBaseline = fb.focal * fb.baseline;
        } else if (sidecar?.focal !== undefined && sidecar.baseline !== undefined) {
          focalTimesBaseline = sidecar.focal * (gt.width / (sidecar.width ?? gt.width)) * sidecar.baseline;
        } else {
          throw new Error(`convention ${convention} needs focal and baseline: pass --data-path <kitti raw> (calibration), or --focal and --baseline`);
        }
      }
      const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention, ...(focalTimesBaseline !== undefined ? { focalTimesBaseline } : {}), ...depthCtx });
      const r = evaluateDepthImage(gt, depth, { protocol, crop, gtMask, minDepth: 1e-3, maxDepth: 80, scaleFactor, medianScaling }, `${opts.predPath} image ${i}`);
      if (r.ratio !== undefined) ratios.push(r.ratio);
      perImage.push({ ...r.metrics, validPixels: r.validCount, ...(r.ratio !== undefined ? { ratio: r.ratio } : {}) });
    }
    if (ratios.length > 0) {
      const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
      const std = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / ratios.length);
      notes.push(`scaling ratios: median ${median(ratios).toFixed(3)}, std ${(std / median(ratios)).toFixed(3)} (std / median, as monodepth2 prints)`);
    }
  } else if (opts.split === 'kitti') {
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
    Object.assign(settings, { d1Comparison: d1, minDepth: 1e-3, maxDepth: 80 });
    for (let i = 0; i < preds.length; i++) {
      const r = evaluateKittiStereoImage(gts[i]!, preds[i]!, convention, d1, `${opts.predPath} image ${i}`, depthCtx);
      perImage.push({ ...r.metrics, d1All: r.d1All, validPixels: r.validCount });
    }
  } else if (opts.split === 'nyu') {
    if (protocol !== 'distdepth' && protocol !== 'fastdepth') throw new Error(`split nyu: --protocol must be distdepth or fastdepth, got ${protocol}`);
    let gts: PlaneMap[];
    if (opts.gtPath) gts = readGtFile(opts.gtPath);
    else if (opts.dataPath && opts.splitFile) gts = readDistDepthNyuGt(opts.dataPath, opts.splitFile);
    else throw new Error('split nyu needs --gt <N x H x W depth in metres (.npy) or GT .npz>, or --data-path with --split-file NYUv2.txt (DistDepth layout)');
    checkCount(preds, gts.length, opts.predPath, opts.gtPath ?? opts.splitFile!);
    if (protocol === 'distdepth') {
      const { medianScaling, note } = decideMedianScaling(protocol, trainedWith ?? 'mono', opts.medianScaling, opts.forceMedianScaling ?? false);
      notes.push(note);
      Object.assign(settings, { medianScaling, gtMask: '0.01 < gt <= 10', minDepth: 1e-3, maxDepth: 10, resize: 'bilinear align_corners=True' });
      for (let i = 0; i < preds.length; i++) {
        const gt = gts[i]!;
        const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention, ...depthCtx }, 'alignCorners');
        const r = evaluateDepthImage(gt, depth, { protocol: 'monodepth2', crop: 'none', gtMask: { kind: 'range', min: 0.01, max: 10, maxInclusive: true }, minDepth: 1e-3, maxDepth: 10, scaleFactor, medianScaling }, `${opts.predPath} image ${i}`);
        perImage.push({ ...r.metrics, validPixels: r.validCount, ...(r.ratio !== undefined ? { ratio: r.ratio } : {}) });
      }
    } else {
      Object.assign(settings, { mask: '(gt > 0) OR (pred > 0)', units: 'mm' });
      for (let i = 0; i < preds.length; i++) {
        const gt = gts[i]!;
        const p = preds[i]!;
        if (p.height !== gt.height || p.width !== gt.width) {
          throw new Error(`${opts.predPath}: image ${i} is ${p.height}x${p.width} but GT is ${gt.height}x${gt.width}; fast-depth compares at the network resolution (224x224)`);
        }
        const depth = predictionToDepth(p, gt.height, gt.width, { convention, ...depthCtx });
        if (scaleFactor !== 1) for (let k = 0; k < depth.data.length; k++) depth.data[k] = depth.data[k]! * scaleFactor;
        perImage.push({ ...fastDepthMetrics(gt.data, depth.data) });
      }
    }
  } else {
    // mai
    let gtsMm: PlaneMap[];
    if (opts.gtPath) gtsMm = readGtFile(opts.gtPath);
    else if (opts.dataPath) {
      const dir = existsSync(join(opts.dataPath, 'depth')) ? join(opts.dataPath, 'depth') : opts.dataPath;
      const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.png')).sort();
      gtsMm = [];
      for (const f of files) {
        const png = await readPng16(join(dir, f));
        gtsMm.push({ data: Float64Array.from(png.data), height: png.height, width: png.width });
      }
    } else throw new Error('split mai needs --data-path <folder with depth/*.png in mm> or --gt <N x H x W mm .npy>');
    checkCount(preds, gtsMm.length, opts.predPath, opts.gtPath ?? opts.dataPath!);
    const quantize = opts.maiQuantize ?? true;
    Object.assign(settings, { units: 'mm', quantizeUint16: quantize });
    for (let i = 0; i < preds.length; i++) {
      const gt = gtsMm[i]!;
      const depth = predictionToDepth(preds[i]!, gt.height, gt.width, { convention, ...depthCtx });
      const mm = new Float64Array(depth.data.length);
      for (let k = 0; k < mm.length; k++) {
        const v = depth.data[k]! * scaleFactor * 1000;
        mm[k] = quantize ? Math.trunc(Math.min(Math.max(v, 1), 65535)) : v;
      }
      perImage.push({ ...maiMetrics(gt.data, mm) });
    }
  }
  // Bookkeeping columns are per-image only; the metrics are the per-image values averaged (the references' way).
  const metricOnly = perImage.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'validPixels' && k !== 'ratio')));
  return { split: opts.split, protocol, count: perImage.length, metrics: averageMetrics(metricOnly), perImage, settings, notes };
}

/**
 * DistDepth's NYUv2 GT: one line per image of NYUv2.txt (no extension), depth file = line with 'img' -> 'depth'
 * + '.npy' (metres); 480x640 maps are centre-cropped to 448x608 as DistDepth crops its inputs (ANCHORS §5.4).
 */
export function readDistDepthNyuGt(dataPath: string, splitFile: string): PlaneMap[] {
  if (!existsSync(splitFile)) throw new Error(`${splitFile}: split file not found`);
  const lines = readFileSync(splitFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.map((line, i) => {
    const path = join(dataPath, line.replace('img', 'depth') + '.npy');
    if (!existsSync(path)) throw new Error(`${splitFile}:${i + 1}: GT depth ${path} not found`);
    const arr = parseNpy(new Uint8Array(readFileSync(path)), path);
    const shape = arr.shape.filter((d) => d !== 1);
    if (shape.length !== 2) throw new Error(`${path}: expected a 2-D depth map, got shape (${arr.shape.join(', ')})`);
    const [h, w] = shape as [number, number];
    const src = arr.data;
    if (h === 480 && w === 640) {
      const out = new Float32Array(448 * 608);
      for (let y = 0; y < 448; y++) for (let x = 0; x < 608; x++) out[y * 608 + x] = src[(y + 16) * 640 + x + 16]!;
      return { data: out, height: 448, width: 608 };
    }
    return { data: Float32Array.from(src), height: h, width: w };
  });
}

/** Default output folder: beside the prediction file. */
export function defaultOutDir(predPath: string): string {
  return dirname(resolve(predPath));
}

export { resizeBilinearCv2, resizeBilinearAlignCorners };
