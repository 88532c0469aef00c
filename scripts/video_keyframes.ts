/**
 * Measures video keyframe feature reuse (docs/experiments.md, "Video: keyframe feature reuse"):
 *
 *   npx tsx scripts/video_keyframes.ts [--checkpoint runs/video_keyframes] [--every 5] [--backend wasm] [--out runs/video_keyframes_eval]
 *
 * 1. renders held-out synthetic KITTI drives of 30 consecutive frames (96x320, seed 'video'; `stereodepth synth --world
 *    kitti --count 60 --frames-per-scene 30 --height 96 --width 320 --seed video`), unless present;
 * 2. for each drive runs `stereodepth predict <drive>/image_02/data` three times, side by side: every frame in full
 *    (--keyframe-every 1), K frames per keyframe with the deep features reused as they are (--motion none), and shifted
 *    by the global motion estimate (--motion shift); the network time per frame comes from each run's sequence.json;
 * 3. scores every run against the dense true depth (proj_depth/groundtruth, depth x 256): abs_rel per frame (metric, no
 *    median scaling: the net is stereo-trained; depth capped to 80 m as the KITTI protocol), averaged over frames; and
 *    temporal flicker = mean |pred_t - pred_t-1| (m) over the pixels whose true depth changes by less than 1% between the
 *    two frames (the road, far structure), pooled over all consecutive pairs;
 * 4. times the three side by side in this one process, frame by frame (full net, then A, then B on the same frame), so
 *    a changing machine load hits all three alike: the speed-up column comes from this;
 * 5. prints the table and writes <out>/results.json and <out>/results.md.
 * Train the checkpoint first: `stereodepth train --config configs/synthetic/video_keyframes.yaml --run-dir runs/video_keyframes`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { initBackend, shutdownBackend, type BackendName } from '../src/backend/index.js';
import { generateWorld } from '../src/data/synthetic/writer.js';
import { keyframeDepthNet, type KeyframeDepthNet } from '../src/infer/keyframes.js';
import { rgbToNetInput } from '../src/infer/predict.js';
import { readRgb } from '../src/io/image.js';
import { netFromCheckpoint } from '../src/run/build.js';
import { computeDepthMetrics } from '../src/eval/metrics.js';
import { readPng16, uint16ToFloatMap } from '../src/io/image.js';
import { readNpy } from '../src/io/npy.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const checkpoint = arg('checkpoint', 'runs/video_keyframes');
const every = Number(arg('every', '5'));
const backend = arg('backend', 'wasm');
const out = arg('out', 'runs/video_keyframes_eval');
const data = arg('data', 'data/synthetic/kitti_video_seq');
const MAX_DEPTH = 80;
/** A pixel's true depth "does not change" between two frames when it moves by less than this fraction. */
const STATIC_TOLERANCE = 0.01;

interface Variant { name: string; every: number; motion: 'none' | 'shift' }
const VARIANTS: Variant[] = [
  { name: 'every frame in full (K=1)', every: 1, motion: 'none' },
  { name: `K=${every}, features reused as they are (A)`, every, motion: 'none' },
  { name: `K=${every}, features shifted by the global motion (B)`, every, motion: 'shift' },
];

function drives(root: string): string[] {
  const found: string[] = [];
  for (const date of readdirSync(root).filter((d) => /^\d{4}_\d\d_\d\d$/.test(d)).sort()) {
    for (const drive of readdirSync(join(root, date)).filter((d) => d.endsWith('_sync')).sort()) found.push(join(root, date, drive));
  }
  if (found.length === 0) throw new Error(`${root}: no KITTI drive folders (<date>/<date>_drive_NNNN_sync)`);
  return found;
}

interface RunResult { msPerFrame: number; msPerKeyframe: number; msPerBetween: number | null; frames: number; keyframes: number }

function predict(drive: string, v: Variant, dir: string): RunResult {
  const args = ['tsx', 'src/cli/main.ts', 'predict', join(drive, 'image_02', 'data'), '--checkpoint', checkpoint, '--out', dir,
    '--keyframe-every', String(v.every), '--motion', v.motion, '--backend', backend, '--no-video'];
  const r = spawnSync('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stereodepth ${args.slice(2).join(' ')} failed (exit ${r.status})`);
  return JSON.parse(readFileSync(join(dir, 'sequence.json'), 'utf8')) as RunResult;
}

interface Scores { absRel: number[]; flickerSum: number; flickerPixels: number }

async function score(drive: string, dir: string, scores: Scores): Promise<void> {
  const frames = readdirSync(join(drive, 'image_02', 'data')).filter((f) => f.endsWith('.png')).sort().map((f) => f.replace(/\.png$/, ''));
  let prev: { gt: Float32Array; pred: Float32Array } | undefined;
  for (const f of frames) {
    const gt = uint16ToFloatMap(await readPng16(join(drive, 'proj_depth', 'groundtruth', 'image_02', `${f}.png`)), 256).data;
    const pred = (await readNpy(join(dir, `${f}.npy`))).data as Float32Array;
    const g: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < gt.length; i++) {
      if (gt[i]! > 1e-3 && gt[i]! <= MAX_DEPTH && pred[i]! > 0) {
        g.push(gt[i]!);
        p.push(Math.min(Math.max(pred[i]!, 1e-3), MAX_DEPTH));
      }
    }
    scores.absRel.push(computeDepthMetrics(g, p).absRel);
    if (prev) {
      for (let i = 0; i < gt.length; i++) {
        const a = prev.gt[i]!;
        const b = gt[i]!;
        if (a > 1e-3 && b > 1e-3 && a <= MAX_DEPTH && Math.abs(a - b) <= STATIC_TOLERANCE * b && pred[i]! > 0 && prev.pred[i]! > 0) {
          scores.flickerSum += Math.abs(Math.min(pred[i]!, MAX_DEPTH) - Math.min(prev.pred[i]!, MAX_DEPTH));
          scores.flickerPixels++;
        }
      }
    }
    prev = { gt, pred };
  }
}

