/**
 * Teacher maps for distillation, written once (`stereodepth teacher-cache`): a frozen network's depth for every sample of
 * a dataset split, as `<out>/<key>.npy` (float32 [H,W], relative depth at the net's input size) beside a
 * `teacher_maps.json` that records where they came from. Training then reads them with `distill.teacher.source: maps`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { teacherMapKey } from '../data/teacher_maps.js';
import type { Dataset, TeacherKind } from '../data/types.js';
import { writeNpy } from '../io/npy.js';
import { depthFromDisparity, type NetOutput } from '../models/output_convention.js';
import type { DepthNet } from '../models/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { predictDisparity, rgbToNetInput } from './predict.js';

export const TEACHER_MAPS_MANIFEST = 'teacher_maps.json';

export interface TeacherMapsManifest {
  kind: TeacherKind;
  source: string;
  count: number;
  height: number;
  width: number;
  writtenAt: string;
}

/** Writes one teacher map file per sample id (atomically), under the keys the training-time reader expects. */
export async function writeTeacherMapFiles(dir: string, maps: { id: string; map: Float32Array }[], height: number, width: number): Promise<void> {
  for (const { id, map } of maps) {
    const path = join(dir, `${teacherMapKey(id)}.npy`);
    mkdirSync(dirname(path), { recursive: true });
    await writeNpy(path, { data: map, shape: [height, width] });
  }
}

/**
 * Runs `net` (eval mode) over every sample of `dataset` at height x width and writes its depth (through the net's output
 * convention `output`) as teacher maps of kind 'depth'. Returns the manifest written.
 */
export async function writeTeacherMaps(
  net: DepthNet,
  output: NetOutput,
  dataset: Dataset,
  opts: { out: string; height: number; width: number; batchSize: number; source: string; onProgress?: (done: number) => void },
): Promise<TeacherMapsManifest> {
  const { height, width } = opts;
  mkdirSync(opts.out, { recursive: true });
  for (let start = 0; start < dataset.length; start += opts.batchSize) {
    const samples = await Promise.all(Array.from({ length: Math.min(opts.batchSize, dataset.length - start) }, (_, k) => dataset.get(start + k)));
    const depth = tf.tidy(() => {
      const x = tf.concat(samples.map((s) => rgbToNetInput(s.left, height, width, s.id)), 0);
      return depthFromDisparity(predictDisparity(net, x, { postProcess: false }), output);
    });
    const values = (await depth.data()) as Float32Array;
    depth.dispose();
    await writeTeacherMapFiles(opts.out, samples.map((s, k) => ({ id: s.id, map: values.slice(k * height * width, (k + 1) * height * width) })), height, width);
    opts.onProgress?.(start + samples.length);
  }
  const manifest: TeacherMapsManifest = { kind: 'depth', source: opts.source, count: dataset.length, height, width, writtenAt: new Date().toISOString() };
  await writeFileAtomic(join(opts.out, TEACHER_MAPS_MANIFEST), JSON.stringify(manifest, null, 1));
  return manifest;
}
