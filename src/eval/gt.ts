/**
 * Ground truth for evaluation: the cached GT file (one .npz for a whole split, so eval never recomputes),
 * 16-bit PNG readers (KITTI improved depth / 2015 disparity: value / 256; MAI / NYU: millimetres) and
 * split-list parsing.
 */
import { readFileSync, existsSync } from 'node:fs';
import sharp from 'sharp';
import { parseNpz, parseNpy, encodeNpz, PickledArrayError, type NpyArray } from '../io/npy.js';
import { unpickleObjectArrayOfMaps } from './pickle_arrays.js';
import type { PlaneMap } from './resize.js';

/**
 * GT cache layout (`stereodepth export-gt --out gt.npz`), readable by numpy:
 * - all maps of one size: key `data`, float32 N x H x W — `np.load(f)['data'][i]` works exactly like
 *   monodepth2's `gt_depths.npz` (an object array indexed per image);
 * - mixed sizes (KITTI Eigen has several): key `data` = float32 concatenation of the maps in order, plus key
 *   `shapes` = int32 N x 2 (height, width).
 * monodepth2's own gt_depths.npz stores a pickled object array, which {@link readGtFile} reads through a small
 * pickle decoder limited to object arrays of numeric numpy arrays (eval/pickle_arrays.ts).
 */
export function encodeGtFile(maps: PlaneMap[]): Uint8Array {
  if (maps.length === 0) throw new Error('encodeGtFile: no maps to write');
  const sameSize = maps.every((m) => m.height === maps[0]!.height && m.width === maps[0]!.width);
  const total = maps.reduce((s, m) => s + m.height * m.width, 0);
  const data = new Float32Array(total);
  let o = 0;
  for (const m of maps) {
    data.set(m.data, o);
    o += m.data.length;
  }
  const arrays: Record<string, NpyArray> = {};
  if (sameSize) {
    arrays.data = { shape: [maps.length, maps[0]!.height, maps[0]!.width], data };
  } else {
    arrays.data = { shape: [total], data };
    const shapes = new Int32Array(maps.length * 2);
    maps.forEach((m, i) => {
      shapes[2 * i] = m.height;
      shapes[2 * i + 1] = m.width;
    });
    arrays.shapes = { shape: [maps.length, 2], data: shapes };
  }
  // deflated like numpy.savez_compressed: sparse velodyne GT shrinks ~20x
  return encodeNpz(arrays, { compress: true });
}

/** Splits an N x H x W array into per-image maps (views, no copy). */
export function splitStack(arr: NpyArray, where: string): PlaneMap[] {
  if (arr.shape.length !== 3) {
    throw new Error(`${where}: expected a 3-D array N x H x W, got shape (${arr.shape.join(', ')})`);
  }
  const [n, h, w] = arr.shape as [number, number, number];
  const data = arr.data instanceof Float32Array || arr.data instanceof Float64Array ? arr.data : Float32Array.from(arr.data);
  const maps: PlaneMap[] = [];
  for (let i = 0; i < n; i++) maps.push({ data: data.subarray(i * h * w, (i + 1) * h * w), height: h, width: w });
  return maps;
}

