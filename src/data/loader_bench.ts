/**
 * Loader throughput for `stereodepth bench`: decode + augment + batch synthetic KITTI-layout JPEG pairs at the
 * training size, timed on the active backend, to compare with the training step time (the loader must keep ahead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MONODEPTH2_AUGMENTATION } from './augment.js';
import { KittiRawDataset } from './kitti_raw.js';
import { Loader } from './loader.js';
import { generateWorld } from './synthetic/writer.js';

export interface LoaderBench {
  height: number;
  width: number;
  sourceHeight: number;
  sourceWidth: number;
  batchSize: number;
  batches: number;
  pairsPerSecond: number;
  msPerBatch: number;
  /** Time of one batch when the loader has no head start (decode not overlapped with anything). */
  coldMsPerBatch: number;
}

export async function benchLoader(opts: { height?: number; width?: number; batchSize?: number; batches?: number; sourceHeight?: number; sourceWidth?: number } = {}): Promise<LoaderBench> {
  const height = opts.height ?? 192;
  const width = opts.width ?? 640;
  const batchSize = opts.batchSize ?? 4;
  const batches = opts.batches ?? 8;
  const sourceHeight = opts.sourceHeight ?? 192;
  const sourceWidth = opts.sourceWidth ?? 640;
  const dir = mkdtempSync(join(tmpdir(), 'sd-loader-bench-'));
  try {
    const count = batchSize * batches;
    await generateWorld({ world: 'kitti', out: dir, count, height: sourceHeight, width: sourceWidth, seed: 'bench', imageFormat: 'jpg', framesPerScene: count, progress: false });
    const lines = Array.from({ length: count }, (_, f) => `2099_01_01/2099_01_01_drive_0001_sync ${f} l`);
    const dataset = new KittiRawDataset({ dataPath: dir, split: { lines, name: 'bench' }, gt: 'none', imageExt: 'jpg' });
    const augment = { ...MONODEPTH2_AUGMENTATION, crop: { probability: 0.5, minScale: 0.75, maxScale: 1 } };
    const loader = new Loader(dataset, { batchSize, height, width, seed: 0, augment, prefetch: 2 });
    const cold0 = performance.now();
    (await loader.next()).dispose();
    const coldMsPerBatch = performance.now() - cold0;
    const t0 = performance.now();
    for (let b = 1; b < batches; b++) {
      const batch = await loader.next();
      batch.dispose();
    }
    const ms = (performance.now() - t0) / (batches - 1);
    loader.close();
    return { height, width, sourceHeight, sourceWidth, batchSize, batches, pairsPerSecond: (batchSize * 1000) / ms, msPerBatch: ms, coldMsPerBatch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
