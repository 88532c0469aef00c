/**
 * Reproduces the distillation study of docs/experiments.md ("Distillation") on the synthetic indoor rooms:
 *
 *   npx tsx scripts/distill_experiments.ts [--backend tensorflow] [--jobs 2] [--seeds 0,1,2] [--out runs/distill-experiments]
 *
 * 1. renders the rooms (configs/synthetic/experiments/rooms_base.yaml) and writes the imperfect relative-depth expert's
 *    teacher maps for the training split (true depth through a power law, a smooth multiplicative field and pixel noise,
 *    stored as DPT-like inverse depth);
 * 2. trains every arm x seed of ARMS with `stereodepth train` (finished runs are skipped: the script resumes): from scratch,
 *    and warm-started from the same seed's 100-step student; hint-KD students after their teacher;
 * 3. evaluates each final checkpoint on the held-out test rooms: abs_rel, a1, rmse, si-RMSE over all valid pixels and over
 *    the textureless-wall pixels alone (the world's `<NNN>_0_textureless.png` masks), pixels pooled over the split, no median
 *    scaling (the students are stereo-trained: metric depth);
 * 4. prints the table (mean ± sample std over seeds) and writes <out>/results.json and <out>/results.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { initBackend } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { SimsinDataset } from '../src/data/simsin.js';
import { readRgb } from '../src/io/image.js';
import { writeTeacherMapFiles } from '../src/infer/teacher_cache.js';
import { predictDisparity, rgbToNetInput } from '../src/infer/predict.js';
import { alignScaleShift } from '../src/losses/distill.js';
import { netOutputOfObjective, teacherMapToDepth } from '../src/losses/distill_objective.js';
import { depthFromDisparity } from '../src/models/output_convention.js';
import { ensureSynthetic, netFromCheckpoint, objectiveFromConfig } from '../src/run/build.js';
import { computeDepthMetrics, maiMetrics } from '../src/eval/metrics.js';
import { Rng } from '../src/util/random.js';

const EXP = 'configs/synthetic/experiments';
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const backend = arg('backend', 'tensorflow');
const jobs = Number(arg('jobs', '2'));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const out = arg('out', 'runs/distill-experiments');

interface Arm {
  name: string;
  config: string;
  sets?: string[];
  /** null: one unseeded run (the teacher); 'all': every --seeds value; 'first': the first only (ablations). */
  seeds: 'all' | 'first' | null;
  /** Runs that must finish first: an unseeded arm, or a seeded arm's run of the same seed. */
  after?: string[];
  /** Start from the same seed's `student` run (100 stereo steps) with a fresh schedule: the warm-start study. */
  warm?: boolean;
}
const ARMS: Arm[] = [
  { name: 'hint_teacher', config: `${EXP}/hint_teacher.yaml`, seeds: null },
  { name: 'student', config: `${EXP}/student.yaml`, seeds: 'all' },
  // DistDepth HEAD: row-wise least-squares alignment, dist_weight 0.05.
  { name: 'student_distdepth', config: `${EXP}/student_distdepth.yaml`, seeds: 'all' },
  // One least-squares alignment per batch and dist_weight 1 (see docs/experiments.md for why), and each change alone.
  { name: 'student_distdepth_lstsq_w1', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.alignment=lstsq', 'distill.dist_weight=1'], seeds: 'all' },
  { name: 'student_distdepth_rows_w1', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.dist_weight=1'], seeds: 'first' },
  { name: 'student_distdepth_lstsq_w005', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.alignment=lstsq'], seeds: 'first' },
  // Hint KD from the 300-step teacher with weights 0.1 (the first try; student_hint.yaml now holds the settings that worked).
  { name: 'student_hint', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher')}`, 'distill.weights=[0.1, 0.1, 0.1, 0.1]'], seeds: 'all', after: ['hint_teacher'] },
  // Warm start: every arm continues the same seed's `student` run for 100 more steps (from scratch the distilled students
  // collapse to a flat depth map, see docs/experiments.md).
  { name: 'warm_student', config: `${EXP}/student.yaml`, seeds: 'all', warm: true },
  { name: 'warm_distdepth', config: `${EXP}/student_distdepth.yaml`, seeds: 'all', warm: true },
  { name: 'warm_distdepth_lstsq_w05', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.alignment=lstsq', 'distill.dist_weight=0.5'], seeds: 'all', warm: true },
  { name: 'warm_hint', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher')}`, 'distill.weights=[0.1, 0.1, 0.1, 0.1]'], seeds: 'all', after: ['hint_teacher'], warm: true },
  // The fixes the first runs pointed at: moment-matching alignment (no shrinkage of the student), hint weights 10x smaller.
  { name: 'warm_distdepth_moments', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.alignment=moments'], seeds: 'all', warm: true },
  { name: 'student_distdepth_moments', config: `${EXP}/student_distdepth.yaml`, sets: ['distill.alignment=moments'], seeds: 'all' },
  { name: 'warm_hint_w001', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher')}`, 'distill.weights=[0.01, 0.01, 0.01, 0.01]'], seeds: 'all', after: ['hint_teacher'], warm: true },
  // Hint KD again with a teacher that is clearly better than the student (1200 steps instead of 300).
  { name: 'hint_teacher_long', config: `${EXP}/hint_teacher_long.yaml`, seeds: null },
  { name: 'student_hint_long_w001', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher_long')}`, 'distill.weights=[0.01, 0.01, 0.01, 0.01]'], seeds: 'all', after: ['hint_teacher_long'] },
  { name: 'warm_hint_long_w001', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher_long')}`, 'distill.weights=[0.01, 0.01, 0.01, 0.01]'], seeds: 'all', after: ['hint_teacher_long'], warm: true },
  { name: 'warm_hint_long_w003', config: `${EXP}/student_hint.yaml`, sets: [`distill.teacher.path=${join(out, 'hint_teacher_long')}`, 'distill.weights=[0.003, 0.003, 0.003, 0.003]'], seeds: 'all', after: ['hint_teacher_long'], warm: true },
];
const runName = (arm: string, seed: number | null): string => (seed === null ? arm : `${arm}_seed${seed}`);
const seedsOf = (arm: Arm): (number | null)[] => (arm.seeds === null ? [null] : arm.seeds === 'first' ? seeds.slice(0, 1) : seeds);

/** The expert: inverse depth d = 1000 z^-0.7 · exp(smooth field) · (1 + 3% noise), DPT-like magnitudes (hundreds). */
function expertInverseDepth(depth: Float32Array, height: number, width: number, rng: Rng): Float32Array {
  const waves = Array.from({ length: 3 }, () => ({ fx: rng.uniform(0.5, 2), fy: rng.uniform(0.5, 2), phase: rng.uniform(0, 2 * Math.PI), amp: rng.uniform(0.05, 0.12) }));
  const out = new Float32Array(depth.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const z = depth[i]!;
      if (!(z > 0)) continue;
      const field = waves.reduce((s, w) => s + w.amp * Math.sin((2 * Math.PI * (w.fx * x)) / width + (2 * Math.PI * (w.fy * y)) / height + w.phase), 0);
      out[i] = 1000 * z ** -0.7 * Math.exp(field) * (1 + rng.normal(0, 0.03));
    }
  }
  return out;
}

async function writeExpertMaps(dataPath: string, split: string, dir: string): Promise<void> {
  if (existsSync(join(dir, 'teacher_maps.json'))) return;
  const ds = new SimsinDataset({ dataPath, split: { file: split }, loadDepth: true });
  const rng = new Rng('expert');
  let shape = [0, 0];
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const gt = s.gtDepth!;
    shape = [gt.height, gt.width];
    await writeTeacherMapFiles(dir, [{ id: s.id, map: expertInverseDepth(gt.data, gt.height, gt.width, rng) }], gt.height, gt.width);
  }
  writeFileSync(join(dir, 'teacher_maps.json'), JSON.stringify({ kind: 'inverse_depth', source: 'true depth: 1000 z^-0.7 x exp(smooth field) x (1 + N(0, 0.03))', count: ds.length, height: shape[0], width: shape[1] }, null, 1));
  process.stderr.write(`expert maps: ${ds.length} inverse-depth maps -> ${dir}\n`);
}

function runTrain(arm: Arm, seed: number | null): Promise<void> {
  const runDir = join(out, runName(arm.name, seed));
  if (existsSync(join(runDir, 'done.json'))) return Promise.resolve();
  const args = ['bin/stereodepth.js', 'train', '--config', arm.config, '--run-dir', runDir, '--backend', backend, '--resume'];
  const init = arm.warm ? [`init={checkpoint: ${JSON.stringify(join(out, runName('student', seed)))}, models: [encoder, depth]}`] : [];
  for (const s of [...(arm.sets ?? []), ...init, ...(seed === null ? [] : [`seed=${seed}`]), 'data.train.synthesize=null']) args.push('--set', s);
  mkdirSync(runDir, { recursive: true });
  process.stderr.write(`train ${runDir}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${runDir}: train exited with ${code}\n${tail}`))));
  });
}

async function trainAll(): Promise<void> {
  const done = new Map<string, Promise<void>>();
  const queue = ARMS.flatMap((arm) => seedsOf(arm).map((seed) => ({ arm, seed })));
  let next = 0;
  const dependencies = (arm: Arm, seed: number | null): string[] => [
    ...(arm.after ?? []).map((a) => runName(a, ARMS.find((x) => x.name === a)!.seeds === null ? null : seed)),
    ...(arm.warm ? [runName('student', seed)] : []),
  ];
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const { arm, seed } = queue[next++]!;
      await Promise.all(dependencies(arm, seed).map((d) => done.get(d) ?? Promise.resolve()));
      const p = runTrain(arm, seed);
      done.set(runName(arm.name, seed), p);
      await p;
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

/** spread = std(pred) / std(gt) over the pooled pixels: ~0 for a flat (collapsed) prediction. */
type Metrics = { absRel: number; a1: number; rmse: number; siRmse: number; spread: number; pixels: number };

function metricsOf(gt: number[], pred: number[]): Metrics {
  const m = computeDepthMetrics(gt, pred, { float32Ratios: false });
  const mai = maiMetrics(gt.map((g) => g * 1000), pred.map((p) => p * 1000));
  const std = (xs: number[]): number => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  };
  return { absRel: m.absRel, a1: m.a1, rmse: m.rmse, siRmse: mai.siRmse, spread: std(pred) / std(gt), pixels: gt.length };
}

/** Valid-GT pixels of one test image into the pooled (all, textureless) lists; predictions clamped to the eval range. */
async function pool(root: string, id: string, gt: Float32Array, pred: ArrayLike<number>, range: [number, number], all: [number[], number[]], flat: [number[], number[]]): Promise<void> {
  const mask = await readRgb(join(root, `${id.split(/\s+/)[0]!}_textureless.png`));
  for (let p = 0; p < gt.length; p++) {
    const g = gt[p]!;
    if (!(g > range[0] && g <= range[1])) continue;
    const v = Math.min(Math.max(pred[p]!, range[0]), range[1]);
    all[0].push(g);
    all[1].push(v);
    if (mask.data[p * 3]! > 127) {
      flat[0].push(g);
      flat[1].push(v);
    }
  }
}

/**
 * How good the expert itself is on the test rooms: its maps (same distortion, fresh noise) as depth 1 / (d + 1), aligned to
 * the GT of each image by least squares (an oracle alignment the student never gets).
 */
async function evaluateExpert(dataPath: string, split: string, range: [number, number]): Promise<{ all: Metrics; textureless: Metrics }> {
  const ds = new SimsinDataset({ dataPath, split: { file: split }, loadDepth: true });
  const rng = new Rng('expert-test');
  const all: [number[], number[]] = [[], []];
  const flat: [number[], number[]] = [[], []];
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const gt = s.gtDepth!;
    const shape: [number, number, number, number] = [1, gt.height, gt.width, 1];
    const teacher = tf.tidy(() => teacherMapToDepth(tf.tensor4d(expertInverseDepth(gt.data, gt.height, gt.width, rng), shape), 'inverse_depth'));
    const target = tf.tensor4d(gt.data, shape);
    const { scale, shift } = alignScaleShift(teacher, target, 'lstsq');
    const aligned = Array.from(teacher.dataSync(), (t) => t * scale + shift);
    tf.dispose([teacher, target]);
    await pool(dataPath, s.id, gt.data, aligned, range, all, flat);
  }
  return { all: metricsOf(...all), textureless: metricsOf(...flat) };
}

/** Final checkpoint of a run on the test rooms: all valid pixels and textureless-wall pixels, pooled over images. */
async function evaluateRun(runDir: string): Promise<{ all: Metrics; textureless: Metrics }> {
  const cached = join(runDir, 'distill_eval.json');
  if (existsSync(cached)) {
    const r = JSON.parse(readFileSync(cached, 'utf8')) as { all: Metrics; textureless: Metrics };
    if (r.all.spread !== undefined) return r;
  }
  const { net, config } = await netFromCheckpoint(runDir);
  const test = config.data.test!;
  const ds = new SimsinDataset({ dataPath: test.path, split: { file: test.split! }, loadDepth: true });
  const objective = objectiveFromConfig(config.loss);
  const { height, width } = config.data;
  const [minD, maxD] = [config.eval.min_depth, config.eval.max_depth];
  const all: [number[], number[]] = [[], []];
  const flat: [number[], number[]] = [[], []];
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    const gt = s.gtDepth!;
    if (gt.height !== height || gt.width !== width) throw new Error(`${s.id}: GT ${gt.height}x${gt.width}, net ${height}x${width}: the study evaluates at the training size`);
    const depth = tf.tidy(() => depthFromDisparity(predictDisparity(net, rgbToNetInput(s.left, height, width, s.id), { postProcess: false }), netOutputOfObjective(objective)));
    const pred = depth.dataSync();
    depth.dispose();
    await pool(test.path, s.id, gt.data, pred, [minD, maxD], all, flat);
  }
  net.dispose();
  const r = { all: metricsOf(...all), textureless: metricsOf(...flat) };
  writeFileSync(cached, JSON.stringify(r, null, 1));
  return r;
}

const meanStd = (xs: number[]): string => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${m.toFixed(4)} ± ${sd.toFixed(4)}`;
};

async function main(): Promise<void> {
  const base = loadConfig(`${EXP}/student_distdepth.yaml`).config;
  await ensureSynthetic(base.data.train, (l) => process.stderr.write(l + '\n'));
  await writeExpertMaps(base.data.train.path, base.data.train.split!, (base.distill!.teacher).path);
  const started = Date.now();
  await trainAll();
  process.stderr.write(`training done in ${((Date.now() - started) / 60000).toFixed(1)} min\n`);

  await initBackend(backend as never);
  const results: Record<string, { seed: number | null; all: Metrics; textureless: Metrics }[]> = {};
  for (const arm of ARMS) {
    results[arm.name] = [];
    for (const seed of seedsOf(arm)) {
      const runDir = join(out, runName(arm.name, seed));
      results[arm.name]!.push({ seed, ...(await evaluateRun(runDir)) });
    }
  }
  results.expert_oracle_aligned = [{ seed: null, ...(await evaluateExpert(base.data.test!.path, base.data.test!.split!, [base.eval.min_depth, base.eval.max_depth])) }];
  const rows = Object.entries(results).map(([name, rs]) => {
    const col = (part: 'all' | 'textureless', k: keyof Metrics) => meanStd(rs.map((r) => r[part][k]));
    return `| ${name} | ${rs.length} | ${col('all', 'absRel')} | ${col('all', 'a1')} | ${col('all', 'siRmse')} | ${col('all', 'spread')} | ${col('textureless', 'absRel')} | ${col('textureless', 'a1')} | ${col('textureless', 'siRmse')} |`;
  });
  const table = [
    '| arm | runs | abs_rel (all) | a1 (all) | si-RMSE (all) | spread (all) | abs_rel (textureless) | a1 (textureless) | si-RMSE (textureless) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 1));
  writeFileSync(join(out, 'results.md'), table + '\n');
  process.stdout.write(table + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`distill-experiments: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
