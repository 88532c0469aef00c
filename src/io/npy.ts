/**
 * NumPy `.npy` (format 1.0/2.0/3.0, little-endian float32/float64/uint8/uint16/int32, C order) and `.npz`
 * (a zip of `.npy` members; stored and deflated entries are read with node:zlib, written stored).
 */
import { inflateRawSync } from 'node:zlib';
import { DatasetError } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readRequired } from './files.js';

export type NpyData = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;
export interface NpyArray {
  data: NpyData;
  shape: number[];
}

const DTYPES: Record<string, { bytes: number; make: (buf: ArrayBuffer) => NpyData }> = {
  '<f4': { bytes: 4, make: (b) => new Float32Array(b) },
  '<f8': { bytes: 8, make: (b) => new Float64Array(b) },
  '|u1': { bytes: 1, make: (b) => new Uint8Array(b) },
  '<u2': { bytes: 2, make: (b) => new Uint16Array(b) },
  '<i4': { bytes: 4, make: (b) => new Int32Array(b) },
};

function dtypeOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  return '<i4';
}

/** Parses `.npy` bytes; `name` is used in errors. */
export function parseNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new DatasetError(`not a .npy file: expected magic \\x93NUMPY`, name);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new DatasetError(`malformed .npy header '${header.trim()}'`, name);
  const dtype = DTYPES[descr];
  if (!dtype) throw new DatasetError(`unsupported .npy dtype '${descr}': expected one of ${Object.keys(DTYPES).join(', ')}`, name);
  if (fortran) throw new DatasetError(`Fortran-order .npy is not supported: expected C order`, name);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.byteLength - offset < count * dtype.bytes) {
    throw new DatasetError(`truncated .npy: expected ${count * dtype.bytes} data bytes for shape (${shape}), got ${bytes.byteLength - offset}`, name);
  }
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + count * dtype.bytes); // a real copy even for a Buffer (whose slice is a view)
  return { data: dtype.make(copy.buffer), shape };
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
  return parseNpy(await readRequired(path, '.npy array'), path);
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
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
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
    else if (method === 8) out.set(entryName, new Uint8Array(inflateRawSync(raw)));
    else throw new DatasetError(`zip member '${entryName}' uses compression method ${method}: expected 0 (stored) or 8 (deflate)`, name);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Parses `.npz` bytes into arrays keyed by name (without `.npy`). */
export function parseNpz(bytes: Uint8Array, name = '<npz>'): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [entry, data] of readZipEntries(bytes, name)) {
    out.set(entry.replace(/\.npy$/, ''), parseNpy(data, `${name}:${entry}`));
  }
  return out;
}

export async function readNpz(path: string): Promise<Map<string, NpyArray>> {
  return parseNpz(await readRequired(path, '.npz archive'), path);
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

/** Encodes arrays as an uncompressed `.npz` (what `numpy.savez` writes). */
export function encodeNpz(arrays: Record<string, NpyArray>): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [key, arr] of Object.entries(arrays)) {
    const nameBytes = new TextEncoder().encode(`${key}.npy`);
    const data = encodeNpy(arr);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); lv.setUint16(4, 20, true); lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true); lv.setUint32(22, data.length, true); lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true); cv.setUint32(24, data.length, true); cv.setUint16(28, nameBytes.length, true);
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

export async function writeNpz(path: string, arrays: Record<string, NpyArray>): Promise<void> {
  await writeFileAtomic(path, encodeNpz(arrays));
}
