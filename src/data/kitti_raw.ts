/**
 * KITTI raw adapter (ANCHORS §5.1). Split lines: monodepth v1 `<left path> <right path>` or monodepth2
 * `<date>/<drive> <frame> <l|r>`. Focal and baseline from P_rect_02 / P_rect_03 of `<date>/calib_cam_to_cam.txt`.
 * Side `r` makes image_03 the target view; its partner image_02 then sits at -baseline (monodepth2's sign convention).
 */
import { join } from 'node:path';
import { z } from 'zod';

import { DatasetError, type Dataset, type FloatMap, type RgbImage, type SplitLineRef, type StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS, splitLineError, type SplitLine } from './splits.js';
import { readRgb, readPng16, uint16ToFloatMap } from '../io/image.js';
import { readRawStereoRig, type StereoRig } from '../io/kitti_calib.js';
import { readNpzKey } from '../io/npy.js';
import { generateDepthMap } from './velodyne_depth.js';
import { defineDataset, requireSplit } from './descriptor.js';

export type KittiGtSource = 'none' | 'velodyne' | 'improved' | 'projected_npz';

export interface KittiRawOptions {
  dataPath: string;
  split: { file: string } | { lines: string[]; name?: string };
  /** 'auto' picks by field count. */
  lineFormat?: 'auto' | 'pair' | 'folderFrameSide';
  /** Image extension for `folder frame side` lines (monodepth2 `--png`); pair lines are rewritten to it when set. */
  imageExt?: 'png' | 'jpg';
  /** GT depth: velodyne projected (monodepth2 generate_depth_map), improved `proj_depth/groundtruth` PNG, or packnet npz. */
  gt?: KittiGtSource;
  /** Temporal neighbours to load (frame offsets, e.g. [-1, 1]) for monocular training. */
  neighbours?: number[];
}

interface ResolvedLine {
  ref: SplitLineRef;
  drive: string; // <date>/<drive>
  frame: number;
  cam: 2 | 3;
  ext: string;
}

const pad10 = (n: number) => String(n).padStart(10, '0');

export class KittiRawDataset implements Dataset {
  readonly name = 'kitti_raw';
  private readonly lines: ResolvedLine[];
  private readonly rigs = new Map<string, Promise<StereoRig & { width: number; height: number }>>();

  constructor(readonly options: KittiRawOptions) {
    const fmt = options.lineFormat ?? 'auto';
    const format = fmt === 'pair' ? SPLIT_FORMATS.pair : fmt === 'folderFrameSide' ? SPLIT_FORMATS.folderFrameSide : {
      description: `${SPLIT_FORMATS.pair.description}' or '${SPLIT_FORMATS.folderFrameSide.description}`,
      check: (f: string[]) => SPLIT_FORMATS.pair.check(f) || SPLIT_FORMATS.folderFrameSide.check(f),
    };
    this.lines = readSplit(options.split, format).map((l) => this.resolve(l, format));
  }

  private resolve(l: SplitLine, format: { description: string; check: (f: string[]) => boolean }): ResolvedLine {
    const ref: SplitLineRef = { file: l.file, line: l.line, text: l.text };
    if (l.fields.length === 3) {
      return { ref, drive: l.fields[0]!, frame: Number(l.fields[1]), cam: l.fields[2] === 'l' ? 2 : 3, ext: this.options.imageExt ?? 'jpg' };
    }
    const m = /^(.+)\/image_0([23])\/data\/(\d+)\.(\w+)$/.exec(l.fields[0]!);
    if (!m) throw splitLineError(l.file, l.line, { ...format, description: '<date>/<drive>/image_02/data/<frame>.<ext> <date>/<drive>/image_03/data/<frame>.<ext>' }, l.text);
    return { ref, drive: m[1]!, frame: Number(m[3]), cam: m[2] === '2' ? 2 : 3, ext: this.options.imageExt ?? m[4]! };
  }

  get length(): number {
    return this.lines.length;
  }

  ref(index: number): SplitLineRef {
    return this.lines[index]!.ref;
  }

  imagePath(drive: string, cam: number, frame: number, ext: string): string {
    return join(this.options.dataPath, drive, `image_0${cam}`, 'data', `${pad10(frame)}.${ext}`);
  }

