/**
 * `stereodepth synth`: renders a synthetic world and writes it in EXACTLY the layout of a real dataset —
 * KITTI raw drives (images, velodyne .bin, calib txt, improved GT png), Cityscapes (official tree, camera json,
 * disparity png), SimSIN (DistDepth naming, `_depth.npy`), NYUv2 fast-depth `.h5`, MAI 2021 (RGB + depth PNG in mm) — plus split lists with
 * held-out test scenes and a manifest with the rig. Deterministic: a frame is a pure function of
 * (seed, world, scene, frame), so resuming (complete files are skipped) or rendering in another order gives
 * identical bytes. This file runs a whole synth (manifest, resume, threads); the paths are layout.ts, one frame's
 * rendering and files render_job.ts, the KITTI calibration files kitti_calib.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { ProgressBar } from '../../util/progress.js';
import type { StereoRig } from './scene.js';
import { kittiCamToCam, kittiImuToVelo, kittiVeloToCam } from './kitti_calib.js';
import { DEFAULT_SIZE, KITTI_DATE, WORLD_NAMES, frameFiles, planScenes, rigFor, splitLines, type SceneEntry, type SplitName, type WorldName } from './layout.js';
import { renderJob, type ResolvedOptions, type SynthJob, type SynthOptions } from './render_job.js';
import { assertSynthesisTarget } from './target.js';

export interface SynthManifest {
  generator: 'stereodepth synth';
  formatVersion: 1;
  world: WorldName;
  seed: string;
  count: number;
  width: number;
  height: number;
  supersample: number;
  framesPerScene: number;
  imageFormat: 'png' | 'jpg';
  rig: StereoRig & { K: number[] };
  conventions: Record<string, string>;
  scenes: SceneEntry[];
  splits: Record<string, Record<SplitName, string>>;
  complete: boolean;
  framesWritten?: number;
  framesSkipped?: number;
  seconds?: number;
}

const allExist = (root: string, files: Record<string, string>): boolean => Object.values(files).every((f) => existsSync(join(root, f)));
function rigK(rig: StereoRig): number[] {
  return [rig.fx, 0, rig.cx, 0, rig.fy, rig.cy, 0, 0, 1];
}

/** Parameters that must match for a resume into an existing output folder. */
const RESUME_KEYS = ['world', 'seed', 'count', 'width', 'height', 'supersample', 'framesPerScene', 'imageFormat'] as const;

