/**
 * Rendering frames: the options of a synth run, the scene behind each scene index, and writing one frame's files (a pure
 * function of (seed, world, scene, frame), so any thread or order gives identical bytes). Used by the worker threads
 * (worker.ts) and by generateWorld's single-thread path.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { Rng } from '../../util/random.js';
import { encodeNpyFloat32, toUint16Scaled, writeNyuH5, writePng16, writeRgb } from './formats.js';
import { VELO_IN_CAM0 } from './kitti_calib.js';
import { frameFiles, rigFor, type SceneEntry, type WorldName } from './layout.js';
import { scanLidar } from './lidar.js';
import { renderStereoPair, renderView } from './render.js';
import type { Scene, StereoRig } from './scene.js';
import { depthToMaiMillimetres } from './mai_layout.js';
import { makeRoomScene, makeStreetScene } from './worlds.js';

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

export type ResolvedOptions = Required<Omit<SynthOptions, 'progress' | 'jobs'>>;

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
