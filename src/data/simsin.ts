/**
 * SimSIN / UniSIN adapter (DistDepth layout, ANCHORS §5.3). Line `<folder> <frame> <l|r>` with folder ending in `NNN_c`
 * (c = 0 left, 1 right). Image = dataPath / folder[:-5] + %03d(frame) + folder[-2:] + `.png` (UniSIN: folder[:-6] + %04d);
 * partner = same with the last digit swapped; GT depth (eval) = folder + `_depth.npy`. K is normalised (fractions of
 * width/height) and scaled to the image size here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DatasetError, type Dataset, type SplitLineRef, type StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS } from './splits.js';
import { readRgb } from '../io/image.js';
import { readNpy } from '../io/npy.js';
import { defineDataset, requireSplit } from './descriptor.js';

/** Normalised [fx, cx, fy, cy]: SimSIN/VA 90° FoV, UniSIN from DistDepth's loader. */
export const DISTDEPTH_NORMALISED_K = {
  simsin: [0.5, 0.5, 0.5, 0.5],
  unisin: [0.408024, 0.5146106, 0.725377, 0.5062255],
} as const;

/** SimSIN's stereo baseline, metres (DistDepth: depth = 1.312 / scaled disparity with the 0.1 training baseline). */
export const SIMSIN_BASELINE = 0.1312;

export interface SimsinOptions {
  dataPath: string;
  split: { file: string } | { lines: string[]; name?: string };
  variant?: 'simsin' | 'unisin';
  /** Stereo baseline in metres (default SIMSIN_BASELINE; DistDepth trains in monodepth2 units, x1.312 recovers metres). */
  baseline?: number;
  loadDepth?: boolean;
}

export class SimsinDataset implements Dataset {
  readonly name: string;
  private readonly lines;
  constructor(readonly options: SimsinOptions) {
    this.name = options.variant ?? 'simsin';
    this.lines = readSplit(options.split, SPLIT_FORMATS.folderFrameSide);
  }
  get length(): number { return this.lines.length; }
  ref(i: number): SplitLineRef { const l = this.lines[i]!; return { file: l.file, line: l.line, text: l.text }; }

  /** DistDepth path rule for `folder` (ending `_c`) at `frame`. */
  imagePath(folder: string, frame: number): string {
    const uni = this.name === 'unisin';
    const digits = uni ? 4 : 3;
    const head = folder.slice(0, folder.length - (digits + 2));
    return join(this.options.dataPath, `${head}${String(frame).padStart(digits, '0')}${folder.slice(-2)}.png`);
  }

  async get(i: number): Promise<StereoSample> {
    const l = this.lines[i];
    if (!l) throw new RangeError(`${this.name}: index ${i} out of range [0, ${this.length})`);
    const ref = this.ref(i);
    const folder = l.fields[0]!;
    if (!/_[01]$/.test(folder)) throw new DatasetError(`${l.file}:${l.line}: expected a folder ending in '_0' or '_1', got '${folder}'`, l.file, ref);
    const frame = Number(l.fields[1]);
    const partner = folder.slice(0, -1) + (folder.endsWith('0') ? '1' : '0');
    const [left, right] = await Promise.all([readRgb(this.imagePath(folder, frame), ref), readRgb(this.imagePath(partner, frame), ref)]);
    const [fx, cx, fy, cy] = DISTDEPTH_NORMALISED_K[this.name === 'unisin' ? 'unisin' : 'simsin'];
    const K = [fx * left.width, 0, cx * left.width, 0, fy * left.height, cy * left.height, 0, 0, 1];
    const sign = folder.endsWith('0') ? 1 : -1;
    const sample: StereoSample = {
      id: l.text, left, right,
      camera: { K, width: left.width, height: left.height, focal: K[0]!, baseline: sign * (this.options.baseline ?? SIMSIN_BASELINE) },
    };
    const depthPath = join(this.options.dataPath, `${folder}_depth.npy`);
    if (this.options.loadDepth && existsSync(depthPath)) {
      const d = await readNpy(depthPath);
      sample.gtDepth = { data: Float32Array.from(d.data), width: d.shape[d.shape.length - 1]!, height: d.shape[d.shape.length - 2]! };
    }
    return sample;
  }
}

const simsinOptions = z.object({ loadDepth: z.boolean().optional(), baseline: z.number().positive().optional() }).strict();

export const simsinDescriptor = defineDataset({
  name: 'simsin',
  optionsSchema: simsinOptions,
  needsSplit: true,
  create: (e) => new SimsinDataset({ dataPath: e.path, split: requireSplit(e, 'simsin'), ...e.options, variant: 'simsin' }),
});

export const unisinDescriptor = defineDataset({
  name: 'unisin',
  optionsSchema: simsinOptions,
  needsSplit: true,
  create: (e) => new SimsinDataset({ dataPath: e.path, split: requireSplit(e, 'unisin'), ...e.options, variant: 'unisin' }),
});
