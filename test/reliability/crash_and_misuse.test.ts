/**
 * Reliability suite (issue 15): real trainings of the tiny recipe (4 steps, 64x192) killed with SIGKILL during a
 * best / step checkpoint write and resumed, two trainings into one directory, a torn metrics.jsonl, a damaged .sdt
 * and a calib with fx 0. The killed runs are CLI child processes, as a user runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, watch, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { readScalarLog } from '../../src/train/logging.js';
import { runTraining as train } from '../../src/run/training.js';
import { repoRoot } from '../helpers/fixtures.js';
import { tensorBoardScalars } from '../helpers/tfevents.js';

const root = mkdtempSync(join(tmpdir(), 'sd-reliability-'));
const world = join(root, 'world');
const SETS = (w: string): string[] => [
  `data.train.path=${w}`, `data.train.split=${join(w, 'splits/synthetic/train_files.txt')}`, 'data.train.synthesize=null',
  `data.val.path=${w}`, `data.val.split=${join(w, 'splits/synthetic/test_files.txt')}`,
  `data.test.path=${w}`, `data.test.split=${join(w, 'splits/synthetic/test_files.txt')}`,
  'train.steps=4', 'train.val_every=2', 'train.checkpoint_every=2', 'train.image_every=0', 'eval.max_samples=2', 'data.test.max_samples=2',
];
const quiet = (): void => undefined;
const devNull = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

function cli(runDir: string, resume = false, w = world): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const args = ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'train', '--config', 'configs/synthetic/tiny.yaml', '--run-dir', runDir, '--backend', 'wasm', ...SETS(w).flatMap((s) => ['--set', s]), ...(resume ? ['--resume'] : [])];
  // a plain Node process, not a vitest worker: without VITEST it installs its own module resolution (as trainer.test's CLI runs)
  // STEREODEPTH_FAULT_DELAY_MS: each checkpoint / best copy stays half-written 300 ms, so the kill lands inside it
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))), STEREODEPTH_FAULT_DELAY_MS: '300' };
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, exit: new Promise((r) => child.on('exit', (code) => r({ code, stderr }))) };
}

/** SIGKILLs `child` the moment the `occurrence`-th distinct entry matching `pattern` appears in <run>/checkpoints (inotify). */
async function killWhen(child: ChildProcess, runDir: string, pattern: RegExp, occurrence: number, exit: Promise<unknown>): Promise<boolean> {
  const ck = join(runDir, 'checkpoints');
  let ended = false;
  void exit.then(() => (ended = true));
  while (!existsSync(ck) && !ended) await new Promise((r) => setTimeout(r, 5));
  if (ended) return false;
  return new Promise((resolve) => {
    // distinct names: inotify reports several events for one new folder
    const seen = new Set<string>();
    const consider = (name: string | null): void => {
      if (name && pattern.test(name) && existsSync(join(ck, name)) && seen.add(name).size === occurrence) {
        child.kill('SIGKILL');
        w.close();
        resolve(true);
      }
    };
    const w = watch(ck, (_e, name) => consider(name));
    // the folder may have appeared together with the first entry (mkdir -p), before the watch started
    for (const name of readdirSync(ck)) consider(name);
    void exit.then(() => {
      w.close();
      resolve(false);
    });
  });
}

const losses = (runDir: string): [number, number][] => readScalarLog(runDir).filter((r) => r.split === 'train').map((r) => [r.step, r.values.loss!]);
function leftovers(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (/\.(tmp|old)-\d+$/.test(n) || /^\..+\.\d+\.\d+\.tmp$/.test(n)) out.push(p);
    else if (statSync(p).isDirectory()) out.push(...leftovers(p));
  }
  return out;
}
function tbDuplicates(runDir: string): number {
  let n = 0;
  for (const split of ['train', 'val', 'test']) {
    if (!existsSync(join(runDir, split))) continue;
    for (const [, pts] of tensorBoardScalars(join(runDir, split))) n += pts.length - new Set(pts.map(([s]) => s)).size;
  }
  return n;
}

