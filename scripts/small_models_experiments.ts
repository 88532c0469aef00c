/**
 * The small-models study of docs/experiments.md ("Small models: FastDepth and MAI 2021 students, hint KD"): on the synthetic
 * indoor NYU world (fast-depth .h5 layout) and the synthetic outdoor MAI world (RGB + depth PNG in mm), a supervised ResNet18
 * teacher, the FastDepth and MAI 2021 students alone, and the same students with hint-feature KD from the teacher of the
 * same seed, with plain per-scale MSE hints (`hint`: weights 0.01; `hint_w003`: 0.003), with hint weights decaying from 0.01
 * to 0 on a cosine over the run (`hint_cosine`) and, on request, with per-scale normalized hints (`hint_norm`); an arm
 * `hint*` trains the recipe <world>_<student>_<arm>.yaml; every arm x seed is
 * one `stereodepth train` run of a recipe in configs/synthetic/small_models/.
 *
 *   npx tsx scripts/small_models_experiments.ts [--backend tensorflow] [--jobs 1] [--seeds 0,1,2] [--worlds nyu,mai]
 *       [--out runs/small-models] [--students fastdepth,mai2021] [--resnet-students] [--teacher-seeds all] [--report-only]
 *       [--arms alone,hint,hint_w003,hint_cosine] (add hint_norm for the normalized arm)
 *
 * By default one teacher per world (the first seed) teaches the students of every seed; `--teacher-seeds all` trains a teacher
 * per seed and pairs each student seed with its own. `--report-only` trains nothing and tabulates the finished runs. Finished runs (test_metrics.json present) are skipped, so the script resumes. `--resnet-students` replaces both student
 * networks by ResNet18 with a 16x smaller decoder (for a checkout without the MobileNet presets). Each final checkpoint is
 * evaluated on the world's held-out test scenes: NYU with the fastdepth protocol (RMSE in m, delta1, after fast-depth's val
 * transform at the network size) and si-RMSE on the same pixels; MAI with the MAI protocol (si-RMSE, RMSE in m at the GT
 * size, depth in mm truncated to uint16) and delta1 (monodepth2 protocol, GT in (1e-3, 50] m, no median scaling). The table
 * (every seed, then mean ± sample std) goes to stdout and <out>/results.{json,md}.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { initBackend } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import type { RunConfig } from '../src/config/schema.js';
import { datasetFromConfig, ensureSynthetic, netFromCheckpoint } from '../src/run/build.js';
import { loadValSamples, validate } from '../src/train/validate.js';

const RECIPES = 'configs/synthetic/small_models';
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const backend = arg('backend', 'tensorflow');
const jobs = Number(arg('jobs', '1'));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const worlds = arg('worlds', 'nyu,mai').split(',');
const students = arg('students', 'fastdepth,mai2021').split(',');
const out = arg('out', 'runs/small-models');
const resnetStudents = process.argv.includes('--resnet-students');
const reportOnly = process.argv.includes('--report-only');
const teacherSeeds = arg('teacher-seeds', 'first') === 'all' ? seeds : seeds.slice(0, 1);
const arms = arg('arms', 'alone,hint,hint_w003,hint_cosine').split(',');

interface Run {
  world: string;
  arm: string;
  seed: number;
  recipe: string;
  sets: string[];
  after?: string;
}

const runDir = (world: string, arm: string, seed: number): string => join(out, `${world}_${arm}_s${seed}`);

function plan(): Run[] {
  const runs: Run[] = [];
  for (const world of worlds) {
    for (const seed of teacherSeeds) runs.push({ world, arm: 'teacher', seed, recipe: `${world}_teacher`, sets: [] });
    for (const student of students) {
      const studentSets = resnetStudents ? ['model.name=monodepth2_resnet18', 'model.num_ch_dec=[4, 8, 16, 32, 64]'] : [];
      for (const seed of seeds) {
        if (arms.includes('alone')) runs.push({ world, arm: student, seed, recipe: `${world}_${student}`, sets: studentSets });
        const teacher = runDir(world, 'teacher', teacherSeeds.includes(seed) ? seed : teacherSeeds[0]!);
        for (const kd of arms.filter((a) => a.startsWith('hint'))) {
          runs.push({ world, arm: `${student}_${kd}`, seed, recipe: `${world}_${student}_${kd}`, sets: [...studentSets, `distill.teacher.path=${teacher}`], after: teacher });
        }
      }
    }
  }
  return runs;
}

function train(run: Run): Promise<void> {
  const dir = runDir(run.world, run.arm, run.seed);
  if (existsSync(join(dir, 'test_metrics.json'))) return Promise.resolve();
  mkdirSync(dir, { recursive: true });
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'train', '--config', `${RECIPES}/${run.recipe}.yaml`, '--run-dir', dir, '--backend', backend];
  for (const s of [`seed=${run.seed}`, ...run.sets]) args.push('--set', s);
  process.stderr.write(`train ${dir}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${dir}: train exited with ${code}\n${tail}`))));
  });
}

async function trainAll(runs: Run[]): Promise<void> {
  const started = new Map<string, Promise<void>>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const run = runs[next++]!;
      if (run.after) await (started.get(run.after) ?? Promise.resolve());
      const p = train(run);
      started.set(runDir(run.world, run.arm, run.seed), p);
      await p;
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

type Metrics = { rmse: number; delta1: number; siRmse: number };

/** The final checkpoint of a run on its world's test split (cached in <run>/small_models_eval.json). */
async function evaluate(world: string, dir: string): Promise<Metrics> {
  const cached = join(dir, 'small_models_eval.json');
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Metrics;
  const { net, config, output } = await netFromCheckpoint(dir);
  try {
    const samples = await loadValSamples(await datasetFromConfig(config.data.test!, 'data.test'), null);
    const withEval = (e: Partial<RunConfig['eval']>): RunConfig['eval'] => ({ ...config.eval, ...e });
    let m: Metrics;
    if (world === 'nyu') {
      const fd = (await validate(net, samples, output, withEval({ protocol: 'fastdepth' }), 8, 0)).metrics;
      // si-RMSE on the same pixels as fast-depth's (val transform, network size): the MAI formula on those maps.
      const si = (await validate(net, samples, output, withEval({ protocol: 'mai' }), 8, 0)).metrics;
      m = { rmse: fd.rmseMetres!, delta1: fd.delta1!, siRmse: si.siRmse! };
    } else {
      const mai = (await validate(net, samples, output, withEval({ protocol: 'mai' }), 8, 0)).metrics;
      const md2 = (await validate(net, samples, output, withEval({ protocol: 'monodepth2', crop: 'none', min_depth: 1e-3, max_depth: 50, median_scaling: false }), 8, 0)).metrics;
      m = { rmse: mai.rmse!, delta1: md2.a1!, siRmse: mai.siRmse! };
    }
    writeFileSync(cached, JSON.stringify(m, null, 1));
    return m;
  } finally {
    net.dispose();
  }
}

