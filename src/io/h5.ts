/**
 * HDF5 through h5wasm, read lazily: `readH5Slice` reads only the requested hyperslab, so a 2.8 GB NYUv2 labeled
 * `.mat` (v7.3 = HDF5) is never loaded whole. h5wasm creates nothing and does not throw on a missing path, so the
 * file's existence is checked first. MATLAB stores arrays column-major, so a MATLAB (N, H, W, 3) array appears in HDF5
 * as (3, W, H, N); {@link matlabImageToHwc} undoes that.
 */
import { DatasetError } from './types.js';
import { requireFile } from './files.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

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

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Checks the HDF5 signature and the superblock's end-of-file address against the file size before h5wasm sees the
 * file: a truncated file otherwise prints an HDF5 error dump and fails with "name not defined!". The superblock is
 * at 0, 512, 1024, 2048 ... (after a user block); its layout depends on its version (HDF5 file format spec, II.A).
 */
export function checkHdf5Header(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      const head = Buffer.alloc(64);
      const n = readSync(fd, head, 0, 64, at);
      if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) continue;
      const version = head[8]!;
      const sizeOfOffsets = version <= 1 ? head[13]! : head[9]!;
      // v0/v1: base, free-space, EOF addresses after 16 (v0) or 20 (v1) bytes of fields; v2/v3: base, extension, EOF after 12
      const eofAt = version === 0 ? 24 + 2 * sizeOfOffsets : version === 1 ? 28 + 2 * sizeOfOffsets : 12 + 2 * sizeOfOffsets;
      if (sizeOfOffsets !== 8 || eofAt + 8 > n) return; // unusual layout: leave the checks to the library
      // The stored EOF is a file offset for a superblock at the stored base address (libhdf5 writes base 512 and an
      // EOF that counts the user block, as in MATLAB's v7.3 files); a superblock found elsewhere (a user block added
      // after writing, as h5jam does) shifts the end by the difference, as libhdf5 assumes when it reads.
      const base = Number(head.readBigUInt64LE(version <= 1 ? eofAt - 2 * sizeOfOffsets : 12));
      const end = Number(head.readBigUInt64LE(eofAt)) + (at - base);
      if (end > size) {
        throw new DatasetError(`truncated HDF5 file: its superblock says ${end} bytes, the file has ${size} (an interrupted download or copy?); download it again`, path);
      }
      return;
    }
    throw new DatasetError(`not an HDF5 file: no HDF5 signature at byte 0, 512, 1024, ... (${size} bytes); expected a .h5 / v7.3 .mat file`, path);
  } finally {
    closeSync(fd);
  }
}

/** An open HDF5 file; close it when done. */
export class H5Reader {
  private constructor(private readonly file: InstanceType<H5Module['File']>, readonly path: string) {}

  static async open(path: string): Promise<H5Reader> {
    requireFile(path, 'HDF5 file');
    checkHdf5Header(path);
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
