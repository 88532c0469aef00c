/**
 * Images of a run config's splits for export work: calibration inputs (N images spread over the split, at the model's
 * io size) and evaluation samples with GT (the validation / test split), read through the dataset adapters.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { DatasetConfig, RunConfig } from '../config/schema.js';
import { rgbToNetInput } from '../infer/predict.js';
import { datasetFromConfig } from './build.js';
import { loadValSamples, type ValSample } from '../train/validate.js';
import type { Size } from '../export/depth_graph.js';

export type SplitName = 'train' | 'val' | 'test';

function entryOf(config: RunConfig, split: SplitName): { entry: DatasetConfig; key: string } {
  const entry = split === 'train' ? config.data.train : split === 'val' ? config.data.val : config.data.test;
  if (!entry) throw new Error(`the run config has no data.${split} split; choose another (train, val, test)`);
  return { entry, key: `data.${split}` };
}

/** `count` images spread evenly over the split, as [1, H, W, 3] inputs in [0, 1] at `size` (caller disposes). */
export async function calibrationInputs(config: RunConfig, split: SplitName, count: number, size: Size, log?: (l: string) => void): Promise<tf.Tensor[]> {
  if (!(Number.isInteger(count) && count > 0)) throw new Error(`--calibration-images: expected a positive integer, got ${count}`);
  const { entry, key } = entryOf(config, split);
  const dataset = await datasetFromConfig({ ...entry, options: entry.dataset === 'kitti_raw' ? { ...entry.options, gt: 'none' } : entry.options }, key, log);
  const n = Math.min(count, dataset.length);
  const out: tf.Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const s = await dataset.get(Math.floor((i * dataset.length) / n));
    out.push(rgbToNetInput(s.left, size.height, size.width, s.id));
  }
  return out;
}

/** Samples with GT depth of the split (at most `max`), for metrics of exported models. */
export async function evaluationSamples(config: RunConfig, split: SplitName, max: number | null, log?: (l: string) => void): Promise<ValSample[]> {
  const { entry, key } = entryOf(config, split);
  return loadValSamples(await datasetFromConfig(entry, key, log), max);
}
