/**
 * The trainer end to end on the tiny synthetic config (64x192, batch 2): exact resume, logs TensorBoard reads,
 * checkpoints kept as configured, flat memory, a report, and NaN detection.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { listStepCheckpoints } from '../../src/train/checkpoint.js';
import { readScalarLog } from '../../src/train/logging.js';
import { runTraining } from '../../src/run/training.js';
import { readEventFile } from '../helpers/tfevents.js';

const root = mkdtempSync(join(tmpdir(), 'sd-trainer-'));
const world = join(root, 'world');
const quiet = (): void => undefined;
const devNull = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

function tinyConfig(runDir: string, sets: string[] = []): RunConfig {
  return loadConfig('configs/synthetic/tiny.yaml', [
    `data.train.path=${world}`,
    `data.train.split=${join(world, 'splits/synthetic/train_files.txt')}`,
    'data.train.synthesize=null',
    `data.val.path=${world}`,
    `data.val.split=${join(world, 'splits/synthetic/test_files.txt')}`,
    `data.test.path=${world}`,
    `data.test.split=${join(world, 'splits/synthetic/test_files.txt')}`,
    `run_dir=${runDir}`,
    'train.steps=6',
    'train.val_every=3',
    'train.checkpoint_every=3',
    'train.image_every=3',
    'train.keep_last=1',
    'data.augment.crop.probability=0.5',
    ...sets,
  ]).config;
}

function lossesByStep(runDir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of readScalarLog(runDir)) if (r.split === 'train') out.set(r.step, r.values.loss!);
  return out;
}

describe('trainer (tiny synthetic config, wasm)', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await generateWorld({ world: 'kitti', out: world, count: 24, height: 64, width: 192, seed: '0', framesPerScene: 8, progress: false });
  }, 600_000);

  const full = join(root, 'full');
  it('runs, validates with the eval protocol, keeps checkpoints as configured and writes a report', async () => {
    const r = await runTraining(tinyConfig(full), { log: quiet, progressStream: devNull });
    expect(r.steps).toBe(6);
    expect(r.interrupted).toBe(false);
    expect(r.metrics?.absRel).toBeGreaterThan(0);
    expect(r.testMetrics?.absRel).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(full, 'test_metrics.json'), 'utf8')).count).toBe(8);
    expect(listStepCheckpoints(full)).toEqual(['step_000006']);
    expect(existsSync(join(full, 'checkpoints', 'best', 'model.sdt'))).toBe(true);
    expect(readFileSync(join(full, 'checkpoints', 'latest'), 'utf8').trim()).toBe('step_000006');
    expect(existsSync(join(full, 'config.resolved.yaml'))).toBe(true);
    const report = readFileSync(join(full, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
    expect(report).toContain('images/val_0.png');
    // Memory is flat: the same tensor count after every logged step.
    const counts = readScalarLog(full).filter((x) => x.split === 'train').map((x) => x.values['memory/num_tensors']);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('writes TensorBoard event files with the tags, steps and image sizes logged', () => {
    const events = (dir: string) => readdirSync(join(full, dir)).filter((f) => f.startsWith('events.out.tfevents.')).flatMap((f) => readEventFile(join(full, dir, f)));
    const train = events('train');
    expect(train[0]!.fileVersion).toBe('brain.Event:2');
    const tags = new Set(train.flatMap((e) => e.values.map((v) => v.tag)));
    for (const t of ['loss', 'lr', 'images_per_sec', 'loss_parts/reprojection/0', 'loss_parts/smoothness/3', 'memory/num_tensors', 'input/0', 'disparity/0', 'warped/0', 'automask/0']) expect(tags).toContain(t);
    const lossSteps = train.filter((e) => e.values.some((v) => v.tag === 'loss')).map((e) => e.step);
    expect(lossSteps).toEqual([1, 2, 3, 4, 5, 6]);
    const image = train.flatMap((e) => e.values).find((v) => v.tag === 'disparity/0')!.image!;
    expect([image.height, image.width]).toEqual([64, 192]);
    const val = events('val');
    const absRel = val.filter((e) => e.values.some((v) => v.tag === 'metrics/absRel')).map((e) => e.step);
    expect(absRel).toEqual([3, 6]);
  });

  it('`stereodepth test` + `stereodepth eval` on the run reproduce the trainer\'s own test metrics (one metric implementation)', () => {
    const bin = join(process.cwd(), 'bin', 'stereodepth.js');
    const out = join(root, 'preds');
    const run = (args: string[]): string => {
      // The child is a plain Node process, not a vitest worker: drop VITEST so it installs its own resolve hook.
      const { VITEST: _vitest, VITEST_WORKER_ID: _worker, ...env } = process.env;
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`stereodepth ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    run(['test', '--checkpoint', full, '--out', out, '--backend', 'wasm']);
    const sidecar = JSON.parse(readFileSync(join(out, 'disparities.json'), 'utf8'));
    expect(sidecar).toMatchObject({ convention: 'sigmoid', trainedWith: 'stereo', count: 8, height: 64, width: 192 });
    run(['eval', '--split', 'eigen', '--pred', join(out, 'disparities.npy'), '--data-path', world, '--split-file', join(world, 'splits/synthetic/test_files.txt'), '--crop', 'eigen']);
    const evaluated = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const trainer = JSON.parse(readFileSync(join(full, 'test_metrics.json'), 'utf8')).metrics;
    const metrics = evaluated.metrics ?? evaluated;
    expect(metrics.absRel).toBeCloseTo(trainer.absRel, 5);
    expect(metrics.a1).toBeCloseTo(trainer.a1, 5);
  });

  it('an interrupted run resumed from its checkpoint gives the same losses step for step', async () => {
    const split = join(root, 'split');
    const first = await runTraining(tinyConfig(split), { log: quiet, progressStream: devNull, stopAfter: 2 });
    expect(first.interrupted).toBe(true);
    expect(listStepCheckpoints(split)).toEqual(['step_000002']);
    const second = await runTraining(tinyConfig(split), { log: quiet, progressStream: devNull, resume: true });
    expect(second.steps).toBe(6);
    const a = lossesByStep(full);
    const b = lossesByStep(split);
    expect([...b.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (let s = 1; s <= 6; s++) expect(b.get(s)).toBe(a.get(s));
  });

  it('stops with a message on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = join(root, 'nan');
    await expect(runTraining(tinyConfig(dir, ['optim.lr=1e30', 'train.checkpoint_every=1', 'train.val_every=0']), { log: quiet, progressStream: devNull })).rejects.toThrow(/loss is (NaN|Infinity|-Infinity) at step \d+.*last good checkpoint/);
  });
});
