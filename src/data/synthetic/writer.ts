/**
 * `stereodepth synth`: renders a synthetic world and writes it in EXACTLY the layout of a real dataset —
 * KITTI raw drives (images, velodyne .bin, calib txt, improved GT png), Cityscapes (official tree, camera json,
 * disparity png), SimSIN (DistDepth naming, `_depth.npy`), NYUv2 fast-depth `.h5`, MAI 2021 (RGB + depth PNG in mm) — plus split lists with
 * held-out test scenes and a manifest with the rig. Deterministic: a frame is a pure function of
 * (seed, world, scene, frame), so resuming (complete files are skipped) or rendering in another order gives
 * identical bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { ProgressBar } from '../../util/progress.js';
import { Rng } from '../../util/random.js';
import { encodeNpyFloat32, kittiLine, toUint16Scaled, writeNyuH5, writePng16, writeRgb } from './formats.js';
import { HDL64, VELO_TO_CAM_ROTATION, scanLidar } from './lidar.js';
import { renderStereoPair, renderView } from './render.js';
import type { Scene, StereoRig } from './scene.js';
import { cityscapesRig, kittiRig, maiRig, nyuRig, simsinRig } from './scene.js';
import { depthToMaiMillimetres, maiFrameFiles } from './mai_layout.js';
import { makeRoomScene, makeStreetScene } from './worlds.js';
import { assertSynthesisTarget } from './target.js';

export type WorldName = 'kitti' | 'cityscapes' | 'simsin' | 'nyu' | 'mai';
export const WORLD_NAMES: readonly WorldName[] = ['kitti', 'cityscapes', 'simsin', 'nyu', 'mai'];
export type SplitName = 'train' | 'val' | 'test';

/** Render sizes used when the caller gives none (NYUv2 at its native 480x640, as fast-depth's h5 files). */
export const DEFAULT_SIZE: Record<WorldName, { height: number; width: number }> = {
  kitti: { height: 192, width: 640 },
  cityscapes: { height: 256, width: 512 },
  simsin: { height: 256, width: 256 },
  nyu: { height: 480, width: 640 },
  mai: { height: 480, width: 640 },
};

export interface SynthOptions {
  world: WorldName;
  out: string;
  /** Number of frames (stereo pairs; NYU: RGB-D frames). */
  count: number;
  height?: number;
  width?: number;
  seed?: number | string;
  /** Frames per scene (drive / sequence / room walk). Default 8. Consecutive frames move the camera. */
  framesPerScene?: number;
  /** Colour sub-samples per axis. Default 1. */
  supersample?: number;
  /** KITTI / Cityscapes image format. Default png. */
  imageFormat?: 'png' | 'jpg';
  /** Draw a progress bar on stderr. Default true. */
  progress?: boolean;
  /** Worker threads rendering in parallel (default: min(2, cores); 1 = render on this thread). */
  jobs?: number;
}

type ResolvedOptions = Required<Omit<SynthOptions, 'progress' | 'jobs'>>;

/** The frames one thread renders: (scene index, frame) pairs of a resolved run. */
export interface SynthJob {
  opts: ResolvedOptions;
  scenes: SceneEntry[];
  frames: [number, number][];
}

/** Renders and writes the frames of `job` in order (used by the worker threads and the single-thread path). */
export async function renderJob(job: SynthJob, onFrame: () => void): Promise<void> {
  const { opts, scenes } = job;
  const rig = rigFor(opts.world, opts.width, opts.height);
  let current = -1;
  let sceneWorld: ReturnType<typeof makeWorldScene> | null = null;
  for (const [i, f] of job.frames) {
    if (i !== current) {
      sceneWorld = makeWorldScene(opts.world, String(opts.seed), i, rig, opts.framesPerScene);
      current = i;
    }
    const entry = scenes[i]!;
    await writeFrame(opts, rig, sceneWorld!, entry, f, frameFiles(opts.world, entry, f, opts.imageFormat));
    onFrame();
  }
}

export interface SceneEntry {
  name: string;
  split: SplitName;
  frames: number;
}

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

export const KITTI_DATE = '2099_01_01';
const CITIES: Record<SplitName, string[]> = {
  train: ['arden', 'belmoor', 'calder', 'dunmore', 'elsby', 'fenwick', 'garrow', 'holt'],
  val: ['ivesby'],
  test: ['jarrow', 'kelso'],
};

