/**
 * Depth for arbitrary image files (`stereodepth predict`): each image is resized to the net's size, predicted, the
 * disparity resized back to the image's own size (cv2-style bilinear, as eval resizes predictions) and converted to
 * depth with models/output_convention.ts; per image `<name>_disp.png` (colour map), `<name>_depth.png` (uint16 depth x 256, 0 =
 * invalid, KITTI's convention) and `<name>.npy` (float32 depth, 0 = invalid), plus a `predictions.json` index.
 */
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DepthNet } from '../models/types.js';
import { DatasetError, type FloatMap, type RgbImage } from '../data/types.js';
import { readRgb, writeRgb, writePng16, floatMapToUint16 } from '../io/image.js';
import { writeNpy } from '../io/npy.js';
import { writeFileAtomic } from '../util/atomic.js';
import { resizeBilinearCv2 } from '../eval/resize.js';
import { predictionValueToDepth, type ConversionContext, type PredictionConvention, type TrainedWith } from '../models/output_convention.js';
import { colourMapDisparity } from '../util/colormap.js';
import { predictDisparity, rgbToNetInput } from './predict.js';

/** uint16 PNG value = depth x 256 (KITTI depth maps; 1/256 m steps, up to 256 m). */
export const DEPTH_PNG_SCALE = 256;

export interface PredictImageFilesOptions {
  /** The net's input size. */
  height: number;
  width: number;
  outDir: string;
  /** What channel 0 of the net's output means (monodepth2 nets: 'sigmoid'; monodepth v1: 'widthFraction'). */
  convention: PredictionConvention;
  /** How the net was trained: a stereo-trained net predicts metric depth in its training units. */
  trainedWith?: TrainedWith;
  /** disp_to_depth range for 'sigmoid' (monodepth2 defaults 0.1 / 100). */
  minDepth?: number;
  maxDepth?: number;
  /** Factor from the net's depth units to metres (monodepth2 stereo: 5.4). Default 1. */
  scaleFactor?: number;
  /**
   * For pixel-disparity conventions: focal in pixels AT EACH IMAGE'S OWN SIZE and the baseline (m) of the rig the net
   * was trained on (the disparity it predicts is that rig's). Without it depth is relative.
   */
  camera?: { focal: number; baseline: number } | { focalOverWidth: number; baseline: number } | null;
  postProcess: boolean;
  onProgress?: (done: number, total: number) => void;
}

export type DepthKind = 'metric' | 'relative';

/** One row of `predictions.json`. File names are relative to the output folder. */
export interface ImagePredictionRecord {
  input: string;
  name: string;
  width: number;
  height: number;
  disparityPng: string;
  depthPng: string;
  depthNpy: string;
  depthKind: DepthKind;
  /** What one unit of depth is. */
  depthUnits: string;
  /** Pixels with a finite positive depth (the others are 0 in both files). */
  validPixels: number;
}

export interface ImagePredictionIndex {
  convention: PredictionConvention;
  trainedWith?: TrainedWith;
  postProcessed: boolean;
  netHeight: number;
  netWidth: number;
  depthPngScale: number;
  camera: PredictImageFilesOptions['camera'] | null;
  notes: string[];
  images: ImagePredictionRecord[];
}

const PIXEL_CONVENTIONS: ReadonlySet<PredictionConvention> = new Set(['widthFraction', 'disparityPx']);

interface DepthPlan {
  kind: DepthKind;
  units: string;
  /** focal x baseline for pixel conventions (at the image's width). */
  focalTimesBaseline?: (imageWidth: number) => number;
  scaleFactor: number;
}

/**
 * Metric or relative, and why. Pixel disparities become metres only through a camera (depth = f b / d); without one
 * depth is W / d_px, i.e. 1 / widthFraction. Sigmoid and depth conventions predict depth directly: metric (training
 * units x scaleFactor) for a stereo-trained net, up to an unknown scale otherwise; a camera does not change them.
 */
export function depthPlanFor(opts: Pick<PredictImageFilesOptions, 'convention' | 'trainedWith' | 'camera' | 'scaleFactor'>): DepthPlan {
  const scaleFactor = opts.scaleFactor ?? 1;
  if (PIXEL_CONVENTIONS.has(opts.convention)) {
    const cam = opts.camera;
    if (cam && 'focalOverWidth' in cam) {
      return { kind: 'metric', units: `metres: focal x baseline / pixel disparity (focal = ${cam.focalOverWidth.toFixed(4)} x image width, the training rig's field of view)`, focalTimesBaseline: (w) => cam.focalOverWidth * w * cam.baseline, scaleFactor };
    }
    if (cam) {
      return { kind: 'metric', units: 'metres: focal x baseline / pixel disparity (camera given)', focalTimesBaseline: () => cam.focal * cam.baseline, scaleFactor };
    }
    return { kind: 'relative', units: 'relative: image width / pixel disparity (no camera; x focal x baseline / width for metres)', focalTimesBaseline: (w) => w, scaleFactor };
  }
  if (opts.trainedWith === 'stereo' || opts.trainedWith === 'mono+stereo') {
    return { kind: 'metric', units: `metres: the ${opts.trainedWith}-trained net's depth x scale factor ${scaleFactor}`, scaleFactor };
  }
  const why = opts.trainedWith === 'mono' ? 'mono-trained' : 'training mode unknown';
  return { kind: 'relative', units: `relative: the net's depth up to an unknown scale (${why})`, scaleFactor };
}

