/**
 * Depth metrics of an exported model in its runtime on samples with GT: each image resized to the model's input size
 * (as predict does), the exported disparity output evaluated with the eval settings' protocol (train/validate.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { EvalConfig } from '../config/schema.js';
import type { OutputConvention } from '../models/output_convention.js';
import { averageMetrics, type DepthMetrics } from '../eval/metrics.js';
import { rgbToNetInput } from '../infer/predict.js';
import { evaluatePrediction, type ValSample } from '../train/validate.js';
import type { Size } from './depth_graph.js';
import type { LoadedModel } from './runtimes.js';

export async function evaluateLoaded(model: LoadedModel, samples: readonly ValSample[], conv: OutputConvention, ev: EvalConfig, io: Size): Promise<{ metrics: DepthMetrics; count: number }> {
  if (!samples.length) throw new Error('evaluate: no samples with GT');
  const perImage: DepthMetrics[] = [];
  for (const s of samples) {
    const x = rgbToNetInput(s.left, io.height, io.width, s.id);
    let input: Float32Array;
    try { input = (await x.data()) as Float32Array; } finally { x.dispose(); }
    const pred = await model.predict(input, [1, io.height, io.width, 3]);
    if (pred.length !== io.height * io.width) throw new Error(`evaluate: ${model.runtime} returned ${pred.length} values, expected ${io.height}x${io.width} (export with --output disparity)`);
    perImage.push(evaluatePrediction(pred, io.height, io.width, s, conv, ev));
  }
  return { metrics: averageMetrics(perImage) as DepthMetrics, count: perImage.length };
}