export function rigFor(world: WorldName, width: number, height: number): StereoRig {
  switch (world) {
    case 'kitti':
      return kittiRig(width, height);
    case 'cityscapes':
      return cityscapesRig(width, height);
    case 'simsin':
      return simsinRig(width, height);
    case 'nyu':
      return nyuRig(width, height);
    case 'mai':
      return maiRig(width, height);
    default:
      throw new Error(`synth: unknown world '${String(world)}'; expected one of ${WORLD_NAMES.join(', ')}`);
  }
}

/** Split of each scene: the last ~1/8 are test, the ~1/16 before them val (never seen in training). */
export function planScenes(world: WorldName, count: number, framesPerScene: number): SceneEntry[] {
  const nScenes = Math.max(1, Math.ceil(count / framesPerScene));
  const nTest = nScenes >= 3 ? Math.max(1, Math.round(nScenes / 8)) : 0;
  const nVal = nScenes >= 3 ? Math.max(1, Math.round(nScenes / 16)) : 0;
  const scenes: SceneEntry[] = [];
  const perCity = new Map<string, number>();
  for (let i = 0; i < nScenes; i++) {
    const split: SplitName = i >= nScenes - nTest ? 'test' : i >= nScenes - nTest - nVal ? 'val' : 'train';
    const frames = Math.min(framesPerScene, count - i * framesPerScene);
    let name: string;
    if (world === 'kitti') name = `${KITTI_DATE}/${KITTI_DATE}_drive_${String(i + 1).padStart(4, '0')}_sync`;
    else if (world === 'cityscapes') {
      const cities = CITIES[split];
      const city = cities[i % cities.length]!;
      const seq = perCity.get(city) ?? 0;
      perCity.set(city, seq + 1);
      name = `${city}_${String(seq).padStart(6, '0')}`;
    } else name = `scene_${String(i).padStart(4, '0')}`;
    scenes.push({ name, split, frames });
  }
  return scenes;
}

/** The scene behind scene index i: a pure function of (seed, world, i). */
export function makeWorldScene(world: WorldName, seed: string, index: number, rig: StereoRig, framesPerScene: number): { scene: Scene; cameraAt: (frame: number) => [number, number, number] } {
  const rng = new Rng(`${seed}:${world}:scene:${index}`);
  if (world === 'kitti' || world === 'cityscapes' || world === 'mai') {
    // KITTI drives ~1 m between frames at 10 Hz; the ego camera stays in the road centre.
    const speed = rng.uniform(0.6, 1.4);
    const scene = makeStreetScene(rng, { cameraHeight: rig.cameraHeight, driveLength: speed * framesPerScene, style: world === 'cityscapes' ? 'cityscapes' : 'kitti' });
    return { scene, cameraAt: (f) => [0, 0, f * speed] };
  }
  const step: [number, number] = [rng.uniform(-0.04, 0.04), rng.uniform(0.04, 0.1)];
  const scene = makeRoomScene(rng);
  return { scene, cameraAt: (f) => [f * step[0], 0, f * step[1]] };
}

const pad10 = (n: number): string => String(n).padStart(10, '0');
const pad3 = (n: number): string => String(n).padStart(3, '0');
const pad5 = (n: number): string => String(n).padStart(5, '0');
const pad6 = (n: number): string => String(n).padStart(6, '0');

/** Relative paths of every file one frame writes (resume: a frame is complete when all exist). */
export function frameFiles(world: WorldName, scene: SceneEntry, frame: number, imageFormat: 'png' | 'jpg'): Record<string, string> {
  switch (world) {
    case 'kitti': {
      const f = pad10(frame);
      return {
        left: `${scene.name}/image_02/data/${f}.${imageFormat}`,
        right: `${scene.name}/image_03/data/${f}.${imageFormat}`,
        velodyne: `${scene.name}/velodyne_points/data/${f}.bin`,
        gtLeft: `${scene.name}/proj_depth/groundtruth/image_02/${f}.png`,
        gtRight: `${scene.name}/proj_depth/groundtruth/image_03/${f}.png`,
      };
    }
    case 'cityscapes': {
      const city = scene.name.split('_')[0]!;
      const stem = `${scene.name}_${pad6(frame)}`;
      return {
        left: `leftImg8bit/${scene.split}/${city}/${stem}_leftImg8bit.${imageFormat}`,
        right: `rightImg8bit/${scene.split}/${city}/${stem}_rightImg8bit.${imageFormat}`,
        camera: `camera/${scene.split}/${city}/${stem}_camera.json`,
        disparity: `disparity/${scene.split}/${city}/${stem}_disparity.png`,
      };
    }
    case 'simsin': {
      const base = `replica/${scene.name}/${pad3(frame)}`;
      return {
        left: `${base}_0.png`,
        right: `${base}_1.png`,
        depthLeft: `${base}_0_depth.npy`,
        depthRight: `${base}_1_depth.npy`,
        textureless: `${base}_0_textureless.png`,
      };
    }
    case 'nyu': {
      // fast-depth tree: train/<scene>/NNNNN.h5; held-out test scenes go to val/official/ like the real val set.
      const dir = scene.split === 'test' ? 'val/official' : `train/${scene.name}`;
      const index = scene.split === 'test' ? Number(scene.name.slice(6)) * 1000 + frame + 1 : frame + 1;
      return { h5: `nyudepthv2/${dir}/${pad5(index)}.h5` };
    }
    case 'mai':
      return maiFrameFiles(scene, frame);
  }
}

