/**
 * Cityscapes adapter (ANCHORS §5.2). Layouts: the official tree `leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png`
 * (+ rightImg8bit, camera/<split>/<city>/<stem>_camera.json), or monodepth's flattened list lines
 * `<city>/<stem>_leftImg8bit.jpg <city>/<stem>_rightImg8bit.jpg` (camera json then looked up at
 * `camera/<city>/<stem>_camera.json`, `camera/<stem>_camera.json` or a fixed `camera` option).
 * Baseline (m) and fx/fy/u0/v0 come from the camera json. `cropBottomFraction` (monodepth: 0.2) drops the car hood;
 * K is unchanged by a bottom crop except for the image height.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { z } from 'zod';
import { DatasetError, type Dataset, type RgbImage, type SplitLineRef, type StereoSample } from './types.js';
import { readSplit, SPLIT_FORMATS } from './splits.js';
import { readPng16, readRgb, uint16ToFloatMap } from '../io/image.js';
import { requireFile } from '../io/files.js';
import { defineDataset } from './descriptor.js';

export interface CityscapesCamera {
  baseline: number;
  fx: number;
  fy: number;
  u0: number;
  v0: number;
}

/** Parses a Cityscapes `*_camera.json`; a missing field is named. */
export function parseCityscapesCamera(text: string, path: string): CityscapesCamera {
  let j: { extrinsic?: Record<string, unknown>; intrinsic?: Record<string, unknown> };
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`camera json is not valid JSON: ${(err as Error).message}`, path);
  }
  const num = (o: Record<string, unknown> | undefined, k: string, where: string): number => {
    const v = o?.[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DatasetError(`camera json is missing number '${where}.${k}'`, path);
    return v;
  };
  return {
    baseline: num(j.extrinsic, 'baseline', 'extrinsic'),
    fx: num(j.intrinsic, 'fx', 'intrinsic'),
    fy: num(j.intrinsic, 'fy', 'intrinsic'),
    u0: num(j.intrinsic, 'u0', 'intrinsic'),
    v0: num(j.intrinsic, 'v0', 'intrinsic'),
  };
}

export async function readCityscapesCamera(path: string): Promise<CityscapesCamera> {
  requireFile(path, 'Cityscapes camera json');
  return parseCityscapesCamera(await readFile(path, 'utf8'), path);
}

/** Drops the bottom `fraction` of rows (monodepth: 1/5, the car hood). */
export function cropBottom(image: RgbImage, fraction: number): RgbImage {
  const keep = image.height - Math.floor(image.height * fraction);
  return { ...image, height: keep, data: image.data.slice(0, keep * image.width * 3) };
}

export interface CityscapesOptions {
  dataPath: string;
  /** monodepth flattened list; omit to walk the official tree `leftImg8bit/<officialSplit>/<city>/`. */
  split?: { file: string } | { lines: string[]; name?: string };
  officialSplit?: string;
  /** Fraction of rows cut from the bottom (0.2 in monodepth); 0 keeps the whole frame. */
  cropBottomFraction?: number;
  /** Camera used when no json is found (flattened lists usually ship without camera files). */
  camera?: CityscapesCamera;
  /** Also load the official SGM disparity (`disparity/...`, d = (p - 1) / 256 px for p > 0) as gtDisparity, cropped like the images. */
  loadDisparity?: boolean;
}

interface Entry { ref: SplitLineRef; left: string; right: string; cameraCandidates: string[]; disparityCandidates: string[] }

