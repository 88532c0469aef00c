/**
 * Supervised RGB-D training end to end (wasm, tiny synthetic worlds, a few steps per run): the NYU world in fast-depth's
 * `.h5` layout with fast-depth's augmentation and protocol, the MAI world with the depth-compensating crop and the MAI
 * si-RMSE protocol, and hint KD from a supervised teacher with the adapters saved apart from the student.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { loadTensors } from '../../src/models/tensor_file.js';
import { readScalarLog } from '../../src/train/logging.js';
import { depthScaleFactor } from '../../src/models/output_convention.js';
import { outputConventionFromConfig } from '../../src/run/build.js';
import { runTraining as train } from '../../src/run/training.js';

const root = mkdtempSync(join(tmpdir(), 'sd-supervised-'));
const quiet = (): void => undefined;
const devNull = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

function tinyConfig(recipe: string, world: string, runDir: string, sets: string[] = []): RunConfig {
  const split = (s: string): string => join(world, 'splits/synthetic', `${s}_files.txt`);
  return loadConfig(`configs/synthetic/small_models/${recipe}.yaml`, [
    `data.train.path=${world}`,
    `data.train.split=${split('train')}`,
    'data.train.synthesize=null',
    `data.val.path=${world}`,
    `data.val.split=${split('val')}`,
    `data.test.path=${world}`,
    `data.test.split=${split('test')}`,
    'data.height=64',
    'data.width=64',
    'data.batch_size=2',
    'data.prefetch=1',
    'model.num_ch_dec=[4, 8, 16, 32, 64]',
    `run_dir=${runDir}`,
    'train.steps=3',
    'train.log_every=1',
    'train.val_every=3',
    'eval.max_samples=2',
    ...sets,
  ]).config;
}

describe('supervised training (tiny synthetic NYU and MAI worlds, wasm)', { timeout: 900_000 }, () => {
  const nyu = join(root, 'nyu');
  const mai = join(root, 'mai');
  beforeAll(async () => {
    await initBackend('wasm');
    await generateWorld({ world: 'nyu', out: nyu, count: 24, height: 48, width: 64, seed: '0', framesPerScene: 8, progress: false });
    await generateWorld({ world: 'mai', out: mai, count: 24, height: 48, width: 64, seed: '0', framesPerScene: 8, progress: false });
  }, 900_000);

  it('trains on the NYU .h5 world with fast-depth augmentation and validates/tests with the fastdepth protocol', async () => {
    const run = join(root, 'nyu_run');
    const config = tinyConfig('nyu_teacher', nyu, run);
    const r = await train(config, { log: quiet, progressStream: devNull });
    expect(r.steps).toBe(3);
    for (const m of [r.metrics!, r.testMetrics!]) {
      expect(m.rmseMetres).toBeGreaterThan(0);
      expect(m.delta1).toBeGreaterThanOrEqual(0);
      expect(m.delta1).toBeLessThanOrEqual(1);
    }
    const parts = readScalarLog(run).filter((x) => x.split === 'train').at(-1)!.values;
    expect(parts['loss_parts/supervised/0']).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(run, 'test_metrics.json'), 'utf8')).protocol.protocol).toBe('fastdepth');
    const conv = outputConventionFromConfig(config);
    expect(conv).toMatchObject({ convention: 'sigmoid', trainedWith: 'supervised', minDepth: 0.1, maxDepth: 10, trainingBaseline: null });
    expect(depthScaleFactor(conv, 0)).toBe(1);
  });

  it('trains on the MAI layout with the depth-compensating crop and reports si-RMSE; the best checkpoint follows si-RMSE', async () => {
    const run = join(root, 'mai_run');
    const r = await train(tinyConfig('mai_teacher', mai, run), { log: quiet, progressStream: devNull });
    expect(r.testMetrics!.siRmse).toBeGreaterThan(0);
    expect(r.metrics!.rmse).toBeGreaterThan(0);
    expect(r.best?.metric).toBe('siRmse');
    expect(existsSync(join(run, 'checkpoints', 'best', 'model.sdt'))).toBe(true);
  });

  it('stereodepth test + eval reproduce the trainer\'s test metrics: fastdepth (GT through the val transform) and mai', () => {
    const cli = (args: string[]): string => {
      // A plain Node child, not a vitest worker: without VITEST it installs its own resolve hook (as trainer.test.ts does).
      const { VITEST: _vitest, VITEST_WORKER_ID: _worker, ...env } = process.env;
      const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'stereodepth.js'), ...args], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`stereodepth ${args.join(' ')} failed: ${r.stderr.slice(-1500)}`);
      return r.stdout;
    };
    const metricsOf = (dir: string): Record<string, number> => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).metrics;
    const trained = (run: string): Record<string, number> => JSON.parse(readFileSync(join(root, run, 'test_metrics.json'), 'utf8')).metrics;
    const nyuOut = join(root, 'nyu_test');
    cli(['test', '--checkpoint', join(root, 'nyu_run'), '--out', nyuOut, '--backend', 'wasm']);
    expect(existsSync(join(nyuOut, 'gt_depth.npy'))).toBe(true);
    cli(['eval', '--split', 'nyu', '--protocol', 'fastdepth', '--pred', join(nyuOut, 'disparities.npy'), '--gt', join(nyuOut, 'gt_depth.npy')]);
    const maiOut = join(root, 'mai_test');
    cli(['test', '--checkpoint', join(root, 'mai_run'), '--out', maiOut, '--backend', 'wasm']);
    cli(['eval', '--split', 'mai', '--pred', join(maiOut, 'disparities.npy'), '--data-path', join(mai, 'test')]);
    for (const k of ['rmseMetres', 'delta1', 'absRel']) expect(metricsOf(nyuOut)[k], k).toBeCloseTo(trained('nyu_run')[k]!, 6);
    for (const k of ['siRmse', 'rmse', 'rel']) expect(metricsOf(maiOut)[k], k).toBeCloseTo(trained('mai_run')[k]!, 6);
  });

  it('hint KD from a supervised teacher: the supervised loss plus the hint term, adapters saved apart', async () => {
    const teacher = join(root, 'nyu_run');
    const run = join(root, 'nyu_hint');
    const config = tinyConfig('nyu_teacher', nyu, run, [
      'model.num_ch_dec=[2, 4, 8, 16, 32]',
      `distill={"kind": "hint", "teacher": {"source": "checkpoint", "path": "${teacher}"}, "weights": [0.01, 0.01, 0.01, 0.01]}`,
    ]);
    await train(config, { log: quiet, progressStream: devNull });
    const parts = readScalarLog(run).filter((x) => x.split === 'train').at(-1)!.values;
    expect(parts['loss_parts/supervised/0']).toBeGreaterThan(0);
    expect(parts['loss_parts/hint/total']).toBeGreaterThan(0);
    const ckpt = join(run, 'checkpoints', 'latest');
    const dir = join(run, 'checkpoints', readFileSync(ckpt, 'utf8').trim());
    const model = await loadTensors(join(dir, 'model.sdt'));
    const adapters = await loadTensors(join(dir, 'adapters.sdt'));
    expect(Object.keys(model).some((k) => k.startsWith('hint'))).toBe(false);
    expect(Object.keys(adapters).length).toBe(8);
    for (const t of [...Object.values(model), ...Object.values(adapters)]) t.dispose();
  });

  it('refuses a best_metric its protocol does not report, at load time', () => {
    expect(() => tinyConfig('nyu_teacher', nyu, join(root, 'bad_metric'), ['train.best_metric=siRmse'])).toThrow(/best_metric.*siRmse is not a metric of eval.protocol fastdepth: expected one of .*rmseMetres/);
  });
});
