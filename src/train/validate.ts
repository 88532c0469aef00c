/**
 * Validation during training: the held-out samples (cached in memory once), the network's prediction at the
 * training size, and the SAME evaluation functions as `stereodepth eval` (eval/protocols.ts) on full-size GT.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { EvalConfig } from '../config/schema.js';
import type { Dataset, FloatMap, RgbImage, StereoCamera } from '../data/types.js';
import type { DepthNet } from '../models/types.js';
import { averageMetrics, fastDepthMetrics, maiMetrics } from '../eval/metrics.js';
import { evaluateDepthImage, predictionToDepth } from '../eval/protocols.js';
import { depthScaleFactor, type OutputConvention } from '../models/output_convention.js';
import { predictDisparity, rgbToNetInput } from '../infer/predict.js';
import { DEFAULT_RGBD_AUGMENT, inverseMap, rgbdEvalDraw, sampleMapNearest, sampleRgb } from '../data/augment_rgbd.js';
import type { PreviewSample } from './report_images.js';

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
  /** The protocol's metrics averaged over images (KITTI-style absRel..a3; fastdepth rmseMetres, delta1..; mai siRmse, rmse ...). */
  metrics: Record<string, number>;
  count: number;
  /** First predictions (for images in TensorBoard / report): [H,W] disparity-like maps at the network size, and for the
   *  report the input, the depth in metres at GT size (as the protocol scored it) and the GT. */
  preview: ({ id: string; disparity: Float32Array; height: number; width: number } & PreviewSample)[];
}

/**
 * fast-depth compares at the network resolution after its val_transform (centre crop 228x304 of the 250-row frame, nearest
 * resizes to `out`): the sample's image and GT both go through it. Other protocols keep the full-size GT.
 */
export function fastDepthValSample(s: ValSample, out: { height: number; width: number }): ValSample {
  const source = { width: s.left.width, height: s.left.height };
  const draw = rgbdEvalDraw({ ...DEFAULT_RGBD_AUGMENT, mode: 'fastdepth' }, source);
  const coords = inverseMap(draw, source, out);
  const rgb = sampleRgb(s.left, coords, 'nearest');
  const data = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) data[i] = Math.round(rgb[i]! * 255);
  const kx = out.width / draw.window.width;
  return {
    id: s.id,
    left: { data, width: out.width, height: out.height, channels: 3 },
    camera: { ...s.camera, width: out.width, height: out.height, focal: s.camera.focal * kx, K: s.camera.K.map((v, i) => (i === 0 || i === 2 ? v * kx : v)) },
    gtDepth: { data: sampleMapNearest(s.gtDepth, coords, source, 1), width: out.width, height: out.height },
  };
}

/**
 * One raw prediction (convention `conv`, at height x width) scored against the sample's GT with the eval settings'
 * protocol, and its depth as scored (metres, GT size) for the report: the one evaluation of validation and of exported
 * models (src/export/evaluate_exported.ts).
 */
export function evaluatePrediction(plane: Float32Array, height: number, width: number, s: ValSample, conv: OutputConvention, ev: EvalConfig): { metrics: Record<string, number>; shownDepth: Float32Array } {
  const scaleFactor = depthScaleFactor(conv, s.camera.baseline);
  const gt = { data: s.gtDepth.data, height: s.gtDepth.height, width: s.gtDepth.width };
  const focalAtGt = s.camera.focal * (gt.width / s.camera.width);
  const depth = predictionToDepth({ data: plane, height, width }, gt.height, gt.width, {
    convention: conv.convention,
    minDepth: conv.minDepth,
    maxDepth: conv.maxDepth,
    focalTimesBaseline: focalAtGt * Math.abs(s.camera.baseline),
  });
  if (ev.protocol === 'fastdepth' || ev.protocol === 'mai') {
    for (let k = 0; k < depth.data.length; k++) depth.data[k] = depth.data[k]! * scaleFactor;
    if (ev.protocol === 'fastdepth') return { metrics: { ...fastDepthMetrics(gt.data, depth.data) }, shownDepth: Float32Array.from(depth.data) };
    // MAI: metres x 1000 clipped to [1, 65535] and truncated to uint16, as the challenge's submissions are.
    const gtMm = Float64Array.from(gt.data, (v) => v * 1000);
    const predMm = Float64Array.from(depth.data, (v) => Math.trunc(Math.min(Math.max(v * 1000, 1), 65535)));
    return { metrics: { ...maiMetrics(gtMm, predMm) }, shownDepth: Float32Array.from(depth.data) };
  }
  const r = evaluateDepthImage(
    gt,
    depth,
    {
      protocol: ev.protocol,
      crop: ev.crop,
      gtMask: { kind: 'range', min: ev.min_depth, max: ev.max_depth },
      minDepth: ev.min_depth,
      maxDepth: ev.max_depth,
      scaleFactor,
      medianScaling: ev.median_scaling,
    },
    `validation sample ${s.id}`,
  );
  const shown = Math.fround(scaleFactor * (r.ratio ?? 1));
  return { metrics: { ...r.metrics }, shownDepth: Float32Array.from(depth.data, (d) => d * shown) };
}

/** Evaluates the network (output convention `conv`) on the cached samples with the eval settings' protocol. */
export async function validate(net: DepthNet, samples: ValSample[], conv: OutputConvention, ev: EvalConfig, batchSize: number, previewCount = 2): Promise<ValidationResult> {
  const { inputHeight: height, inputWidth: width } = conv;
  const perImage: Record<string, number>[] = [];
  const preview: ValidationResult['preview'] = [];
  const prepared = ev.protocol === 'fastdepth' ? samples.map((s) => fastDepthValSample(s, { height, width })) : samples;
  for (let start = 0; start < prepared.length; start += batchSize) {
    const chunk = prepared.slice(start, start + batchSize);
    const x = tf.tidy(() => tf.concat(chunk.map((c) => rgbToNetInput(c.left, height, width, c.id)), 0) as tf.Tensor4D);
    const pred = predictDisparity(net, x, { postProcess: false });
    const values = (await pred.data()) as Float32Array;
    tf.dispose([x, pred]);
    chunk.forEach((s, k) => {
      const plane = values.slice(k * height * width, (k + 1) * height * width);
      const { metrics, shownDepth } = evaluatePrediction(plane, height, width, s, conv, ev);
      perImage.push(metrics);
      if (preview.length < previewCount) {
        preview.push({ id: s.id, disparity: plane, height, width, left: s.left, depth: shownDepth, gt: s.gtDepth, absRel: metrics.absRel });
      }
    });
  }
  return { metrics: averageMetrics(perImage), count: perImage.length, preview };
}