/** For a left path in the official tree (leftImg8bit/<split>/<city>/<stem>_leftImg8bit.ext), its camera/disparity sibling. */
function officialSibling(leftRel: string, folder: 'camera' | 'disparity', suffix: string, root: string): string[] {
  if (!/^leftImg8bit\//.test(leftRel)) return [];
  return [join(root, leftRel.replace(/^leftImg8bit\//, `${folder}/`).replace(/_leftImg8bit\.\w+$/, suffix))];
}

export class CityscapesDataset implements Dataset {
  readonly name = 'cityscapes';
  private readonly entries: Entry[];

  constructor(readonly options: CityscapesOptions) {
    const root = options.dataPath;
    if (options.split) {
      this.entries = readSplit(options.split, SPLIT_FORMATS.pair).map((l) => {
        const stem = basename(l.fields[0]!).replace(/_leftImg8bit\.\w+$/, '');
        const city = l.fields[0]!.split('/').slice(-2, -1)[0] ?? '';
        return {
          ref: { file: l.file, line: l.line, text: l.text },
          left: join(root, l.fields[0]!),
          right: join(root, l.fields[1]!),
          // A line may name the official tree (leftImg8bit/<split>/<city>/...: camera/<split>/<city>/...) or
          // monodepth's flattened folders (<city>/...: camera/<city>/... or camera/...).
          cameraCandidates: [
            ...officialSibling(l.fields[0]!, 'camera', '_camera.json', root),
            join(root, 'camera', city, `${stem}_camera.json`),
            join(root, 'camera', `${stem}_camera.json`),
          ],
          disparityCandidates: [
            ...officialSibling(l.fields[0]!, 'disparity', '_disparity.png', root),
            join(root, 'disparity', city, `${stem}_disparity.png`),
            join(root, 'disparity', `${stem}_disparity.png`),
          ],
        };
      });
    } else {
      const split = options.officialSplit ?? 'train';
      const dir = join(root, 'leftImg8bit', split);
      if (!existsSync(dir)) throw new DatasetError(`missing Cityscapes folder: expected leftImg8bit/${split}/<city>/ under ${root}`, dir);
      this.entries = [];
      for (const city of readdirSync(dir).sort()) {
        for (const f of readdirSync(join(dir, city)).sort()) {
          if (!/_leftImg8bit\.\w+$/.test(f)) continue;
          const stem = f.replace(/_leftImg8bit\.\w+$/, '');
          const rel = `leftImg8bit/${split}/${city}/${f}`;
          this.entries.push({
            ref: { file: dir, line: this.entries.length + 1, text: rel },
            left: join(root, rel),
            right: join(root, 'rightImg8bit', split, city, f.replace('_leftImg8bit', '_rightImg8bit')),
            cameraCandidates: [join(root, 'camera', split, city, `${stem}_camera.json`)],
            disparityCandidates: [join(root, 'disparity', split, city, `${stem}_disparity.png`)],
          });
        }
      }
    }
  }

  get length(): number { return this.entries.length; }
  ref(index: number): SplitLineRef { return this.entries[index]!.ref; }

  async get(index: number): Promise<StereoSample> {
    const e = this.entries[index];
    if (!e) throw new RangeError(`cityscapes: index ${index} out of range [0, ${this.length})`);
    const camPath = e.cameraCandidates.find((p) => existsSync(p));
    let cam = this.options.camera;
    if (camPath) cam = await readCityscapesCamera(camPath);
    if (!cam) throw new DatasetError(`no camera json: expected one of ${e.cameraCandidates.join(', ')} or a 'camera' option`, e.cameraCandidates[0], e.ref);
    let [left, right] = await Promise.all([readRgb(e.left, e.ref), readRgb(e.right, e.ref)]);
    const frac = this.options.cropBottomFraction ?? 0;
    if (frac > 0) { left = cropBottom(left, frac); right = cropBottom(right, frac); }
    let gtDisparity: StereoSample['gtDisparity'];
    if (this.options.loadDisparity) {
      const dispPath = e.disparityCandidates.find((p) => existsSync(p)) ?? e.disparityCandidates[0]!;
      const disp = uint16ToFloatMap(await readPng16(dispPath, e.ref), 256, 1);
      const keep = disp.height - Math.floor(disp.height * frac);
      gtDisparity = { data: disp.data.slice(0, keep * disp.width), width: disp.width, height: keep };
    }
    return {
      ...(gtDisparity ? { gtDisparity } : {}),
      id: e.ref.text,
      left,
      right,
      camera: { K: [cam.fx, 0, cam.u0, 0, cam.fy, cam.v0, 0, 0, 1], width: left.width, height: left.height, focal: cam.fx, baseline: cam.baseline },
    };
  }
}

export const cityscapesDescriptor = defineDataset({
  name: 'cityscapes',
  optionsSchema: z
    .object({
      officialSplit: z.string().min(1).optional(),
      cropBottomFraction: z.number().min(0).lt(1).optional(),
      camera: z.object({ baseline: z.number(), fx: z.number(), fy: z.number(), u0: z.number(), v0: z.number() }).strict().optional(),
      loadDisparity: z.boolean().optional(),
    })
    .strict(),
  needsSplit: false,
  create: (e) => new CityscapesDataset({ dataPath: e.path, ...(e.split ? { split: e.split } : {}), ...e.options }),
});