describe('reliability: kill -9, concurrent trainings, damaged files', { timeout: 900_000 }, () => {
  const ref = join(root, 'ref');
  let refLosses: [number, number][] = [];
  beforeAll(async () => {
    await initBackend('wasm');
    await generateWorld({ world: 'kitti', out: world, count: 24, height: 64, width: 192, seed: '0', framesPerScene: 8, progress: false });
    await train(loadConfig('configs/synthetic/tiny.yaml', [...SETS(world), `run_dir=${ref}`]).config, { log: quiet, progressStream: devNull });
    refLosses = losses(ref);
  }, 900_000);

  it('a second training into a running directory is refused; the first, killed -9 while its best copy is written, resumes bit-identically with best/', async () => {
    const dir = join(root, 'killed_best');
    const first = cli(dir);
    let firstEnded: { code: number | null; stderr: string } | null = null;
    void first.exit.then((r) => (firstEnded = r));
    while (!existsSync(join(dir, 'train.lock')) && !firstEnded) await new Promise((r) => setTimeout(r, 20));
    expect(firstEnded, `the first training ended before taking the lock: ${JSON.stringify(firstEnded)}`).toBeNull();
    const second = await cli(dir).exit;
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(new RegExp(`is in use by another training \\(pid ${first.child.pid} on `));
    expect(await killWhen(first.child, dir, /^best\.tmp-\d+$/, 1, first.exit)).toBe(true);
    await first.exit;
    const resumed = await cli(dir, true).exit;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(losses(dir)).toEqual(refLosses);
    const state = JSON.parse(readFileSync(join(dir, 'checkpoints', readFileSync(join(dir, 'checkpoints/latest'), 'utf8').trim(), 'state.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(dir, 'checkpoints/best/state.json'), 'utf8')).step).toBe(state.best.step);
    expect(leftovers(dir)).toEqual([]);
    expect(tbDuplicates(dir)).toBe(0);
    expect(existsSync(join(dir, 'train.lock'))).toBe(false);
    expect(existsSync(join(dir, 'done.json'))).toBe(true);
  });

  it('killed -9 in the middle of the step 4 checkpoint with a torn metrics.jsonl: resume drops the line with a notice, one clean curve', async () => {
    const dir = join(root, 'killed_step');
    const first = cli(dir);
    expect(await killWhen(first.child, dir, /^step_000004\.tmp-\d+$/, 1, first.exit)).toBe(true);
    await first.exit;
    appendFileSync(join(dir, 'metrics.jsonl'), '{"split":"train","step":4,"time":17');
    const resumed = await cli(dir, true).exit;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/dropped a torn last line of .*metrics\.jsonl/);
    expect(losses(dir)).toEqual(refLosses);
    expect(tbDuplicates(dir)).toBe(0);
    expect(tensorBoardScalars(join(dir, 'train')).get('loss')!.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a damaged model.sdt is an error naming file, tensor and the newest intact checkpoint', async () => {
    const dir = join(root, 'damaged');
    cpSync(ref, dir, { recursive: true });
    const file = join(dir, 'checkpoints/step_000004/model.sdt');
    const fd = openSync(file, 'r+');
    writeSync(fd, new Uint8Array(65536).fill(0xff), 0, 65536, 200_000);
    closeSync(fd);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/step_000004\/model\.sdt: tensor "[^"]+" fails its checksum.*newest intact checkpoint of this run is .*(step_000002|best)/);
  });

  it('a calib with fx 0 stops at load, naming file and key, before any step or checkpoint', async () => {
    const bad = join(root, 'world_fx0');
    cpSync(world, bad, { recursive: true });
    const calib = join(bad, '2099_01_01/calib_cam_to_cam.txt');
    writeFileSync(calib, readFileSync(calib, 'utf8').replace(/^P_rect_03: \S+/m, 'P_rect_03: 0.000000e+00'));
    const dir = join(root, 'fx0');
    await expect(train(loadConfig('configs/synthetic/tiny.yaml', [...SETS(bad), `run_dir=${dir}`]).config, { log: quiet, progressStream: devNull })).rejects.toThrow(
      /calib key 'P_rect_03' fx \(1st number\) is 0: expected a finite focal length > 0.*world_fx0\/2099_01_01\/calib_cam_to_cam\.txt/,
    );
    expect(existsSync(join(dir, 'checkpoints'))).toBe(false);
    expect(existsSync(join(dir, 'train.lock'))).toBe(false);
  });
});
