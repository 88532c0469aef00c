/**
 * KITTI stereo 2015 adapter (ANCHORS §5.1, §6.2): `training/image_2|3/%06d_10.png`, GT `disp_noc_0` or `disp_occ_0`
 * (uint16 / 256 = disparity px, 0 = invalid). The focal comes from monodepth v1's width table; baseline 0.54 m.
 * Split lines are v1 pairs `training/image_2/000000_10.jpg training/image_3/000000_10.jpg`.
 */
import { join, basename } from 'node:path';
import { z } from 'zod';
import { DatasetError, type Dataset, type SplitLineRef, type StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS } from './splits.js';
import { defineDataset, requireSplit } from './descriptor.js';
import { readPng16, readRgb, uint16ToFloatMap } from '../io/image.js';

/** monodepth v1 `evaluation_utils.width_to_focal`. */
export const KITTI_WIDTH_TO_FOCAL: Readonly<Record<number, number>> = { 1242: 721.5377, 1241: 718.856, 1224: 707.0493, 1238: 718.3351 };
export const KITTI_STEREO_BASELINE = 0.54;

export function kittiFocalForWidth(width: number, file?: string): number {
  const f = KITTI_WIDTH_TO_FOCAL[width];
  if (f === undefined) throw new DatasetError(`no KITTI focal for image width ${width}: expected one of ${Object.keys(KITTI_WIDTH_TO_FOCAL).join(', ')}`, file);
  return f;
}

export interface KittiStereo2015Options {
  dataPath: string;
  split: { file: string } | { lines: string[]; name?: string };
  /** 'noc' (non-occluded, the eval default) or 'occ'. */
  gt?: 'noc' | 'occ' | 'none';
  /** Rewrites the list's image extension (lists say .jpg, the dataset ships .png). */
  imageExt?: 'png' | 'jpg';
}

export class KittiStereo2015Dataset implements Dataset {
  readonly name = 'kitti_stereo2015';
  private readonly lines;

  constructor(readonly options: KittiStereo2015Options) {
    this.lines = readSplit(options.split, SPLIT_FORMATS.pair);
  }

  get length(): number { return this.lines.length; }
  ref(index: number): SplitLineRef { const l = this.lines[index]!; return { file: l.file, line: l.line, text: l.text }; }

  private path(p: string): string {
    const ext = this.options.imageExt;
    return join(this.options.dataPath, ext ? p.replace(/\.\w+$/, `.${ext}`) : p);
  }

  async get(index: number): Promise<StereoSample> {
    const l = this.lines[index];
    if (!l) throw new RangeError(`kitti_stereo2015: index ${index} out of range [0, ${this.length})`);
    const ref = this.ref(index);
    const [left, right] = await Promise.all([readRgb(this.path(l.fields[0]!), ref), readRgb(this.path(l.fields[1]!), ref)]);
    const focal = kittiFocalForWidth(left.width, this.path(l.fields[0]!));
    const sample: StereoSample = {
      id: l.text,
      left,
      right,
      camera: { K: [focal, 0, left.width / 2, 0, focal, left.height / 2, 0, 0, 1], width: left.width, height: left.height, focal, baseline: KITTI_STEREO_BASELINE },
    };
    const gt = this.options.gt ?? 'noc';
    if (gt !== 'none') {
      const dir = join(this.options.dataPath, l.fields[0]!.split('/')[0]!, `disp_${gt}_0`);
      const stem = basename(l.fields[0]!).replace(/\.\w+$/, '.png');
      sample.gtDisparity = uint16ToFloatMap(await readPng16(join(dir, stem), ref), 256);
    }
    return sample;
  }
}

export const kittiStereo2015Descriptor = defineDataset({
  name: 'kitti_stereo2015',
  optionsSchema: z.object({ gt: z.enum(['noc', 'occ', 'none']).optional(), imageExt: z.enum(['png', 'jpg']).optional() }).strict(),
  needsSplit: true,
  withoutGroundTruth: { gt: 'none' },
  create: (e) => new KittiStereo2015Dataset({ dataPath: e.path, split: requireSplit(e, 'kitti_stereo2015'), ...e.options }),
});
