/**
 * MAI 2021 depth-challenge layout (ANCHORS §5.5; also what `synth --world mai` writes): RGB images under a `rgb/` folder
 * and, under the sibling `depth/` folder, a 16-bit grey PNG with the same stem holding depth in MILLIMETRES (0 = invalid).
 * Other RGB-D sets stored the same way under other folder names (e.g. NYUv2 as mmsegmentation keeps it: `images/*.jpg`
 * beside `annotations/*.png`) are read with `rgbFolder` / `depthFolder`.
 * Monocular: no right view. The challenge publishes no intrinsics; K assumes fx = fy = focalFraction x width (default: the
 * synthetic ZED-like rig's 90 deg field of view) and a centred principal point. Only supervision and the metrics use the
 * depth, so K matters only to the augmentation's bookkeeping.
 *
 * Split lines (optional): one RGB path per line relative to the root, e.g. `train/rgb/0001.png`. Without a split, every
 * image of `<root>/rgb/` is a sample (sorted by name), so `path: challenge_data/validation` works as is.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';

import { readPng16, readRgb } from '../io/image.js';
import { MAI_FOCAL_FRACTION } from './synthetic/scene.js';
import { defineDataset, type SplitSource } from './descriptor.js';
import { readSplit, SPLIT_FORMATS, type SplitLine } from './splits.js';
import { DatasetError, type Dataset, type SplitLineRef, type StereoSample } from './types.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export const maiOptionsSchema = z
  .object({
    /** Horizontal focal length as a fraction of the image width (fx = fy). */
    focalFraction: z.number().positive().default(MAI_FOCAL_FRACTION),
    /** Depth PNG value per metre (MAI: millimetres). */
    depthScale: z.number().positive().default(1000),
    /** Folder of the RGB images, and the sibling folder of the depth PNGs with the same stems. */
    rgbFolder: z.string().regex(/^[^/\\]+$/, 'a folder name, not a path').default('rgb'),
    depthFolder: z.string().regex(/^[^/\\]+$/, 'a folder name, not a path').default('depth'),
  })
  .strict();
export type MaiAdapterOptions = z.input<typeof maiOptionsSchema>;

export interface MaiOptions extends MaiAdapterOptions {
  dataPath: string;
  split?: SplitSource;
}

/** The depth PNG of an RGB path: the last `rgb` folder becomes `depth`, the extension `.png`. */
export function maiDepthPath(rgbPath: string, rgbFolder = 'rgb', depthFolder = 'depth'): string {
  const dir = dirname(rgbPath);
  if (basename(dir) !== rgbFolder) {
    throw new Error(`MAI layout: ${rgbPath} is not inside an '${rgbFolder}' folder (expected <subset>/${rgbFolder}/<name>.png beside <subset>/${depthFolder}/; options rgbFolder / depthFolder name other folders)`);
  }
  return join(dirname(dir), depthFolder, basename(rgbPath, extname(rgbPath)) + '.png');
}

/** Every RGB image of `<root>/<rgbFolder>/`, sorted, as inline split lines (paths relative to the root). */
function listImages(root: string, rgbFolder: string, depthFolder: string): SplitLine[] {
  const dir = join(root, rgbFolder);
  if (!existsSync(dir)) {
    throw new DatasetError(`MAI layout: no '${rgbFolder}' folder under ${root} (expected ${dir}/<name>.png and ${join(root, depthFolder)}/<name>.png; options rgbFolder / depthFolder name other folders), or give a split file`, root);
  }
  const names = readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort();
  return names.map((n, i) => ({ file: dir, line: i + 1, text: `${rgbFolder}/${n}`, fields: [`${rgbFolder}/${n}`] }));
}

export class MaiDataset implements Dataset {
  readonly name = 'mai';
  private readonly lines: SplitLine[];
  private readonly opts: z.output<typeof maiOptionsSchema>;

  constructor(readonly options: MaiOptions) {
    const { dataPath, split, ...rest } = options;
    this.opts = maiOptionsSchema.parse(rest);
    this.lines = split ? readSplit(split, SPLIT_FORMATS.single) : listImages(dataPath, this.opts.rgbFolder, this.opts.depthFolder);
  }

  get length(): number {
    return this.lines.length;
  }

  ref(i: number): SplitLineRef {
    const l = this.lines[i]!;
    return { file: l.file, line: l.line, text: l.text };
  }

  async get(i: number): Promise<StereoSample> {
    const l = this.lines[i];
    if (!l) throw new RangeError(`mai: index ${i} out of range [0, ${this.length})`);
    const ref = this.ref(i);
    const rgbPath = join(this.options.dataPath, l.fields[0]!);
    let depthPath: string;
    try {
      depthPath = maiDepthPath(rgbPath, this.opts.rgbFolder, this.opts.depthFolder);
    } catch (err) {
      throw new DatasetError((err as Error).message, l.file, ref);
    }
    const [left, png] = await Promise.all([readRgb(rgbPath, ref), readPng16(depthPath, ref)]);
    if (png.width !== left.width || png.height !== left.height) {
      throw new DatasetError(`depth is ${png.width}x${png.height} but the RGB image ${rgbPath} is ${left.width}x${left.height}: expected the same size`, depthPath, ref);
    }
    const depth = new Float32Array(png.data.length);
    for (let k = 0; k < depth.length; k++) depth[k] = png.data[k]! / this.opts.depthScale;
    const f = this.opts.focalFraction * left.width;
    const K = [f, 0, (left.width - 1) / 2, 0, f, (left.height - 1) / 2, 0, 0, 1];
    return {
      id: l.text,
      left,
      camera: { K, width: left.width, height: left.height, focal: f, baseline: 0 },
      gtDepth: { data: depth, width: left.width, height: left.height },
    };
  }
}

/** Registry descriptor: `dataset: mai`; the split file is optional (without one, every image of `<path>/rgb/`). */
export const maiDescriptor = defineDataset({
  name: 'mai',
  optionsSchema: maiOptionsSchema,
  needsSplit: false,
  create: (entry) => new MaiDataset({ dataPath: entry.path, ...(entry.split ? { split: entry.split } : {}), ...entry.options }),
});
