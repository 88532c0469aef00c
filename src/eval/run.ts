/**
 * A whole evaluation run for one split: loads the predictions, resolves convention, protocol and scale, then hands
 * over to the split's runner (one function per split, looked up in SPLIT_RUNNERS) and averages its per-image metrics.
 * The CLI (`stereodepth eval`) only parses flags and prints.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseNpy, type NpyArray } from '../io/npy.js';
import { splitStack } from './gt.js';
import { averageMetrics } from './metrics.js';
import type { PlaneMap } from './resize.js';
import type { PredictionConvention } from '../models/output_convention.js';
import type { EvalContext, EvalProtocol, EvalRunOptions, EvalRunResult, EvalSplit } from './run_context.js';
import { evaluateKittiDepth, evaluateKittiStereo } from './split_kitti.js';
import { evaluateMai, evaluateNyu } from './split_indoor.js';

export { EVAL_SPLITS, EVAL_PROTOCOLS, decideMedianScaling, type EvalSplit, type EvalProtocol, type EvalRunOptions, type EvalRunResult } from './run_context.js';
export { readDistDepthNyuGt } from './split_indoor.js';

/** Each split's evaluation; it reads its GT, checks the count, and fills ctx.perImage, ctx.settings and ctx.notes. */
const SPLIT_RUNNERS: Record<EvalSplit, (ctx: EvalContext) => Promise<void>> = {
  eigen: evaluateKittiDepth,
  eigen_benchmark: evaluateKittiDepth,
  kitti: evaluateKittiStereo,
  nyu: evaluateNyu,
  mai: evaluateMai,
};

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
  const minDepth = opts.minDepth ?? sidecar?.minDepth;
  const maxDepth = opts.maxDepth ?? sidecar?.maxDepth;
  const ctx: EvalContext = {
    opts, convention, trainedWith, protocol, scaleFactor, preds,
    depthCtx: { ...(minDepth !== undefined ? { minDepth } : {}), ...(maxDepth !== undefined ? { maxDepth } : {}) },
    perImage: [],
    settings: { convention, protocol, scaleFactor, ...(trainedWith ? { trainedWith } : {}) },
    notes: [],
  };
  await SPLIT_RUNNERS[opts.split](ctx);
  // Bookkeeping columns are per-image only; the metrics are the per-image values averaged (the references' way).
  const metricOnly = ctx.perImage.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'validPixels' && k !== 'ratio')));
  return { split: opts.split, protocol, count: ctx.perImage.length, metrics: averageMetrics(metricOnly), perImage: ctx.perImage, settings: ctx.settings, notes: ctx.notes };
}

/** Default output folder: beside the prediction file. */
export function defaultOutDir(predPath: string): string {
  return dirname(resolve(predPath));
}
