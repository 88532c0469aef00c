/**
 * Loader throughput for `stereodepth bench`: how fast a training run's own loader (decode + augment + batch at the
 * training size) delivers batches, to put beside the training step's pairs/s (the loader must keep ahead). Also
 * renders the small KITTI-layout JPEG world the default bench trains on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { KITTI_DATE } from './synthetic/layout.js';
import { generateWorld } from './synthetic/writer.js';
import type { Loader } from './loader.js';

export interface LoaderBench {
  batchSize: number;
  /** Batches timed after the first. */
  batches: number;
  pairsPerSecond: number;
  msPerBatch: number;
  /** Time of the first batch, when the loader has no head start (decode not overlapped with anything). */
  coldMsPerBatch: number;
}

/** Takes `batches` + 1 batches from `loader` back to back (disposing them): the first is the cold one. */
export async function timeLoader(loader: Loader, batches: number): Promise<LoaderBench> {
  if (!Number.isInteger(batches) || batches < 1) throw new Error(`timeLoader: batches must be a positive integer, got ${batches}`);
  const cold0 = performance.now();
  const first = await loader.next();
  const coldMsPerBatch = performance.now() - cold0;
  const batchSize = first.size;
  first.dispose();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) (await loader.next()).dispose();
  const ms = (performance.now() - t0) / batches;
  return { batchSize, batches, pairsPerSecond: (batchSize * 1000) / ms, msPerBatch: ms, coldMsPerBatch };
}

/**
 * Renders `count` KITTI-layout stereo frames (one drive, JPEG like KITTI raw in monodepth2's layout) into `dir` and
 * writes a split of all their left frames; returns the split file.
 */
export async function renderBenchWorld(dir: string, opts: { count: number; height: number; width: number }): Promise<string> {
  await generateWorld({ world: 'kitti', out: dir, count: opts.count, height: opts.height, width: opts.width, seed: 'bench', imageFormat: 'jpg', framesPerScene: opts.count, progress: false });
  const lines = Array.from({ length: opts.count }, (_, f) => `${KITTI_DATE}/${KITTI_DATE}_drive_0001_sync ${f} l`);
  const split = join(dir, 'bench_files.txt');
  writeFileSync(split, lines.join('\n') + '\n');
  return split;
}