  private rig(drive: string): Promise<StereoRig & { width: number; height: number }> {
    const date = drive.split('/')[0]!;
    let r = this.rigs.get(date);
    if (!r) {
      r = readRawStereoRig(join(this.options.dataPath, date, 'calib_cam_to_cam.txt'));
      this.rigs.set(date, r);
      r.catch(() => this.rigs.delete(date));
    }
    return r;
  }

  async get(index: number): Promise<StereoSample> {
    const l = this.lines[index];
    if (!l) throw new RangeError(`kitti_raw: index ${index} out of range [0, ${this.length})`);
    const other = l.cam === 2 ? 3 : 2;
    const [rig, left, right] = await Promise.all([
      this.rig(l.drive),
      readRgb(this.imagePath(l.drive, l.cam, l.frame, l.ext), l.ref),
      readRgb(this.imagePath(l.drive, other, l.frame, l.ext), l.ref),
    ]);
    // the calib K is for the rectified size S_rect_02; rescale if the images were resized
    const sx = left.width / rig.width, sy = left.height / rig.height;
    const K = [rig.K[0]! * sx, 0, rig.K[2]! * sx, 0, rig.K[4]! * sy, rig.K[5]! * sy, 0, 0, 1];
    const sample: StereoSample = {
      id: `${l.drive} ${l.frame} ${l.cam === 2 ? 'l' : 'r'}`,
      left,
      right,
      camera: { K, width: left.width, height: left.height, focal: K[0]!, baseline: l.cam === 2 ? rig.baseline : -rig.baseline },
    };
    const gt = await this.readGt(l);
    if (gt) sample.gtDepth = gt;
    if (this.options.neighbours?.length) {
      const neighbours: Record<number, RgbImage> = {};
      for (const off of this.options.neighbours) {
        neighbours[off] = await readRgb(this.imagePath(l.drive, l.cam, l.frame + off, l.ext), l.ref);
      }
      sample.neighbours = neighbours;
    }
    return sample;
  }

  private async readGt(l: ResolvedLine): Promise<FloatMap | undefined> {
    const gt = this.options.gt ?? 'none';
    const driveDir = join(this.options.dataPath, l.drive);
    try {
      if (gt === 'velodyne') {
        const velo = join(driveDir, 'velodyne_points', 'data', `${pad10(l.frame)}.bin`);
        return await generateDepthMap(join(this.options.dataPath, l.drive.split('/')[0]!), velo, l.cam, true);
      }
      if (gt === 'improved') {
        return uint16ToFloatMap(await readPng16(join(driveDir, 'proj_depth', 'groundtruth', `image_0${l.cam}`, `${pad10(l.frame)}.png`), l.ref), 256);
      }
      if (gt === 'projected_npz') {
        const path = join(driveDir, 'proj_depth', 'velodyne', `image_0${l.cam}`, `${pad10(l.frame)}.npz`);
        const arr = await readNpzKey(path, 'velodyne_depth');
        if (arr.shape.length !== 2) throw new DatasetError(`expected a 2-D depth array, got shape (${arr.shape})`, path, l.ref);
        return { data: Float32Array.from(arr.data), width: arr.shape[1]!, height: arr.shape[0]! };
      }
    } catch (err) {
      if (err instanceof DatasetError && !err.ref) throw new DatasetError(err.message.replace(/ \[[^\]]*\]$/, ""), err.file, l.ref);
      throw err;
    }
    return undefined;
  }
}

export const kittiRawDescriptor = defineDataset({
  name: 'kitti_raw',
  optionsSchema: z
    .object({
      lineFormat: z.enum(['auto', 'pair', 'folderFrameSide']).optional(),
      imageExt: z.enum(['png', 'jpg']).optional(),
      gt: z.enum(['none', 'velodyne', 'improved', 'projected_npz']).optional(),
      neighbours: z.array(z.number().int()).optional(),
    })
    .strict(),
  needsSplit: true,
  withoutGroundTruth: { gt: 'none' },
  create: (e) => new KittiRawDataset({ dataPath: e.path, split: requireSplit(e, 'kitti_raw'), ...e.options }),
});