/** Reads a GT file: our .npz layout, a plain N x H x W .npy, or monodepth2's gt_depths.npz (object array). */
export function readGtFile(path: string): PlaneMap[] {
  if (!existsSync(path)) throw new Error(`${path}: GT file not found (create it with stereodepth export-gt)`);
  const buf = new Uint8Array(readFileSync(path));
  // views, not copies: the bytes are ours and a split's GT can be GBs
  if (path.toLowerCase().endsWith('.npy')) return splitStack(parseNpy(buf, path, { view: true }), path);
  const members = parseNpzWithObjects(buf, path);
  const data = members.get('data');
  if (!data) throw new Error(`${path}: no key "data" (keys: ${[...members.keys()].join(', ')})`);
  if (Array.isArray(data)) return data;
  const shapes = members.get('shapes');
  if (shapes && !Array.isArray(shapes)) {
    const maps: PlaneMap[] = [];
    let o = 0;
    const flat = data.data instanceof Float32Array || data.data instanceof Float64Array ? data.data : Float32Array.from(data.data);
    for (let i = 0; i < shapes.shape[0]!; i++) {
      const h = shapes.data[2 * i]!;
      const w = shapes.data[2 * i + 1]!;
      if (o + h * w > flat.length) throw new Error(`${path}: "shapes" row ${i} (${h}x${w}) runs past the end of "data"`);
      maps.push({ data: flat.subarray(o, o + h * w), height: h, width: w });
      o += h * w;
    }
    if (o !== flat.length) throw new Error(`${path}: "data" has ${flat.length} values but "shapes" accounts for ${o}`);
    return maps;
  }
  return splitStack(data, `${path}:data`);
}

/** parseNpz, except that a pickled object array of 2-D numeric arrays (monodepth2 gt_depths.npz) comes back as maps. */
function parseNpzWithObjects(buf: Uint8Array, where: string): Map<string, NpyArray | PlaneMap[]> {
  try {
    return parseNpz(buf, where, { view: true });
  } catch (err) {
    if (!(err instanceof PickledArrayError)) throw err;
    const maps = unpickleObjectArrayOfMaps(err.payload, `${where}:data`);
    return new Map([['data', maps]]);
  }
}

/** Reads a single-channel 16-bit PNG as its raw uint16 values (sharp, lossless). */
export async function readPng16(path: string): Promise<{ data: Uint16Array; height: number; width: number }> {
  if (!existsSync(path)) throw new Error(`${path}: PNG not found`);
  const meta = await sharp(path).metadata();
  if (meta.depth !== 'ushort') {
    throw new Error(`${path}: expected a 16-bit PNG (uint16 depth/disparity), got bit depth '${meta.depth}'`);
  }
  const { data, info } = await sharp(path).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const copy = new Uint16Array(info.width * info.height);
  copy.set(new Uint16Array(data.buffer, data.byteOffset, info.width * info.height));
  return { data: copy, height: info.height, width: info.width };
}

/** uint16 PNG -> float32 map of value / divisor (KITTI: 256; MAI/NYU mm -> m: 1000), 0 stays 0 (invalid). */
export async function readScaledPng16(path: string, divisor: number): Promise<PlaneMap> {
  const png = await readPng16(path);
  const out = new Float32Array(png.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(png.data[i]! / divisor);
  return { data: out, height: png.height, width: png.width };
}

/** One line of a monodepth2 split file: `<date>/<drive> <frame> <l|r>`. */
export interface Monodepth2SplitLine {
  folder: string;
  frame: number;
  side: 'l' | 'r';
}

/** Parses monodepth2 split lines (eigen/test_files.txt, eigen_benchmark/test_files.txt). */
export function parseMonodepth2Split(text: string, where: string): Monodepth2SplitLine[] {
  const out: Monodepth2SplitLine[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    const parts = t.split(/\s+/);
    const frame = Number(parts[1]);
    const side = parts[2] ?? 'l';
    if (parts.length < 2 || !Number.isInteger(frame) || (side !== 'l' && side !== 'r')) {
      throw new Error(`${where}:${i + 1}: expected '<date>/<drive> <frame> <l|r>', got '${t}'`);
    }
    out.push({ folder: parts[0]!, frame, side });
  });
  return out;
}

/** Improved-GT path of a split line (monodepth2 `export_gt_depth.py`, eigen_benchmark). */
export function improvedGtPath(dataPath: string, line: Monodepth2SplitLine): string {
  const cam = line.side === 'r' ? 'image_03' : 'image_02';
  return `${dataPath}/${line.folder}/proj_depth/groundtruth/${cam}/${String(line.frame).padStart(10, '0')}.png`;
}
