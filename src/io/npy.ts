/**
 * NumPy `.npy` (format 1.0/2.0/3.0, little-endian float32/float64/uint8/bool/uint16/int32/int64, C order) and `.npz`
 * (a zip of `.npy` members, zip64 included; stored and deflated entries are read with node:zlib; written stored like
 * `numpy.savez` or deflated like `numpy.savez_compressed`). Object (pickled) arrays are refused with a
 * {@link PickledArrayError} that carries the pickle bytes, for the one caller that can decode them (eval/gt.ts).
 */
import { inflateRawSync, deflateRawSync } from 'node:zlib';
import { DatasetError } from './types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readRequired } from './files.js';

export type NpyData = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;
export interface NpyArray {
  data: NpyData;
  shape: number[];
}

/** How `.npy` bytes become arrays. */
export interface NpyParseOptions {
  /**
   * Return views into the input bytes when the data is aligned (numpy pads headers to 64 bytes) instead of copies.
   * For bytes the caller owns and will not reuse: a GB-sized GT cache then needs no second copy.
   */
  view?: boolean;
}

// int64 (numpy's default integer) and bool are read as Float64Array / Uint8Array: no caller needs them as BigInt.
const DTYPES: Record<string, { bytes: number; make: (buf: ArrayBuffer, offset: number, count: number) => NpyData }> = {
  '<f4': { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  '<f8': { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  '|u1': { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '|b1': { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '<u2': { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  '<i4': { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  '<i8': { bytes: 8, make: (b, o, n) => Float64Array.from(new BigInt64Array(b, o, n), Number) },
};

function dtypeOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  return '<i4';
}

/** An object (pickled) array: numpy.save of a list of differently-sized maps (monodepth2's gt_depths.npz). */
export class PickledArrayError extends DatasetError {
  constructor(
    file: string,
    /** The pickle stream that follows the header. */
    readonly payload: Uint8Array,
  ) {
    super('object (pickled) .npy array: expected a numeric array (re-export it with stereodepth export-gt)', file);
    this.name = 'PickledArrayError';
  }
}

/** Parses `.npy` bytes; `name` is used in errors. */
export function parseNpy(bytes: Uint8Array, name = '<npy>', options: NpyParseOptions = {}): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new DatasetError(`not a .npy file: expected magic \\x93NUMPY`, name);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new DatasetError(`unsupported .npy format version ${major}: expected 1, 2 or 3`, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new DatasetError(`malformed .npy header '${header.trim()}'`, name);
  const offset = start + headerLen;
  if (descr === '|O') throw new PickledArrayError(name, bytes.subarray(offset));
  const dtype = DTYPES[descr];
  if (!dtype) throw new DatasetError(`unsupported .npy dtype '${descr}': expected one of ${Object.keys(DTYPES).join(', ')}`, name);
  if (fortran) throw new DatasetError(`Fortran-order .npy is not supported: expected C order`, name);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength - offset < count * dtype.bytes) {
    throw new DatasetError(`truncated .npy: expected ${count * dtype.bytes} data bytes for shape (${shape}), got ${bytes.byteLength - offset}`, name);
  }
  if (options.view && (bytes.byteOffset + offset) % dtype.bytes === 0) {
    return { data: dtype.make(bytes.buffer as ArrayBuffer, bytes.byteOffset + offset, count), shape };
  }
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + count * dtype.bytes); // a real copy even for a Buffer (whose slice is a view)
  return { data: dtype.make(copy.buffer, 0, count), shape };
}

/** Encodes an array as `.npy` version 1.0 (header padded so data starts on a 64-byte boundary). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${dtypeOf(array.data)}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(10 + header.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readRequired(path, '.npy array'), path, { view: true });
}

export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array));
}

/** Reads the members of a zip archive (stored or deflated) from its central directory. */
export function readZipEntries(bytes: Uint8Array, name = '<zip>'): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new DatasetError(`not a zip/npz archive or truncated: no end-of-central-directory record`, name);
  let count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  if (count === 0xffff || p === 0xffffffff) {
    // zip64 end-of-central-directory (Python's zipfile writes it for large archives): its locator precedes the EOCD
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) throw new DatasetError(`zip64 archive without its end-of-central-directory locator`, name);
    const record = Number(view.getBigUint64(locator + 8, true));
    if (record + 56 > bytes.byteLength || view.getUint32(record, true) !== 0x06064b50) throw new DatasetError(`corrupt zip64 end-of-central-directory record at byte ${record}`, name);
    count = Number(view.getBigUint64(record + 32, true));
    p = Number(view.getBigUint64(record + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.byteLength || view.getUint32(p, true) !== 0x02014b50) {
      throw new DatasetError(`corrupt zip central directory at byte ${p}`, name);
    }
    const method = view.getUint16(p + 10, true);
    let compSize = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const entryName = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (compSize === 0xffffffff || local === 0xffffffff) {
      // zip64 extra field (numpy writes it for large members): header 0x0001, then 8-byte sizes / offset
      const extra = p + 46 + nameLen;
      for (let e = extra; e < extra + extraLen; ) {
        const id = view.getUint16(e, true);
        const size = view.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          if (view.getUint32(p + 24, true) === 0xffffffff) q += 8;
          if (compSize === 0xffffffff) { compSize = Number(view.getBigUint64(q, true)); q += 8; }
          if (local === 0xffffffff) local = Number(view.getBigUint64(q, true));
        }
        e += 4 + size;
      }
    }
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compSize);
    if (raw.byteLength < compSize) throw new DatasetError(`truncated zip member '${entryName}'`, name);
    if (method === 0) out.set(entryName, raw);
    else if (method === 8) {
      const inflated = inflateRawSync(raw); // wrapped, not copied: GT caches inflate to GBs
      out.set(entryName, new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength));
    }
    else throw new DatasetError(`zip member '${entryName}' uses compression method ${method}: expected 0 (stored) or 8 (deflate)`, name);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * Parses `.npz` bytes into arrays keyed by name (without `.npy`). With `view`, stored members are views into `bytes`
 * (deflated members are always fresh buffers, so they are never copied twice).
 */
export function parseNpz(bytes: Uint8Array, name = '<npz>', options: NpyParseOptions = {}): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [entry, data] of readZipEntries(bytes, name)) {
    const owned = options.view || data.buffer !== bytes.buffer;
    out.set(entry.replace(/\.npy$/, ''), parseNpy(data, `${name}:${entry}`, { view: owned }));
  }
  return out;
}