/** Output name of each input (file name without extension); two inputs with the same name are an error. */
function outputNames(paths: string[]): string[] {
  const seen = new Map<string, string>();
  return paths.map((p) => {
    const name = basename(p, extname(p));
    const other = seen.get(name);
    if (other !== undefined) throw new DatasetError(`two inputs would write the same outputs '${name}_*': ${other} and ${p}; rename one`, p);
    seen.set(name, p);
    return name;
  });
}

/** Float RGB in [0, 1] -> 8-bit image. */
function toRgbImage(colour: Float32Array, height: number, width: number): RgbImage {
  const data = new Uint8Array(colour.length);
  for (let i = 0; i < colour.length; i++) data[i] = Math.round(Math.min(Math.max(colour[i]!, 0), 1) * 255);
  return { data, width, height, channels: 3 };
}

/** Predicts one decoded image; returns its disparity (net convention) and depth at the image's own size. */
async function predictAtImageSize(net: DepthNet, rgb: RgbImage, opts: PredictImageFilesOptions, plan: DepthPlan, where: string): Promise<{ disparity: Float32Array; depth: FloatMap; valid: number }> {
  const x = rgbToNetInput(rgb, opts.height, opts.width, where);
  let small: Float32Array;
  try {
    const disp = predictDisparity(net, x, { postProcess: opts.postProcess });
    try { small = (await disp.data()) as Float32Array; } finally { disp.dispose(); }
  } finally {
    x.dispose();
  }
  // Disparity fractions and sigmoids do not depend on the width; pixel disparities are rescaled by the conversion.
  const full = resizeBilinearCv2({ data: small, height: opts.height, width: opts.width }, rgb.height, rgb.width);
  const ctx: ConversionContext = {
    convention: opts.convention,
    targetWidth: rgb.width,
    predictionWidth: opts.width,
    ...(plan.focalTimesBaseline ? { focalTimesBaseline: plan.focalTimesBaseline(rgb.width) } : {}),
    ...(opts.minDepth !== undefined ? { minDepth: opts.minDepth } : {}),
    ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
  };
  const depth = new Float32Array(full.data.length);
  let valid = 0;
  for (let i = 0; i < depth.length; i++) {
    const d = predictionValueToDepth(full.data[i]!, ctx) * plan.scaleFactor;
    if (d > 0 && Number.isFinite(d)) {
      depth[i] = d;
      valid++;
    }
  }
  return { disparity: Float32Array.from(full.data), depth: { data: depth, height: rgb.height, width: rgb.width }, valid };
}

/** Predicts every image file and writes its three outputs and the `predictions.json` index; returns the index. */
export async function predictImageFiles(net: DepthNet, paths: string[], opts: PredictImageFilesOptions): Promise<ImagePredictionIndex> {
  const names = outputNames(paths);
  const plan = depthPlanFor(opts);
  const notes: string[] = [];
  if (opts.camera && !PIXEL_CONVENTIONS.has(opts.convention)) {
    notes.push(`camera ignored: convention ${opts.convention} predicts depth directly (its scale comes from training, see depthUnits)`);
  }
  if (plan.kind === 'relative') notes.push(`depth is RELATIVE (${plan.units})`);
  const images: ImagePredictionRecord[] = [];
  for (const [i, path] of paths.entries()) {
    const name = names[i]!;
    try {
      const rgb = await readRgb(path);
      const { disparity, depth, valid } = await predictAtImageSize(net, rgb, opts, plan, path);
      // the colour map shows inverse depth when the net predicts depth itself
      const shown = opts.convention === 'depth' ? depth.data.map((d) => (d > 0 ? 1 / d : 0)) : disparity;
      const colour = tf.tidy(() => colourMapDisparity(tf.tensor2d(shown, [rgb.height, rgb.width])));
      let colourValues: Float32Array;
      try { colourValues = (await colour.data()) as Float32Array; } finally { colour.dispose(); }
      const record: ImagePredictionRecord = {
        input: path, name, width: rgb.width, height: rgb.height,
        disparityPng: `${name}_disp.png`, depthPng: `${name}_depth.png`, depthNpy: `${name}.npy`,
        depthKind: plan.kind, depthUnits: plan.units, validPixels: valid,
      };
      await writeRgb(join(opts.outDir, record.disparityPng), toRgbImage(colourValues, rgb.height, rgb.width));
      await writePng16(join(opts.outDir, record.depthPng), floatMapToUint16(depth, DEPTH_PNG_SCALE));
      await writeNpy(join(opts.outDir, record.depthNpy), { data: depth.data, shape: [rgb.height, rgb.width] });
      images.push(record);
    } catch (err) {
      if (err instanceof DatasetError && err.message.includes(path)) throw err;
      throw new DatasetError(`cannot predict depth for this image: ${(err as Error).message}`, path);
    }
    opts.onProgress?.(i + 1, paths.length);
  }
  const index: ImagePredictionIndex = {
    convention: opts.convention,
    ...(opts.trainedWith ? { trainedWith: opts.trainedWith } : {}),
    postProcessed: opts.postProcess,
    netHeight: opts.height,
    netWidth: opts.width,
    depthPngScale: DEPTH_PNG_SCALE,
    camera: opts.camera ?? null,
    notes,
    images,
  };
  await writeFileAtomic(join(opts.outDir, 'predictions.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}
