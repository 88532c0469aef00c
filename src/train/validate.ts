/**
 * Validation during training: the held-out samples (cached in memory once), the network's prediction at the
 * training size, and the SAME evaluation functions as `stereodepth eval` (eval/protocols.ts) on full-size GT.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { EvalConfig } from '../config/schema.js';
import type { Dataset, FloatMap, RgbImage, StereoCamera } from '../data/types.js';
import type { DepthNet } from '../models/types.js';
import { averageMetrics, type DepthMetrics } from '../eval/metrics.js';
import { evaluateDepthImage, predictionToDepth } from '../eval/protocols.js';
import { depthScaleFactor, type OutputConvention } from '../models/output_convention.js';
import { predictDisparity, rgbToNetInput } from '../infer/predict.js';

export interface ValSample {
  id: string;
  left: RgbImage;
  camera: StereoCamera;
  gtDepth: FloatMap;
}

/** Reads up to `maxSamples` samples that carry GT depth; a sample without GT is an error naming it. */
export async function loadValSamples(dataset: Dataset, maxSamples: number | null): Promise<ValSample[]> {
  const n = Math.min(dataset.length, maxSamples ?? Infinity);
  const out: ValSample[] = [];
  for (let i = 0; i < n; i++) {
    const s = await dataset.get(i);
    if (!s.gtDepth) {
      const ref = dataset.ref(i);
      throw new Error(`validation sample ${s.id} (${ref.file}:${ref.line}) has no GT depth: choose a val dataset/options with ground truth (e.g. kitti_raw options.gt: velodyne)`);
    }
    out.push({ id: s.id, left: s.left, camera: s.camera, gtDepth: s.gtDepth });
  }
  return out;
}

export interface ValidationResult {
  metrics: DepthMetrics;
  count: number;
  /** First predictions (for images in TensorBoard / report), [H,W] disparity-like maps. */
  preview: { id: string; disparity: Float32Array; height: number; width: number }[];
}

/**
 * Metrics of one raw prediction (convention `conv`, at height x width) against the sample's full-size GT with the eval
 * settings' protocol: the one evaluation of validation and of exported models (src/export/evaluate_exported.ts).
 */
export function evaluatePrediction(plane: Float32Array, height: number, width: number, s: ValSample, conv: OutputConvention, ev: EvalConfig): DepthMetrics {
  const gt = { data: s.gtDepth.data, height: s.gtDepth.height, width: s.gtDepth.width };
  const focalAtGt = s.camera.focal * (gt.width / s.camera.width);
  const depth = predictionToDepth({ data: plane, height, width }, gt.height, gt.width, {
    convention: conv.convention,
    minDepth: conv.minDepth,
    maxDepth: conv.maxDepth,
    focalTimesBaseline: focalAtGt * Math.abs(s.camera.baseline),
  });
  return evaluateDepthImage(
    gt,
    depth,
    {
      protocol: ev.protocol,
      crop: ev.crop,
      gtMask: { kind: 'range', min: ev.min_depth, max: ev.max_depth },
      minDepth: ev.min_depth,
      maxDepth: ev.max_depth,
      scaleFactor: depthScaleFactor(conv, s.camera.baseline),
      medianScaling: ev.median_scaling,
    },
    `validation sample ${s.id}`,
  ).metrics;
}

/** Evaluates the network (output convention `conv`) on the cached samples with the eval settings' protocol. */
export async function validate(net: DepthNet, samples: ValSample[], conv: OutputConvention, ev: EvalConfig, batchSize: number, previewCount = 2): Promise<ValidationResult> {
  const { inputHeight: height, inputWidth: width } = conv;
  const perImage: DepthMetrics[] = [];
  const preview: ValidationResult['preview'] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const chunk = samples.slice(start, start + batchSize);
    const x = tf.tidy(() => tf.concat(chunk.map((c) => rgbToNetInput(c.left, height, width, c.id)), 0) as tf.Tensor4D);
    const pred = predictDisparity(net, x, { postProcess: false });
    const values = (await pred.data()) as Float32Array;
    tf.dispose([x, pred]);
    chunk.forEach((s, k) => {
      const plane = values.slice(k * height * width, (k + 1) * height * width);
      if (preview.length < previewCount) preview.push({ id: s.id, disparity: plane, height, width });
      perImage.push(evaluatePrediction(plane, height, width, s, conv, ev));
    });
  }
  return { metrics: averageMetrics(perImage) as DepthMetrics, count: perImage.length, preview };
}
