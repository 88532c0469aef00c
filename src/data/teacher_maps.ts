/**
 * Precomputed teacher maps stored beside a dataset (DistDepth's expert run once, offline): one file per sample,
 * `<dir>/<key>.npy` (float32 [H,W]) or `<dir>/<key>.png` (16-bit grey, value / pngDivisor), where the key is the sample id
 * (its split line) with whitespace runs turned into '_'. `stereodepth teacher-cache` writes them; a wrapper dataset attaches
 * them to the samples of any adapter, so the loader, augmentation and batches carry them as `teacher`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { readPng16, uint16ToFloatMap } from '../io/image.js';
import { readNpy } from '../io/npy.js';
import { DatasetError, type Dataset, type FloatMap, type SplitLineRef, type StereoSample, type TeacherKind } from './types.js';

/** File name (without extension) of a sample's teacher map: the id with whitespace -> '_', no leading '/', no '..'. */
export function teacherMapKey(id: string): string {
  const key = id.trim().replace(/\s+/g, '_').replace(/^\/+/, '');
  if (key.length === 0 || key.split('/').includes('..')) throw new Error(`teacher map key: sample id '${id}' cannot name a file under the maps directory`);
  return key;
}

export interface TeacherMapsOptions {
  dir: string;
  kind: TeacherKind;
  /** 16-bit PNG value / pngDivisor = map value. Default 1. */
  pngDivisor?: number;
}

/** Reads the teacher map of sample `id` (.npy first, then 16-bit .png); a missing map names both candidates. */
export async function readTeacherMap(id: string, o: TeacherMapsOptions, ref?: SplitLineRef): Promise<FloatMap> {
  const base = join(o.dir, teacherMapKey(id));
  if (existsSync(`${base}.npy`)) {
    const a = await readNpy(`${base}.npy`);
    if (a.shape.length < 2 || a.shape.slice(0, -2).some((d) => d !== 1)) throw new DatasetError(`teacher map: expected shape [H, W] (or [1, H, W]), got [${a.shape.join(', ')}]`, `${base}.npy`, ref);
    return { data: Float32Array.from(a.data), height: a.shape[a.shape.length - 2]!, width: a.shape[a.shape.length - 1]! };
  }
  if (existsSync(`${base}.png`)) return uint16ToFloatMap(await readPng16(`${base}.png`, ref), o.pngDivisor ?? 1);
  throw new DatasetError(`missing teacher map for sample '${id}': expected ${base}.npy or ${base}.png (write them with \`stereodepth teacher-cache\`)`, `${base}.npy`, ref);
}

/** `dataset` with each sample's teacher map attached (sample.teacher, sample.teacherKind). */
export class TeacherMapsDataset implements Dataset {
  constructor(
    readonly inner: Dataset,
    readonly options: TeacherMapsOptions,
  ) {}
  get name(): string { return this.inner.name; }
  get length(): number { return this.inner.length; }
  ref(index: number): SplitLineRef { return this.inner.ref(index); }

  async get(index: number): Promise<StereoSample> {
    const sample = await this.inner.get(index);
    return { ...sample, teacher: await readTeacherMap(sample.id, this.options, this.ref(index)), teacherKind: this.options.kind };
  }
}
