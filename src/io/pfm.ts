/** Portable float map (`.pfm`): header `Pf`/`PF`, `W H`, scale (negative = little-endian); rows stored bottom-to-top. */
import { DatasetError, type FloatMap } from './types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readRequired } from './files.js';

/** Parses a single-channel (`Pf`) PFM into a top-to-bottom float map; `PF` (colour) keeps channel 0. */
export function parsePfm(bytes: Uint8Array, path = '<pfm>'): FloatMap {
  let p = 0;
  const token = (): string => {
    while (p < bytes.length && /\s/.test(String.fromCharCode(bytes[p]!))) p++;
    const s = p;
    while (p < bytes.length && !/\s/.test(String.fromCharCode(bytes[p]!))) p++;
    return String.fromCharCode(...bytes.subarray(s, p));
  };
  const magic = token();
  if (magic !== 'Pf' && magic !== 'PF') throw new DatasetError(`not a PFM file: expected 'Pf' or 'PF', got '${magic.slice(0, 8)}'`, path);
  const width = Number(token()), height = Number(token()), scale = Number(token());
  if (!(width > 0 && height > 0 && Number.isFinite(scale) && scale !== 0)) throw new DatasetError(`malformed PFM header: expected 'W H scale'`, path);
  p++; // single whitespace after scale
  const ch = magic === 'PF' ? 3 : 1;
  const need = width * height * ch * 4;
  if (bytes.length - p < need) throw new DatasetError(`truncated PFM: expected ${need} data bytes, got ${bytes.length - p}`, path);
  const view = new DataView(bytes.buffer, bytes.byteOffset + p, need);
  const little = scale < 0;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    out[(height - 1 - y) * width + x] = view.getFloat32(((y * width + x) * ch) * 4, little);
  }
  return { data: out, width, height };
}

export async function readPfm(path: string): Promise<FloatMap> {
  return parsePfm(await readRequired(path, 'PFM map'), path);
}

/** Encodes a single-channel little-endian PFM (scale -1). */
export function encodePfm(map: FloatMap): Uint8Array {
  const header = new TextEncoder().encode(`Pf\n${map.width} ${map.height}\n-1\n`);
  const out = new Uint8Array(header.length + map.data.length * 4);
  out.set(header);
  const view = new DataView(out.buffer, header.length);
  for (let y = 0; y < map.height; y++) for (let x = 0; x < map.width; x++) {
    view.setFloat32(((map.height - 1 - y) * map.width + x) * 4, map.data[y * map.width + x]!, true);
  }
  return out;
}

export async function writePfm(path: string, map: FloatMap): Promise<void> {
  await writeFileAtomic(path, encodePfm(map));
}