/** Renders and writes a whole synthetic dataset; resumes into an existing folder made with the same parameters. */
export async function generateWorld(options: SynthOptions): Promise<SynthManifest> {
  const started = Date.now();
  const world = options.world;
  if (!WORLD_NAMES.includes(world)) throw new Error(`synth: unknown world '${String(world)}'; expected one of ${WORLD_NAMES.join(', ')}`);
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error(`synth: --count must be a positive integer, got ${options.count}`);
  const size = DEFAULT_SIZE[world];
  const opts: ResolvedOptions = {
    world,
    out: options.out,
    count: options.count,
    height: options.height ?? size.height,
    width: options.width ?? size.width,
    seed: String(options.seed ?? 0),
    framesPerScene: options.framesPerScene ?? 8,
    supersample: options.supersample ?? 1,
    imageFormat: options.imageFormat ?? 'png',
  };
  if (world === 'simsin' || world === 'nyu' || world === 'mai') opts.imageFormat = 'png';
  const rig = rigFor(world, opts.width, opts.height);
  const scenes = planScenes(world, opts.count, opts.framesPerScene);
  const lists = splitLines(world, scenes, opts.imageFormat);
  const splitsPaths: SynthManifest['splits'] = {};
  for (const name of Object.keys(lists)) {
    splitsPaths[name] = { train: `splits/${name}/train_files.txt`, val: `splits/${name}/val_files.txt`, test: `splits/${name}/test_files.txt` };
  }
  const manifestPath = join(opts.out, 'synth_manifest.json');
  assertSynthesisTarget(opts.out);
  if (existsSync(manifestPath)) {
    const previous = JSON.parse(readFileSync(manifestPath, 'utf8')) as Partial<SynthManifest>;
    for (const key of RESUME_KEYS) {
      const now = key === 'seed' ? String(opts.seed) : opts[key];
      if (previous[key] !== now)
        throw new Error(`synth: ${manifestPath} was written with ${key}=${String(previous[key])}, this run has ${key}=${String(now)}; use another --out or the same parameters to resume`);
    }
  }
  const manifest: SynthManifest = {
    generator: 'stereodepth synth',
    formatVersion: 1,
    world,
    seed: String(opts.seed),
    count: opts.count,
    width: opts.width,
    height: opts.height,
    supersample: opts.supersample,
    framesPerScene: opts.framesPerScene,
    imageFormat: opts.imageFormat,
    rig: { ...rig, K: rigK(rig) },
    conventions: {
      axes: 'camera axes x right, y down, z forward; the right camera is +baseline along x (rectified, no rotation)',
      depth: 'z depth of the left view in metres at pixel centres; sky (no hit within maxDistance) = 0 = invalid',
      disparity: 'pixels at the written image size: d = fx * baseline / depth',
      intrinsics: 'real rig intrinsics scaled to the render size (fx by width ratio, fy by height ratio)',
      kitti: 'proj_depth/groundtruth is dense exact depth * 256 (uint16, 0 = sky); velodyne is a 64-beam 360 deg scan of the true geometry from the calib_velo_to_cam pose',
      cityscapes: 'camera json intrinsics are for the written image size; disparity png p = d*256+1 (0 invalid); no car hood is rendered',
      simsin: '<NNN>_0_textureless.png (extra, not in the real layout) marks textureless-surface pixels of the left view',
      nyu: 'h5 rgb uint8 (3,H,W), depth float32 (H,W) at the render size (480x640 by default); held-out test scenes are under val/official/',
      mai: '<train|validation|test>/rgb/<name>.png + depth/<name>.png: uint16 millimetres, 0 = invalid (sky, beyond 50 m); a street seen by a hand-held ZED-like camera (90 deg HFOV, 1.5 m high)',
    },
    scenes,
    splits: splitsPaths,
    complete: false,
  };
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  if (world === 'kitti') {
    await writeFileAtomic(join(opts.out, KITTI_DATE, 'calib_cam_to_cam.txt'), kittiCamToCam(rig));
    await writeFileAtomic(join(opts.out, KITTI_DATE, 'calib_velo_to_cam.txt'), kittiVeloToCam());
    await writeFileAtomic(join(opts.out, KITTI_DATE, 'calib_imu_to_velo.txt'), kittiImuToVelo());
  }

  const bar = options.progress === false ? null : new ProgressBar({ label: `synth ${world}`, total: opts.count, unit: 'frame' });
  let skipped = 0;
  const todo: [number, number][] = [];
  for (let i = 0; i < scenes.length; i++) {
    for (let f = 0; f < scenes[i]!.frames; f++) {
      if (allExist(opts.out, frameFiles(world, scenes[i]!, f, opts.imageFormat))) skipped++;
      else todo.push([i, f]);
    }
  }
  if (skipped) bar?.tick(skipped, { skipped });
  const jobs = Math.max(1, Math.min(options.jobs ?? Math.min(2, cpus().length), todo.length));
  if (jobs === 1) {
    await renderJob({ opts, scenes, frames: todo }, () => bar?.tick(1, { skipped }));
  } else {
    // Contiguous chunks keep each scene on one thread (a scene is generated once per thread).
    const chunk = Math.ceil(todo.length / jobs);
    await Promise.all(
      Array.from({ length: jobs }, (_, k) => runWorker({ opts, scenes, frames: todo.slice(k * chunk, (k + 1) * chunk) }, () => bar?.tick(1, { skipped }))),
    );
  }
  const written = todo.length;
  for (const [name, perSplit] of Object.entries(lists)) {
    for (const split of ['train', 'val', 'test'] as const) {
      await writeFileAtomic(join(opts.out, splitsPaths[name]![split]), perSplit[split].join('\n') + (perSplit[split].length ? '\n' : ''));
    }
  }
  bar?.finish({ written, skipped });
  manifest.complete = true;
  manifest.framesWritten = written;
  manifest.framesSkipped = skipped;
  manifest.seconds = (Date.now() - started) / 1000;
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Runs one SynthJob in a worker thread (worker.ts beside this file; .js once compiled). */
function runWorker(job: SynthJob, onFrame: () => void): Promise<void> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new Promise((resolve, reject) => {
    // From TypeScript sources (tsx, vitest) the worker first registers tsx's loader; compiled .js runs as is.
    const entry = new URL(`./worker${ext}`, import.meta.url);
    const worker =
      ext === '.ts'
        ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData: job })
        : new Worker(entry, { workerData: job });
    let finished = false;
    worker.on('message', (m: { done?: number; finished?: boolean }) => {
      if (m.done) onFrame();
      if (m.finished) finished = true;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (finished && code === 0 ? resolve() : reject(new Error(`synth: worker exited with code ${code} before finishing its frames`))));
  });
}
