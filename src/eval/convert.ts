/**
 * Prediction conventions (what the numbers in a prediction .npy mean) and their conversion to depth,
 * plus the sidecar JSON that states the convention beside each prediction file.
 */
import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * - widthFraction: monodepth v1 disparity as a fraction of the image width (pixels / W).
 * - scaledSigmoid: monodepth2 scaled disparity 1/maxDepth + (1/minDepth - 1/maxDepth) * sigmoid, i.e. the
 *   `pred_disps` monodepth2 saves; depth = 1 / value (in the training units, x5.4 for KITTI stereo).
 * - sigmoid: the raw sigmoid output in [0, 1]; scaled with minDepth/maxDepth first (monodepth2 `disp_to_depth`).
 * - disparityPx: disparity in pixels OF THE PREDICTION'S OWN WIDTH (rescaled by gtWidth / predWidth on resize).
 * - depth: depth already (metres or training units).
 */
export const PREDICTION_CONVENTIONS = ['widthFraction', 'scaledSigmoid', 'sigmoid', 'disparityPx', 'depth'] as const;
export type PredictionConvention = (typeof PREDICTION_CONVENTIONS)[number];
/** supervised = trained on metric GT depth: metric like stereo, never median-scaled by default. */
export const TRAINED_WITH = ['stereo', 'mono', 'mono+stereo', 'supervised'] as const;
export type TrainedWith = (typeof TRAINED_WITH)[number];

/** Sidecar `<pred>.json` beside `<pred>.npy` (written by `stereodepth test`, read by `stereodepth eval`). */
export const predictionSidecarSchema = z
  .object({
    convention: z.enum(PREDICTION_CONVENTIONS),
    /** How the model was trained: decides whether median scaling is allowed. */
    trainedWith: z.enum(TRAINED_WITH).optional(),
    /** disp_to_depth range for 'sigmoid'/'scaledSigmoid' (monodepth2 defaults 0.1 / 100). */
    minDepth: z.number().positive().optional(),
    maxDepth: z.number().positive().optional(),
    /** Prediction size (N x height x width in the .npy). */
    height: z.number().int().positive().optional(),
    width: z.number().int().positive().optional(),
    count: z.number().int().positive().optional(),
    /** Factor from predicted depth to metres (monodepth2 stereo: 5.4 = 0.54 m / 0.1 training baseline). */
    scaleFactor: z.number().positive().optional(),
    /** Rig for disparity -> depth when the split does not provide it (focal in px at the prediction width). */
    focal: z.number().positive().optional(),
    baseline: z.number().positive().optional(),
    postProcessed: z.boolean().optional(),
    split: z.string().optional(),
  })
  .strict();
export type PredictionSidecar = z.infer<typeof predictionSidecarSchema>;

/** Path of the sidecar of a prediction file: `x.npy` -> `x.json`. */
export function sidecarPathFor(predPath: string): string {
  return predPath.replace(/\.npy$/i, '') + '.json';
}

/** Reads and validates the sidecar of `predPath`; undefined when there is none. */
export function readPredictionSidecar(predPath: string): PredictionSidecar | undefined {
  const path = sidecarPathFor(predPath);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = predictionSidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${path}: invalid prediction sidecar: ${issues}`);
  }
  return parsed.data;
}

/**
 * monodepth2 `layers.disp_to_depth` scaled disparity: 1/maxDepth + (1/minDepth - 1/maxDepth) * sigmoid,
 * in float32 like the PyTorch tensor op (python float constants rounded to float32 first).
 */
export function scaleSigmoidDisparity(sigmoid: number, minDepth: number, maxDepth: number): number {
  const minDisp = 1 / maxDepth;
  const maxDisp = 1 / minDepth;
  return Math.fround(Math.fround(minDisp) + Math.fround(Math.fround(maxDisp - minDisp) * sigmoid));
}

/** How a converted map is turned into depth for one image. */
export interface ConversionContext {
  convention: PredictionConvention;
  /** Width of the GT (target) map, for widthFraction and disparityPx. */
  targetWidth: number;
  /** Width the prediction had before resizing (disparityPx). */
  predictionWidth: number;
  /** focal (px, at the target width) * baseline (m), for disparity conventions. */
  focalTimesBaseline?: number;
  minDepth?: number;
  maxDepth?: number;
}

/**
 * Disparity in pixels at the target width for a value already resized to the target size
 * (widthFraction: x W, monodepth; disparityPx: x targetW / predW). Float32 like numpy on float32 maps.
 */
export function toPixelDisparity(value: number, ctx: ConversionContext): number {
  switch (ctx.convention) {
    case 'widthFraction':
      return Math.fround(value * ctx.targetWidth);
    case 'disparityPx':
      return ctx.targetWidth === ctx.predictionWidth ? value : Math.fround(value * Math.fround(ctx.targetWidth / ctx.predictionWidth));
    default:
      throw new Error(`toPixelDisparity: convention ${ctx.convention} is not a pixel disparity`);
  }
}

/**
 * Depth of one resized prediction value. widthFraction/disparityPx: b*f / d_px (monodepth
 * `evaluate_kitti.py`; b*f rounded to float32 as numpy's scalar-times-float32-array; d = 0 gives inf, which the
 * caller maps per protocol). scaledSigmoid: 1 / d (monodepth2 `evaluate_depth.py`). sigmoid: 1 / disp_to_depth(d).
 * depth: unchanged.
 */
export function predictionValueToDepth(value: number, ctx: ConversionContext): number {
  switch (ctx.convention) {
    case 'widthFraction':
    case 'disparityPx': {
      if (ctx.focalTimesBaseline === undefined) {
        throw new Error(`convention ${ctx.convention} needs focal and baseline (from the split's calibration, the sidecar or --focal/--baseline)`);
      }
      return Math.fround(Math.fround(ctx.focalTimesBaseline) / toPixelDisparity(value, ctx));
    }
    case 'scaledSigmoid':
      return Math.fround(1 / value);
    case 'sigmoid':
      return Math.fround(1 / scaleSigmoidDisparity(value, ctx.minDepth ?? 0.1, ctx.maxDepth ?? 100));
    case 'depth':
      return value;
    default:
      throw new Error(`unknown prediction convention '${String(ctx.convention)}'`);
  }
}
