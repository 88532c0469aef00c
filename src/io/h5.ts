/**
 * HDF5 through h5wasm, read lazily: `readH5Slice` reads only the requested hyperslab, so a 2.8 GB NYUv2 labeled
 * `.mat` (v7.3 = HDF5) is never loaded whole. h5wasm creates nothing and does not throw on a missing path, so the
 * file's existence is checked first. MATLAB stores arrays column-major, so a MATLAB (N, H, W, 3) array appears in HDF5
 * as (3, W, H, N); {@link matlabImageToHwc} undoes that.
 */
import { DatasetError } from './types.js';
import { requireFile } from './files.js';

type H5Module = typeof import('h5wasm');
let h5Promise: Promise<H5Module> | undefined;

async function h5(): Promise<H5Module> {
  h5Promise ??= import('h5wasm/node').then(async (m) => {
    const mod = (m as unknown as { default: H5Module }).default ?? (m as unknown as H5Module);
    await mod.ready;
    return mod;
  });
  return h5Promise;
}

export type H5Data = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;

/** An open HDF5 file; close it when done. */
export class H5Reader {
  private constructor(private readonly file: InstanceType<H5Module['File']>, readonly path: string) {}

  static async open(path: string): Promise<H5Reader> {
    requireFile(path, 'HDF5 file');
    const m = await h5();
    return new H5Reader(new m.File(path, 'r'), path);
  }

  keys(): string[] {
    return this.file.keys();
  }

  private dataset(key: string) {
    const d = this.file.get(key);
    if (!d || !('slice' in d) || !('shape' in d)) {
      throw new DatasetError(`HDF5 has no dataset '${key}': keys present are ${this.keys().join(', ')}`, this.path);
    }
    return d as unknown as { shape: number[]; slice: (r: [number, number][]) => unknown; value: unknown };
  }

  shape(key: string): number[] {
    return this.dataset(key).shape;
  }

  /** Whole dataset as a typed array (row-major in HDF5 order). */
  read(key: string): { data: H5Data; shape: number[] } {
    const d = this.dataset(key);
    return { data: d.value as H5Data, shape: d.shape };
  }

  /** Hyperslab read: ranges [start, end) per dimension (omitted trailing dims = whole). */
  readSlice(key: string, ranges: [number, number][]): { data: H5Data; shape: number[] } {
    const d = this.dataset(key);
    const full = d.shape.map((n, i) => ranges[i] ?? [0, n]) as [number, number][];
    return { data: d.slice(full) as H5Data, shape: full.map(([a, b]) => b - a) };
  }

  close(): void {
    this.file.close();
  }
}

/** CHW planar (fast-depth `rgb` (3, H, W)) -> HWC interleaved. */
export function chwToHwc(chw: ArrayLike<number>, height: number, width: number): Uint8Array {
  const plane = height * width;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = chw[c * plane + i]!;
  return out;
}

/** One MATLAB (H, W, 3) image stored transposed as (3, W, H): element (c, x, y) -> HWC (y, x, c). */
export function matlabImageToHwc(cwh: ArrayLike<number>, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width * 3);
  for (let c = 0; c < 3; c++) for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) {
    out[(y * width + x) * 3 + c] = cwh[(c * width + x) * height + y]!;
  }
  return out;
}

/** One MATLAB (H, W) map stored transposed as (W, H) -> row-major (H, W). */
export function matlabMapToRowMajor(wh: ArrayLike<number>, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width);
  for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) out[y * width + x] = wh[x * height + y]!;
  return out;
}
