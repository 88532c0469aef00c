/**
 * DistDepth's VA (Virtual Apartment) layout (ANCHORS §5.3): `VA/camera_0/%08d.png` (left), `camera_1/%08d.png` (right),
 * GT depth `gt_depth_rectify/cam{0,1}_frame%04d.depth.pfm`; normalised K fx = fy = cx = cy = 0.5 (640x640).
 * Lines `<folder> <frame> <l|r>` as in DistDepth's `VA_left_all.txt` — only the frame and side are used here
 * (the exact folder field of that list could not be checked: it is only distributed off GitHub).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Dataset, SplitLineRef, StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS } from './splits.js';
import { readRgb } from '../io/image.js';
import { readPfm } from '../io/pfm.js';
import { defineDataset, requireSplit } from './descriptor.js';
import { SIMSIN_BASELINE } from './simsin.js';

export interface VaOptions {
  dataPath: string;
  split: { file: string } | { lines: string[]; name?: string };
  loadDepth?: boolean;
  /** Stereo baseline in metres (default: SimSIN's rig). */
  baseline?: number;
}

export class VaDataset implements Dataset {
  readonly name = 'va';
  private readonly lines;
  constructor(readonly options: VaOptions) {
    this.lines = readSplit(options.split, SPLIT_FORMATS.folderFrameSide);
  }
  get length(): number { return this.lines.length; }
  ref(i: number): SplitLineRef { const l = this.lines[i]!; return { file: l.file, line: l.line, text: l.text }; }
  async get(i: number): Promise<StereoSample> {
    const l = this.lines[i];
    if (!l) throw new RangeError(`va: index ${i} out of range [0, ${this.length})`);
    const ref = this.ref(i);
    const frame = Number(l.fields[1]);
    const cam = l.fields[2] === 'l' ? 0 : 1;
    const img = (c: number) => join(this.options.dataPath, `camera_${c}`, `${String(frame).padStart(8, '0')}.png`);
    const [left, right] = await Promise.all([readRgb(img(cam), ref), readRgb(img(1 - cam), ref)]);
    const K = [0.5 * left.width, 0, 0.5 * left.width, 0, 0.5 * left.height, 0.5 * left.height, 0, 0, 1];
    const sample: StereoSample = {
      id: l.text, left, right,
      camera: { K, width: left.width, height: left.height, focal: K[0]!, baseline: (cam === 0 ? 1 : -1) * (this.options.baseline ?? SIMSIN_BASELINE) },
    };
    const depthPath = join(this.options.dataPath, 'gt_depth_rectify', `cam${cam}_frame${String(frame).padStart(4, '0')}.depth.pfm`);
    if (this.options.loadDepth && existsSync(depthPath)) sample.gtDepth = await readPfm(depthPath);
    return sample;
  }
}

export const vaDescriptor = defineDataset({
  name: 'va',
  optionsSchema: z.object({ loadDepth: z.boolean().optional(), baseline: z.number().positive().optional() }).strict(),
  needsSplit: true,
  create: (e) => new VaDataset({ dataPath: e.path, split: requireSplit(e, 'va'), ...e.options }),
});