const meanStd = (xs: number[]): string => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
};

async function main(): Promise<void> {
  for (const world of worlds) await ensureSynthetic(loadConfig(`${RECIPES}/${world}_teacher.yaml`).config.data.train, (l) => process.stderr.write(l + '\n'));
  const runs = plan();
  const t0 = Date.now();
  if (!reportOnly) {
    await trainAll(runs);
    process.stderr.write(`training done in ${((Date.now() - t0) / 60000).toFixed(1)} min\n`);
  }
  await initBackend(backend as never);
  const results: Record<string, { seed: number; metrics: Metrics }[]> = {};
  for (const run of runs) {
    if (reportOnly && !existsSync(join(runDir(run.world, run.arm, run.seed), 'test_metrics.json'))) continue;
    const key = `${run.world}/${run.arm}`;
    (results[key] ??= []).push({ seed: run.seed, metrics: await evaluate(run.world, runDir(run.world, run.arm, run.seed)) });
  }
  const per = (rs: { seed: number; metrics: Metrics }[], k: keyof Metrics): string => rs.map((r) => r.metrics[k].toFixed(3)).join(' / ');
  const lines = [
    `| world | arm | seeds | RMSE (m) per seed | δ1 per seed | si-RMSE per seed | RMSE mean ± std | δ1 mean ± std | si-RMSE mean ± std |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(results).map(([key, rs]) => {
      const [world, arm] = key.split('/');
      const col = (k: keyof Metrics): string => meanStd(rs.map((r) => r.metrics[k]));
      return `| ${world} | ${arm}${resnetStudents && arm !== 'teacher' ? ' (ResNet18 student)' : ''} | ${rs.map((r) => r.seed).join(', ')} | ${per(rs, 'rmse')} | ${per(rs, 'delta1')} | ${per(rs, 'siRmse')} | ${col('rmse')} | ${col('delta1')} | ${col('siRmse')} |`;
    }),
  ];
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 1));
  writeFileSync(join(out, 'results.md'), lines.join('\n') + '\n');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`small-models-experiments: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