/** Network ms per frame of the full net and of each K>1 variant, interleaved frame by frame over every drive. */
async function sideBySide(driveDirs: string[]): Promise<number[]> {
  await initBackend(backend as BackendName);
  const { net, output } = await netFromCheckpoint(checkpoint);
  const totals = VARIANTS.map(() => 0);
  let frames = 0;
  try {
    for (const drive of driveDirs) {
      const videos: Array<KeyframeDepthNet | undefined> = VARIANTS.map((v) => (v.every === 1 ? undefined : keyframeDepthNet(net, { every: v.every, motion: v.motion })));
      const dir = join(drive, 'image_02', 'data');
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.png')).sort()) {
        const x = rgbToNetInput(await readRgb(join(dir, f)), output.inputHeight, output.inputWidth);
        VARIANTS.forEach((_, k) => {
          const model = videos[k] ?? net;
          const start = performance.now();
          const out = model.apply(x, { training: false });
          out.disparities[0]!.dataSync();
          totals[k]! += performance.now() - start;
          tf.dispose([...out.disparities, ...out.features]);
        });
        x.dispose();
        frames++;
      }
      videos.forEach((v) => v?.dispose());
    }
  } finally {
    net.dispose();
  }
  return totals.map((t) => t / frames);
}

async function main(): Promise<void> {
  if (!existsSync(join(data, 'synth_manifest.json'))) {
    await generateWorld({ world: 'kitti', out: data, count: 60, height: 96, width: 320, seed: 'video', framesPerScene: 30 });
  }
  if (!existsSync(checkpoint)) throw new Error(`${checkpoint} does not exist: train it with stereodepth train --config configs/synthetic/video_keyframes.yaml --run-dir ${checkpoint}`);
  const rows = VARIANTS.map((v) => ({ variant: v, ms: [] as number[], frames: 0, keyMs: 0, keyframes: 0, betweenMs: 0, scores: { absRel: [], flickerSum: 0, flickerPixels: 0 } as Scores }));
  for (const drive of drives(data)) {
    for (const [k, row] of rows.entries()) {
      const dir = join(out, `k${row.variant.every}_${row.variant.motion}`, drive.split('/').pop()!);
      process.stderr.write(`${drive}: ${row.variant.name}\n`);
      const r = predict(drive, VARIANTS[k]!, dir);
      row.ms.push(r.msPerFrame * r.frames);
      row.frames += r.frames;
      row.keyMs += r.msPerKeyframe * r.keyframes;
      row.keyframes += r.keyframes;
      row.betweenMs += (r.msPerBetween ?? 0) * (r.frames - r.keyframes);
      await score(drive, dir, row.scores);
    }
  }
  const results = rows.map((r) => ({
    variant: r.variant.name,
    keyframeEvery: r.variant.every,
    motion: r.variant.motion,
    frames: r.frames,
    msPerFrame: r.ms.reduce((a, b) => a + b, 0) / r.frames,
    msPerKeyframe: r.keyMs / r.keyframes,
    msPerBetween: r.frames > r.keyframes ? r.betweenMs / (r.frames - r.keyframes) : null,
    // keyframes and in-between frames alternate within one run, so this ratio sees the same machine load on both sides
    speedUpWithinRun: (r.keyMs / r.keyframes) / (r.ms.reduce((a, b) => a + b, 0) / r.frames),
    absRel: r.scores.absRel.reduce((a, b) => a + b, 0) / r.scores.absRel.length,
    flickerMetres: r.scores.flickerSum / r.scores.flickerPixels,
    flickerPixels: r.scores.flickerPixels,
  }));
  process.stderr.write('timing the variants side by side, frame by frame ...\n');
  const interleavedMs = await sideBySide(drives(data));
  results.forEach((r, k) => Object.assign(r, { interleavedMsPerFrame: interleavedMs[k]! }));
  const base = results[0]!;
  const lines = [
    `| variant | ms / frame, side by side | speed-up | predict runs: ms / keyframe, ms / frame between | abs_rel | abs_rel change | flicker (m) | flicker change |`,
    `|---|---|---|---|---|---|---|---|`,
    ...results.map((r) => `| ${r.variant} | ${interleavedMs[results.indexOf(r)]!.toFixed(1)} | ${(interleavedMs[0]! / interleavedMs[results.indexOf(r)]!).toFixed(2)}x | ` +
      `${r.msPerKeyframe.toFixed(0)}, ${r.msPerBetween?.toFixed(0) ?? '-'} | ${r.absRel.toFixed(4)} | ` +
      `${(((r.absRel - base.absRel) / base.absRel) * 100).toFixed(1)}% | ${r.flickerMetres.toFixed(4)} | ${(((r.flickerMetres - base.flickerMetres) / base.flickerMetres) * 100).toFixed(1)}% |`),
    '',
    `${base.frames} frames in ${drives(data).length} drives (${data}), checkpoint ${checkpoint}, backend ${backend}; flicker over ${base.flickerPixels} static-depth pixel pairs.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await writeFileAtomic(join(out, 'results.json'), JSON.stringify({ checkpoint, backend, every, data, results }, null, 2) + '\n');
  await writeFileAtomic(join(out, 'results.md'), lines.join('\n') + '\n');
}

main()
  // the threaded wasm build keeps its pthread workers alive: release them so the script exits
  .then(() => shutdownBackend())
  .catch((err: unknown) => {
    process.stderr.write(`video_keyframes: ${(err as Error).message}\n`);
    process.exit(1);
  });
