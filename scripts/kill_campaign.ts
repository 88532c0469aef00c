/**
 * kill -9 campaign against exact resume (issue 15): trains a reference run, then N trials that are killed with
 * SIGKILL (at a random time, or right after a step / best checkpoint temp folder appears) and resumed with
 * `--resume`; each resumed run is compared with the reference.
 *
 *   npx tsx scripts/kill_campaign.ts --trials 10 --out /tmp/kill_campaign [--config configs/synthetic/tiny.yaml]
 *
 * Per trial: resumed exit code, loss curve / test metrics / final weights bit-identical to the reference, best/
 * present and naming the step the state calls best, temp leftovers, duplicated steps in metrics.jsonl and in the
 * curves TensorBoard shows (its SessionLog START purge applied), lock file left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { tensorBoardScalars } from '../test/helpers/tfevents.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const trials = Number(arg('trials', '10'));
const out = resolve(arg('out', '/tmp/kill_campaign'));
const config = arg('config', 'configs/synthetic/tiny.yaml');
const seed = Number(arg('seed', '1'));
const repoRoot = resolve(new URL('..', import.meta.url).pathname);
const world = join(out, 'world');

let rand = seed >>> 0 || 1;
const random = (): number => {
  rand = (rand * 1103515245 + 12345) >>> 0;
  return (rand >>> 8) / 2 ** 24;
};

function trainArgs(runDir: string, resume: boolean): string[] {
  const sets = [
    `data.train.path=${world}`, `data.train.split=${join(world, 'splits/synthetic/train_files.txt')}`,
    `data.val.path=${world}`, `data.val.split=${join(world, 'splits/synthetic/test_files.txt')}`,
    `data.test.path=${world}`, `data.test.split=${join(world, 'splits/synthetic/test_files.txt')}`,
  ].flatMap((s) => ['--set', s]);
  return ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'train', '--config', config, '--run-dir', runDir, ...sets, ...(resume ? ['--resume'] : [])];
}

function run(runDir: string, resume: boolean): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(process.execPath, trainArgs(runDir, resume), { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number>((res) =>
    child.on('exit', (code, signal) => {
      writeFileSync(join(out, `${runDir.split('/').pop()}_${resume ? 'resume' : 'first'}.stderr.txt`), stderr);
      res(code ?? (signal ? 128 + 9 : 1));
    }),
  );
  return { child, done };
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
const latestDir = (runDir: string): string => join(runDir, 'checkpoints', readFileSync(join(runDir, 'checkpoints/latest'), 'utf8').trim());

interface Outcome {
  losses: Map<number, number>;
  duplicatedJsonl: number;
  duplicatedTb: number;
  test: string;
  weights: string;
  bestOk: boolean;
  leftovers: string[];
  lock: boolean;
}

function inspect(runDir: string): Outcome {
  const losses = new Map<number, number>();
  const seen = new Map<string, number>();
  for (const line of readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { split: string; step: number; values: Record<string, number> };
    const key = `${r.split}@${r.step}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (r.split === 'train') losses.set(r.step, r.values.loss!);
  }
  let duplicatedTb = 0;
  for (const split of ['train', 'val', 'test']) {
    if (!existsSync(join(runDir, split))) continue;
    for (const [, points] of tensorBoardScalars(join(runDir, split))) duplicatedTb += points.length - new Set(points.map(([s]) => s)).size;
  }
  const state = JSON.parse(readFileSync(join(latestDir(runDir), 'state.json'), 'utf8')) as { best: { step: number } | null };
  const bestState = join(runDir, 'checkpoints/best/state.json');
  const bestOk = state.best === null || (existsSync(bestState) && (JSON.parse(readFileSync(bestState, 'utf8')) as { step: number }).step === state.best.step);
  const leftovers: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (/\.(tmp|old)-\d+$/.test(n) || /^\..+\.\d+\.\d+\.tmp$/.test(n)) leftovers.push(p.slice(runDir.length + 1));
      else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(runDir);
  return {
    losses,
    duplicatedJsonl: [...seen.values()].filter((n) => n > 1).length,
    duplicatedTb,
    test: existsSync(join(runDir, 'test_metrics.json')) ? JSON.stringify((JSON.parse(readFileSync(join(runDir, 'test_metrics.json'), 'utf8')) as { metrics: unknown }).metrics) : 'missing',
    weights: sha(join(latestDir(runDir), 'model.sdt')),
    bestOk,
    leftovers,
    lock: existsSync(join(runDir, 'train.lock')),
  };
}

/** Waits until `pred` holds (polled every 2 ms) or the process ends. */
async function waitFor(pred: () => boolean, done: Promise<number>): Promise<boolean> {
  let ended = false;
  void done.then(() => (ended = true));
  while (!ended) {
    try {
      if (pred()) return true;
    } catch {
      // the folder may not exist yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const refDir = join(out, 'ref');
  rmSync(refDir, { recursive: true, force: true });
  if (!existsSync(join(world, 'synth_manifest.json'))) {
    // the reference run renders the world (synthesize: in the recipe)
    const w = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'synth', '--world', 'kitti', '--out', world, '--count', '24', '--height', '64', '--width', '192', '--frames-per-scene', '8'], { cwd: repoRoot, stdio: 'ignore' });
    await new Promise((r) => w.on('exit', r));
  }
  const t0 = Date.now();
  const refExit = await run(refDir, false).done;
  const refSeconds = (Date.now() - t0) / 1000;
  if (refExit !== 0) throw new Error(`reference run failed (exit ${refExit}); see ${out}/ref_first.stderr.txt`);
  const ref = inspect(refDir);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < trials; i++) {
    const dir = join(out, `trial_${i}`);
    rmSync(dir, { recursive: true, force: true });
    const mode = ['random', 'step_tmp', 'best_tmp'][i % 3]!;
    const first = run(dir, false);
    const ck = join(dir, 'checkpoints');
    let when = '';
    let aliveAtKill: boolean | null = null;
    if (mode === 'random') {
      const delay = (0.15 + 0.8 * random()) * refSeconds * 1000;
      await Promise.race([new Promise((r) => setTimeout(r, delay)), first.done]);
      when = `at ${(delay / 1000).toFixed(1)} s`;
    } else {
      // inotify (fs.watch) sees a temp folder the moment it is created: the best copy (hard links) lives ~1 ms
      const pattern = mode === 'step_tmp' ? /^step_\d+\.tmp-\d+$/ : /^best\.tmp-\d+$/;
      const occurrence = 1 + Math.floor(random() * 2);
      const jitter = mode === 'best_tmp' ? 0 : Math.floor(random() * 20);
      await waitFor(() => existsSync(ck), first.done);
      await new Promise<void>((resolveSeen) => {
        let seen = 0;
        const watcher = watch(ck, (_event, name) => {
          if (name && pattern.test(name) && existsSync(join(ck, name)) && ++seen === occurrence) {
            watcher.close();
            if (jitter === 0) {
              aliveAtKill = first.child.exitCode === null;
              first.child.kill('SIGKILL');
            }
            resolveSeen();
          }
        });
        void first.done.then(() => {
          watcher.close();
          resolveSeen();
        });
      });
      await new Promise((r) => setTimeout(r, jitter));
      when = `${jitter} ms after ${mode.replace('_tmp', '')}.tmp-<pid> #${occurrence} appeared`;
    }
    const killedWhileRunning = aliveAtKill ?? first.child.exitCode === null;
    first.child.kill('SIGKILL');
    await first.done;
    const resumeExit = await run(dir, true).done;
    const o = resumeExit === 0 ? inspect(dir) : null;
    const identical =
      o !== null &&
      o.losses.size === ref.losses.size &&
      [...ref.losses].every(([s, v]) => o.losses.get(s) === v) &&
      o.test === ref.test &&
      o.weights === ref.weights;
    rows.push({
      trial: i, kill: when, killedWhileRunning, resumeExit, identical,
      bestOk: o?.bestOk ?? false, leftovers: o?.leftovers.length ?? -1, duplicatedJsonl: o?.duplicatedJsonl ?? -1, duplicatedTb: o?.duplicatedTb ?? -1, lockLeft: o?.lock ?? null,
      ...(o && o.leftovers.length > 0 ? { leftoverNames: o.leftovers } : {}),
    });
    process.stdout.write(JSON.stringify(rows[rows.length - 1]) + '\n');
  }
  const count = (f: (r: Record<string, unknown>) => boolean): number => rows.filter(f).length;
  const summary = {
    trials: rows.length,
    killedWhileRunning: count((r) => r.killedWhileRunning === true),
    resumedExit0: count((r) => r.resumeExit === 0),
    bitIdentical: count((r) => r.identical === true),
    bestPresent: count((r) => r.bestOk === true),
    tempLeftovers: rows.reduce((n, r) => n + Math.max(0, r.leftovers as number), 0),
    duplicatedStepsJsonl: rows.reduce((n, r) => n + Math.max(0, r.duplicatedJsonl as number), 0),
    duplicatedStepsTensorBoard: rows.reduce((n, r) => n + Math.max(0, r.duplicatedTb as number), 0),
    lockFilesLeft: count((r) => r.lockLeft === true),
    referenceSeconds: refSeconds,
  };
  writeFileSync(join(out, 'campaign.json'), JSON.stringify({ summary, rows }, null, 1));
  process.stdout.write(JSON.stringify(summary) + '\n');
}

await main();