export async function readNpz(path: string): Promise<Map<string, NpyArray>> {
  return parseNpz(await readRequired(path, '.npz archive'), path, { view: true });
}

/** Reads one key of an `.npz`; a wrong key lists the keys present. */
export async function readNpzKey(path: string, key: string): Promise<NpyArray> {
  const all = await readNpz(path);
  const arr = all.get(key);
  if (!arr) throw new DatasetError(`npz has no key '${key}': keys present are ${[...all.keys()].join(', ')}`, path);
  return arr;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface NpzWriteOptions {
  /** Deflate members like `numpy.savez_compressed` (sparse velodyne GT shrinks ~20x); default stored like `numpy.savez`. */
  compress?: boolean;
}

/** Encodes arrays as an `.npz` readable by `numpy.load` (no zip64: each member and the archive stay under 4 GB). */
export function encodeNpz(arrays: Record<string, NpyArray>, options: NpzWriteOptions = {}): Uint8Array {
  const method = options.compress ? 8 : 0;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [key, arr] of Object.entries(arrays)) {
    const nameBytes = new TextEncoder().encode(`${key}.npy`);
    const raw = encodeNpy(arr);
    const data = method === 8 ? new Uint8Array(deflateRawSync(raw, { level: 6 })) : raw;
    if (raw.length >= 0xffffffff || offset + data.length >= 0xffffffff) {
      throw new Error(`encodeNpz: member '${key}' (${raw.length} bytes) would need zip64, which is not written; split the arrays`);
    }
    const crc = crc32(raw);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); lv.setUint16(4, 20, true); lv.setUint16(8, method, true); lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true); lv.setUint32(22, raw.length, true); lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true); cv.setUint32(20, data.length, true); cv.setUint32(24, raw.length, true); cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    central.set(nameBytes, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const cdSize = centrals.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true); ev.setUint16(8, centrals.length, true); ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true); ev.setUint32(16, offset, true);
  const parts = [...locals, ...centrals, eocd];
  const out = new Uint8Array(parts.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const part of parts) { out.set(part, p); p += part.length; }
  return out;
}

export async function writeNpz(path: string, arrays: Record<string, NpyArray>, options: NpzWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpz(arrays, options));
}
