/**
 * `stereodepth bench`'s step measurement runs the step `train` runs for a config (the session's loader, network,
 * objective and micro-batches), keeps tf.memory() flat, and reports the spread, the loader's pairs/s and a kernel
 * profile; on wasm, with the tiny synthetic world.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { benchRecipe } from '../../src/run/bench.js';
import { spreadOf } from '../../src/train/bench.js';

const world = join(mkdtempSync(join(tmpdir(), 'sd-bench-')), 'world');

function tiny(sets: string[]) {
  return loadConfig('configs/synthetic/tiny.yaml', [`data.train.path=${world}`, 'data.train.synthesize=null', ...sets]).config;
}

describe('spreadOf', () => {
  it('gives nearest-rank quantiles', () => {
    const s = spreadOf([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    expect(s).toEqual({ median: 5, p10: 1, p90: 9, min: 1, max: 10 });
  });
});

describe('benchConfigStep on wasm (tiny world, 64x192)', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await generateWorld({ world: 'kitti', out: world, count: 16, height: 64, width: 192, seed: '0', framesPerScene: 8, progress: false });
  }, 600_000);

  it('times the monodepth2 step in the config micro-batches, memory flat, with loader pairs/s and a kernel profile', async () => {
    const config = tiny([`data.train.split=${join(world, 'splits/synthetic/train_files.txt')}`, 'optim.micro_batches=2']);
    const r = await benchRecipe(config, 'tiny', { steps: 3, warmup: 1, forwardRuns: 1, loaderBatches: 2, profileSteps: 1 });
    expect(r.loss).toBe('monodepth2 stereo');
    expect(r.microBatches).toBe(2);
    expect([r.height, r.width, r.batchSize]).toEqual([64, 192, 2]);
    expect(r.memoryLastStep).toEqual(r.memoryFirstStep);
    expect(r.losses).toHaveLength(3);
    for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
    expect(r.stepMs.p10).toBeLessThanOrEqual(r.stepMs.median);
    expect(r.stepMs.median).toBeLessThanOrEqual(r.stepMs.p90);
    expect(r.loader.pairsPerSecond).toBeGreaterThan(0);
    expect(r.wasmHeapBytes).toBeGreaterThan(16 * 2 ** 20);
    expect(r.forwardConvGflop).toBeGreaterThan(0);
    const names = r.profile!.kernels.map((k) => k.kernel);
    for (const k of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']) expect(names).toContain(k);
    for (let i = 1; i < r.profile!.kernels.length; i++) expect(r.profile!.kernels[i]!.ms).toBeLessThanOrEqual(r.profile!.kernels[i - 1]!.ms);
  });

  it("times the quickstart's monodepth (v1) step: two-channel output, the 1-D warps and LR consistency", async () => {
    const config = tiny([
      `data.train.split=${join(world, 'splits/synthetic_v1/train_files.txt')}`,
      'loss.kind=monodepth',
      'loss.smoothness_weight=0.1',
      'data.augment.flip.mode=swap',
    ]);
    const r = await benchRecipe(config, 'tiny v1', { steps: 2, warmup: 1, forwardRuns: 0, loaderBatches: 1, profileSteps: 1 });
    expect(r.loss).toBe('monodepth stereo');
    expect(r.memoryLastStep).toEqual(r.memoryFirstStep);
    for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
    // monodepth v1 warps with the 1-D row sampler (gathers), never the 2-D grid sampler's camera projection.
    const names = r.profile!.kernels.map((k) => k.kernel);
    expect(names).toContain('GatherNd');
    expect(names).not.toContain('BatchMatMul');
  });
});
