/**
 * NYUv2 adapters (ANCHORS §5.4). fast-depth `.h5`: `rgb` uint8 (3, 480, 640) -> HWC, `depth` float32 (480, 640) metres.
 * Labeled `nyu_depth_v2_labeled.mat` (v7.3): `images` (MATLAB 480x640x3xN, HDF5 (N, 3, 640, 480)) and `depths`
 * (MATLAB 480x640xN, HDF5 (N, 640, 480)), read one frame at a time. Monocular: no right view; the Kinect K is given.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DatasetError, type Dataset, type FloatMap, type SplitLineRef, type StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS } from './splits.js';
import { defineDataset, requireSplit } from './descriptor.js';
import { H5Reader, chwToHwc, matlabImageToHwc, matlabMapToRowMajor } from '../io/h5.js';

/** NYUv2 Kinect colour intrinsics at 640x480 (the standard toolbox values). */
export const NYU_K_640x480 = [518.8579, 0, 325.5824, 0, 519.4696, 253.7362, 0, 0, 1];

function checkDepth(data: ArrayLike<number>, path: string, ref?: SplitLineRef): Float32Array {
  const out = Float32Array.from(data as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new DatasetError(`depth has a non-finite value (${out[i]}) at element ${i}: expected finite metres (0 = invalid)`, path, ref);
    }
  }
  return out;
}

/** Reads one fast-depth `.h5` file. */
export async function readFastDepthH5(path: string, ref?: SplitLineRef): Promise<StereoSample> {
  const f = await H5Reader.open(path);
  try {
    for (const key of ['rgb', 'depth']) {
      if (!f.keys().includes(key)) throw new DatasetError(`HDF5 has no dataset '${key}': keys present are ${f.keys().join(', ')}`, path, ref);
    }
    const rgb = f.read('rgb');
    const depth = f.read('depth');
    if (rgb.shape.length !== 3 || rgb.shape[0] !== 3) throw new DatasetError(`'rgb' has shape (${rgb.shape}): expected (3, H, W)`, path, ref);
    const [, h, w] = rgb.shape as [number, number, number];
    if (depth.shape[0] !== h || depth.shape[1] !== w) throw new DatasetError(`'depth' has shape (${depth.shape}): expected (${h}, ${w})`, path, ref);
    const gt: FloatMap = { data: checkDepth(depth.data, path, ref), width: w, height: h };
    const sx = w / 640, sy = h / 480;
    const K = [NYU_K_640x480[0]! * sx, 0, NYU_K_640x480[2]! * sx, 0, NYU_K_640x480[4]! * sy, NYU_K_640x480[5]! * sy, 0, 0, 1];
    return {
      id: path,
      left: { data: chwToHwc(rgb.data, h, w), width: w, height: h, channels: 3 },
      camera: { K, width: w, height: h, focal: K[0]!, baseline: 0 },
      gtDepth: gt,
    };
  } finally {
    f.close();
  }
}

export interface NyuH5Options {
  dataPath: string;
  /** One relative `.h5` path per line (e.g. paddlecompletion-nyudepth_hdf5/val.csv minus its header). */
  split: { file: string } | { lines: string[]; name?: string };
}

export class NyuH5Dataset implements Dataset {
  readonly name = 'nyu_h5';
  private readonly lines;
  constructor(readonly options: NyuH5Options) {
    this.lines = readSplit(options.split, SPLIT_FORMATS.single).filter((l) => l.text !== 'Name');
  }
  get length(): number { return this.lines.length; }
  ref(i: number): SplitLineRef { const l = this.lines[i]!; return { file: l.file, line: l.line, text: l.text }; }
  async get(i: number): Promise<StereoSample> {
    const l = this.lines[i];
    if (!l) throw new RangeError(`nyu_h5: index ${i} out of range [0, ${this.length})`);
    const s = await readFastDepthH5(join(this.options.dataPath, l.fields[0]!), this.ref(i));
    return { ...s, id: l.text };
  }
}

/** The labeled `.mat`: frames read lazily by index; `indices` defaults to all frames. */
export class NyuLabeledMatDataset implements Dataset {
  readonly name = 'nyu_labeled';
  private constructor(private readonly reader: H5Reader, private readonly indices: number[]) {}

  static async open(path: string, indices?: number[]): Promise<NyuLabeledMatDataset> {
    const r = await H5Reader.open(path);
    for (const key of ['images', 'depths']) {
      if (!r.keys().includes(key)) { r.close(); throw new DatasetError(`labeled .mat has no dataset '${key}': keys present are ${r.keys().join(', ')}`, path); }
    }
    const n = r.shape('images')[0]!;
    return new NyuLabeledMatDataset(r, indices ?? Array.from({ length: n }, (_, i) => i));
  }
  get length(): number { return this.indices.length; }
  ref(i: number): SplitLineRef { return { file: this.reader.path, line: i + 1, text: `frame ${this.indices[i]}` }; }
  async get(i: number): Promise<StereoSample> {
    const k = this.indices[i];
    if (k === undefined) throw new RangeError(`nyu_labeled: index ${i} out of range [0, ${this.length})`);
    const img = this.reader.readSlice('images', [[k, k + 1]]);
    const [, , w, h] = img.shape as [number, number, number, number];
    const dep = this.reader.readSlice('depths', [[k, k + 1]]);
    const depth = checkDepth(matlabMapToRowMajor(dep.data, h, w), this.reader.path, this.ref(i));
    return {
      id: `frame ${k}`,
      left: { data: matlabImageToHwc(img.data, h, w), width: w, height: h, channels: 3 },
      camera: { K: [...NYU_K_640x480], width: w, height: h, focal: NYU_K_640x480[0]!, baseline: 0 },
      gtDepth: { data: depth, width: w, height: h },
    };
  }
  close(): void { this.reader.close(); }
}

export const nyuH5Descriptor = defineDataset({
  name: 'nyu_h5',
  optionsSchema: z.object({}).strict(),
  needsSplit: true,
  create: (e) => new NyuH5Dataset({ dataPath: e.path, split: requireSplit(e, 'nyu_h5') }),
});

/** `path` is the labeled `.mat` file itself; no split (frames by index). */
export const nyuLabeledDescriptor = defineDataset({
  name: 'nyu_labeled',
  optionsSchema: z.object({ indices: z.array(z.number().int().min(0)).optional() }).strict(),
  needsSplit: false,
  create: (e) => NyuLabeledMatDataset.open(e.path, e.options.indices),
});
