/**
 * What every split's evaluation shares: the run options, the resolved convention / protocol / scale, the loaded
 * predictions, and the outputs each split fills in (per-image metrics, settings, notes); plus the median-scaling
 * decision and small checks the split runners use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CropName } from './crops.js';
import type { PredictionSidecar } from './convert.js';
import { parseMonodepth2Split } from './gt.js';
import type { D1Comparison } from './metrics.js';
import type { PlaneMap } from './resize.js';
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

/** One evaluation in progress: resolved settings, the predictions, and what the split runner records. */
export interface EvalContext {
  opts: EvalRunOptions;
  convention: PredictionConvention;
  trainedWith: TrainedWith | undefined;
  protocol: EvalProtocol;
  scaleFactor: number;
  preds: PlaneMap[];
  /** disp_to_depth range for sigmoid conventions (from the options or the sidecar). */
  depthCtx: { minDepth?: number; maxDepth?: number };
  perImage: Array<Record<string, number>>;
  settings: Record<string, string | number | boolean>;
  notes: string[];
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

export function readSplitLines(opts: EvalRunOptions, defaultRelative: string): { lines: ReturnType<typeof parseMonodepth2Split>; path: string } {
  const path = opts.splitFile ?? join(opts.repoRoot, 'filenames', defaultRelative);
  if (!existsSync(path)) throw new Error(`${path}: split file not found`);
  return { lines: parseMonodepth2Split(readFileSync(path, 'utf8'), path), path };
}

export function checkCount(preds: PlaneMap[], gtCount: number, predPath: string, gtWhere: string): void {
  if (preds.length !== gtCount) {
    throw new Error(`${predPath}: holds ${preds.length} predictions but ${gtWhere} has ${gtCount} images; expected the same count in the same order`);
  }
}

