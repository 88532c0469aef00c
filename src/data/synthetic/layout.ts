/**
 * Where the synthetic worlds put things: world names and default sizes, the rig per world, the scene plan (names and
 * train/val/test split per scene), the relative paths of every file a frame writes, and the split list lines — the
 * real datasets' layouts (KITTI raw, Cityscapes, SimSIN, NYUv2 fast-depth h5, MAI 2021).
 */
import type { StereoRig } from './scene.js';
import { cityscapesRig, kittiRig, maiRig, nyuRig, simsinRig } from './scene.js';
import { maiFrameFiles } from './mai_layout.js';

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

export interface SceneEntry {
  name: string;
  split: SplitName;
  frames: number;
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