/** calib_cam_to_cam.txt with rectified cameras 00..03 consistent with the rig (cam2 = rendered left, cam3 = right). */
export function kittiCamToCam(rig: StereoRig): string {
  const { fx, fy, cx, cy, baseline, width, height } = rig;
  // Camera centres along x relative to cam0, as in the real rig: cam2 6 cm left of cam0, cam3 = cam2 + baseline.
  const centre = { '00': 0, '01': 0.54, '02': -0.06, '03': -0.06 + baseline };
  // KITTI's P_rect / K use MATLAB 1-based pixel coordinates (monodepth2's generate_depth_map subtracts 1 after
  // rounding), while the renderer's cx, cy are 0-based pixel centres: the files carry cx + 1, cy + 1.
  const cx1 = cx + 1;
  const cy1 = cy + 1;
  const lines = ['calib_time: 01-Jan-2099 00:00:00', kittiLine('corner_dist', [0.0995])];
  for (const cam of ['00', '01', '02', '03'] as const) {
    const cxm = centre[cam];
    lines.push(
      kittiLine(`S_${cam}`, [width, height]),
      kittiLine(`K_${cam}`, [fx, 0, cx1, 0, fy, cy1, 0, 0, 1]),
      kittiLine(`D_${cam}`, [0, 0, 0, 0, 0]),
      kittiLine(`R_${cam}`, [1, 0, 0, 0, 1, 0, 0, 0, 1]),
      kittiLine(`T_${cam}`, [-cxm, 0, 0]),
      kittiLine(`S_rect_${cam}`, [width, height]),
      kittiLine(`R_rect_${cam}`, [1, 0, 0, 0, 1, 0, 0, 0, 1]),
      // P_rect = K [I | -c]: the x translation is -fx * centre (P_rect_03[0,3] / -fx - P_rect_02[0,3] / -fx = baseline).
      kittiLine(`P_rect_${cam}`, [fx, 0, cx1, -fx * cxm, 0, fy, cy1, 0, 0, 0, 1, 0]),
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Velodyne origin relative to cam0 (camera axes): 8 cm above, in the camera plane (z offset 0), so monodepth2's
 * `vel_depth` (depth = velodyne x) equals the camera z exactly.
 */
export const VELO_IN_CAM0: [number, number, number] = [0, -0.08, 0];

export function kittiVeloToCam(): string {
  return [
    'calib_time: 01-Jan-2099 00:00:00',
    kittiLine('R', VELO_TO_CAM_ROTATION),
    kittiLine('T', VELO_IN_CAM0),
    kittiLine('delta_f', [0, 0]),
    kittiLine('delta_c', [0, 0]),
  ].join('\n') + '\n';
}

export function kittiImuToVelo(): string {
  return ['calib_time: 01-Jan-2099 00:00:00', kittiLine('R', [1, 0, 0, 0, 1, 0, 0, 0, 1]), kittiLine('T', [-0.81, 0.32, -0.8])].join('\n') + '\n';
}

/** Split list lines per split and format for the planned scenes. */
export function splitLines(world: WorldName, scenes: SceneEntry[], imageFormat: 'png' | 'jpg'): Record<string, Record<SplitName, string[]>> {
  const empty = (): Record<SplitName, string[]> => ({ train: [], val: [], test: [] });
  const lists: Record<string, Record<SplitName, string[]>> = {};
  const temporal = (frames: number, split: SplitName): number[] => {
    // Temporal training reads frames -1/+1: leave one buffer frame at both ends (all frames for test).
    const all = Array.from({ length: frames }, (_, i) => i);
    return split === 'test' || frames < 3 ? all : all.slice(1, -1);
  };
  if (world === 'kitti') {
    const md2 = empty();
    const v1 = empty();
    for (const s of scenes) {
      for (const f of temporal(s.frames, s.split)) {
        md2[s.split].push(`${s.name} ${f} l`);
        if (s.split === 'train') md2[s.split].push(`${s.name} ${f} r`);
      }
      for (let f = 0; f < s.frames; f++) {
        const files = frameFiles(world, s, f, imageFormat);
        v1[s.split].push(`${files.left} ${files.right}`);
      }
    }
    lists['synthetic'] = md2;
    lists['synthetic_v1'] = v1;
  } else if (world === 'cityscapes') {
    const v1 = empty();
    for (const s of scenes)
      for (let f = 0; f < s.frames; f++) {
        const files = frameFiles(world, s, f, imageFormat);
        v1[s.split].push(`${files.left} ${files.right}`);
      }
    lists['synthetic'] = v1;
  } else if (world === 'simsin') {
    const dd = empty();
    for (const s of scenes) for (const f of temporal(s.frames, s.split)) dd[s.split].push(`replica/${s.name}/${pad3(f)}_0 ${f} l`);
    lists['synthetic'] = dd;
  } else if (world === 'mai') {
    const rgb = empty();
    for (const s of scenes) for (let f = 0; f < s.frames; f++) rgb[s.split].push(maiFrameFiles(s, f).rgb);
    lists['synthetic'] = rgb;
  } else {
    const h5 = empty();
    for (const s of scenes) for (let f = 0; f < s.frames; f++) h5[s.split].push(frameFiles(world, s, f, imageFormat).h5!);
    lists['synthetic'] = h5;
  }
  return lists;
}

const allExist = (root: string, files: Record<string, string>): boolean => Object.values(files).every((f) => existsSync(join(root, f)));

/** Renders and writes one frame (all its files). */
async function writeFrame(opts: ResolvedOptions, rig: StereoRig, world: ReturnType<typeof makeWorldScene>, scene: SceneEntry, frame: number, files: Record<string, string>): Promise<void> {
  const root = opts.out;
  const at = (k: string): string => join(root, files[k]!);
  const position = world.cameraAt(frame);
  if (opts.world === 'nyu') {
    const view = renderView(world.scene, rig, position, opts.supersample);
    await writeNyuH5(at('h5'), view.image.data, view.depth.data, rig.width, rig.height);
    return;
  }
  if (opts.world === 'mai') {
    const view = renderView(world.scene, rig, position, opts.supersample);
    await Promise.all([writeRgb(at('rgb'), view.image), writePng16(at('depth'), depthToMaiMillimetres(view.depth.data), rig.width, rig.height)]);
    return;
  }
  const pair = renderStereoPair(world.scene, rig, { position, supersample: opts.supersample });
  const writes: Promise<void>[] = [writeRgb(at('left'), pair.left), writeRgb(at('right'), pair.right)];
  if (opts.world === 'kitti') {
    const velo = scanLidar(world.scene, [position[0] + 0.06 + VELO_IN_CAM0[0], position[1] + VELO_IN_CAM0[1], position[2] + VELO_IN_CAM0[2]]);
    writes.push(
      writeFileAtomic(at('velodyne'), new Uint8Array(velo.buffer)),
      writePng16(at('gtLeft'), toUint16Scaled(pair.depth.data), rig.width, rig.height),
      writePng16(at('gtRight'), toUint16Scaled(pair.rightDepth!.data), rig.width, rig.height),
    );
  } else if (opts.world === 'cityscapes') {
    const camera = {
      extrinsic: { baseline: rig.baseline, pitch: 0, roll: 0, x: 1.7, y: 0.1, yaw: 0, z: rig.cameraHeight },
      intrinsic: { fx: rig.fx, fy: rig.fy, u0: rig.cx, v0: rig.cy },
    };
    writes.push(
      writeFileAtomic(at('camera'), JSON.stringify(camera, null, 2) + '\n'),
      // Cityscapes disparity encoding: p = d * 256 + 1 for valid pixels, 0 = invalid (d = (p - 1) / 256).
      writePng16(at('disparity'), toUint16Scaled(pair.disparity.data, 256, 1), rig.width, rig.height),
    );
  } else {
    const mask = new Uint8Array(pair.textureless.length * 3);
    for (let i = 0; i < pair.textureless.length; i++) mask[i * 3] = mask[i * 3 + 1] = mask[i * 3 + 2] = pair.textureless[i]! * 255;
    writes.push(
      writeFileAtomic(at('depthLeft'), encodeNpyFloat32(pair.depth.data, [rig.height, rig.width])),
      writeFileAtomic(at('depthRight'), encodeNpyFloat32(pair.rightDepth!.data, [rig.height, rig.width])),
      writeRgb(at('textureless'), { data: mask, width: rig.width, height: rig.height, channels: 3 }),
    );
  }
  await Promise.all(writes);
}

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
