/**
 * A user's own rig: `<dir>/left/*` and `<dir>/right/*` with matching file names, plus `camera.yaml`:
 * `fx, fy, cx, cy` (pixels, at `width` x `height`) and `baseline` (metres). K is rescaled if images differ in size.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DatasetError, type Dataset, type SplitLineRef, type StereoSample } from './types.js';
import { readRgb } from '../io/image.js';
import { defineDataset } from './descriptor.js';

export interface RigCamera { fx: number; fy: number; cx: number; cy: number; width: number; height: number; baseline: number }

export function readRigCamera(path: string): RigCamera {
  if (!existsSync(path)) throw new DatasetError(`missing camera file: expected YAML with fx, fy, cx, cy, width, height, baseline at ${path}`, path);
  const y = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const k of ['fx', 'fy', 'cx', 'cy', 'width', 'height', 'baseline']) {
    const v = y?.[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DatasetError(`camera YAML is missing number '${k}'`, path);
    out[k] = v;
  }
  return out as unknown as RigCamera;
}

export interface FolderPairsOptions { dataPath: string; cameraFile?: string }

export class FolderPairsDataset implements Dataset {
  readonly name = 'folder_pairs';
  private readonly files: string[];
  private readonly camera: RigCamera;
  constructor(readonly options: FolderPairsOptions) {
    const leftDir = join(options.dataPath, 'left');
    if (!existsSync(leftDir)) throw new DatasetError(`missing folder: expected ${leftDir} (and right/) with matching image names`, leftDir);
    this.files = readdirSync(leftDir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    this.camera = readRigCamera(options.cameraFile ?? join(options.dataPath, 'camera.yaml'));
  }
  get length(): number { return this.files.length; }
  ref(i: number): SplitLineRef { return { file: join(this.options.dataPath, 'left'), line: i + 1, text: this.files[i]! }; }
  async get(i: number): Promise<StereoSample> {
    const f = this.files[i];
    if (!f) throw new RangeError(`folder_pairs: index ${i} out of range [0, ${this.length})`);
    const ref = this.ref(i);
    const [left, right] = await Promise.all([readRgb(join(this.options.dataPath, 'left', f), ref), readRgb(join(this.options.dataPath, 'right', f), ref)]);
    const c = this.camera, sx = left.width / c.width, sy = left.height / c.height;
    const K = [c.fx * sx, 0, c.cx * sx, 0, c.fy * sy, c.cy * sy, 0, 0, 1];
    return { id: f, left, right, camera: { K, width: left.width, height: left.height, focal: K[0]!, baseline: c.baseline } };
  }
}

/** Every image pair under `<path>/left` and `<path>/right`; no split. */
export const folderPairsDescriptor = defineDataset({
  name: 'folder_pairs',
  optionsSchema: z.object({ cameraFile: z.string().min(1).optional() }).strict(),
  needsSplit: false,
  create: (e) => new FolderPairsDataset({ dataPath: e.path, ...e.options }),
});
