/**
 * Minimal NumPy .npy / .npz reading and writing for evaluation files (predictions, GT caches).
 *
 * Why here: src/io (npy/npz owned by another engineer) had not landed when eval was written; this covers only
 * what eval needs (little-endian numeric dtypes, C order, npz stored or deflated, no pickled object arrays)
 * and should be replaced by src/io's reader once it exists. Format: NEP 1 (.npy v1/v2/v3 header) and
 * the zip container numpy.savez uses.
 */
import { inflateRawSync, deflateRawSync, crc32 } from 'node:zlib';

export type NpyDtype = '<f4' | '<f8' | '|u1' | '<u2' | '<i4' | '|b1' | '<i8';

/** Thrown for object (pickled) arrays; carries the pickle payload so a caller that understands it can decode it. */
export class PickledArrayError extends Error {
  constructor(
    where: string,
    readonly payload: Uint8Array,
  ) {
    super(`${where}: object (pickled) array; expected a numeric array (re-export with stereodepth export-gt)`);
  }
}

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Values in C order, decoded to a typed array of the dtype (bool -> Uint8Array, i8 -> Float64Array). */
  data: Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;
}

/** Parses one .npy buffer; `where` names the file (and npz member) in error messages. */
export function parseNpy(buf: Uint8Array, where: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  for (let i = 0; i < magic.length; i++) {
    if (buf[i] !== magic[i]) throw new Error(`${where}: not a .npy file (bad magic bytes)`);
  }
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new Error(`${where}: unsupported .npy version ${major}; expected 1, 2 or 3`);
  }
  const header = new TextDecoder('latin1').decode(buf.subarray(offset, offset + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new Error(`${where}: malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') throw new Error(`${where}: Fortran-ordered arrays are not supported; save with C order`);
  if (descr === '|O') throw new PickledArrayError(where, buf.subarray(offset + headerLen));
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  const itemSize = descr === '<f8' || descr === '<i8' ? 8 : descr === '<f4' || descr === '<i4' ? 4 : descr === '<u2' ? 2 : 1;
  // A view when the data is aligned (numpy pads headers to 64 bytes), a copy otherwise: GT caches can be GBs.
  const body = (buf.byteOffset + start) % itemSize === 0 ? buf.subarray(start) : buf.slice(start);
  const need = (bytes: number): void => {
    if (body.byteLength < count * bytes) {
      throw new Error(`${where}: truncated data: shape (${shape.join(', ')}) needs ${count * bytes} bytes, file has ${body.byteLength}`);
    }
  };
  const ab = body.buffer;
  const at = body.byteOffset;
  switch (descr) {
    case '<f4':
      need(4);
      return { dtype: descr, shape, data: new Float32Array(ab, at, count) };
    case '<f8':
      need(8);
      return { dtype: descr, shape, data: new Float64Array(ab, at, count) };
    case '|u1':
    case '|b1':
      need(1);
      return { dtype: descr, shape, data: new Uint8Array(ab, at, count) };
    case '<u2':
      need(2);
      return { dtype: descr, shape, data: new Uint16Array(ab, at, count) };
    case '<i4':
      need(4);
      return { dtype: descr, shape, data: new Int32Array(ab, at, count) };
    case '<i8': {
      need(8);
      const big = new BigInt64Array(ab, at, count);
      return { dtype: descr, shape, data: Float64Array.from(big, (v) => Number(v)) };
    }
    default:
      throw new Error(`${where}: unsupported dtype '${descr}'; expected one of <f4 <f8 |u1 <u2 <i4 <i8 |b1`);
  }
}

/** Serialises a C-ordered array as .npy v1. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const shapeText = array.shape.length === 1 ? `${array.shape[0]},` : array.shape.join(', ');
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': (${shapeText}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(new TextEncoder().encode(header), 10);
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

/** Reads all members of an .npz (zip, stored or deflated) into arrays keyed by name without `.npy`. */
export function parseNpz(buf: Uint8Array, where: string): Map<string, NpyArray> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // End of central directory: scan back for its signature.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${where}: not an .npz (zip) file: no end-of-central-directory record`);
  let entries = view.getUint16(eocd + 10, true);
  let cd = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || cd === 0xffffffff) {
    // zip64 (numpy writes it for large members): locator precedes the EOCD.
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw new Error(`${where}: zip64 locator missing`);
    const z64 = Number(view.getBigUint64(loc + 8, true));
    entries = Number(view.getBigUint64(z64 + 32, true));
    cd = Number(view.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, NpyArray>();
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(cd, true) !== 0x02014b50) throw new Error(`${where}: corrupt zip central directory (entry ${e})`);
    const method = view.getUint16(cd + 10, true);
    let compSize = view.getUint32(cd + 20, true);
    const nameLen = view.getUint16(cd + 28, true);
    const extraLen = view.getUint16(cd + 30, true);
    const commentLen = view.getUint16(cd + 32, true);
    let localOff = view.getUint32(cd + 42, true);
    const name = new TextDecoder().decode(buf.subarray(cd + 46, cd + 46 + nameLen));
    // zip64 extra field holds the real sizes/offset when the 32-bit ones are saturated.
    let x = cd + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true);
      const size = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let p = x + 4;
        const uncompSat = view.getUint32(cd + 24, true) === 0xffffffff;
        if (uncompSat) p += 8;
        if (compSize === 0xffffffff) {
          compSize = Number(view.getBigUint64(p, true));
          p += 8;
        }
        if (localOff === 0xffffffff) localOff = Number(view.getBigUint64(p, true));
      }
      x += 4 + size;
    }
    cd = xEnd + commentLen;
    const lNameLen = view.getUint16(localOff + 26, true);
    const lExtraLen = view.getUint16(localOff + 28, true);
    const dataStart = localOff + 30 + lNameLen + lExtraLen;
    const raw = buf.subarray(dataStart, dataStart + compSize);
    let member: Uint8Array;
    if (method === 0) member = raw;
    else if (method === 8) member = new Uint8Array(inflateRawSync(raw));
    else throw new Error(`${where}: member ${name} uses zip method ${method}; expected stored (0) or deflate (8)`);
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    out.set(key, parseNpy(member, `${where}:${name}`));
  }
  return out;
}

/**
 * Writes arrays as an .npz readable by numpy.load: deflated like numpy.savez_compressed by default (sparse
 * velodyne GT shrinks ~20x), stored like numpy.savez with `compress: false`.
 */
export function encodeNpz(arrays: Map<string, NpyArray>, options: { compress?: boolean } = {}): Uint8Array {
  const compress = options.compress ?? true;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [key, arr] of arrays) {
    const name = new TextEncoder().encode(`${key}.npy`);
    const raw = encodeNpy(arr);
    const body = compress ? new Uint8Array(deflateRawSync(raw, { level: 6 })) : raw;
    if (raw.length >= 0xffffffff || offset >= 0xffffffff) throw new Error(`encodeNpz: member ${key} too large (zip64 not written)`);
    const crc = crc32(raw) >>> 0;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, compress ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, compress ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, body);
    centrals.push(central);
    offset += local.length + body.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, arrays.size, true);
  ev.setUint16(10, arrays.size, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const parts = [...locals, ...centrals, end];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
