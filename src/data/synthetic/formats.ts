/**
 * Writers of the real on-disk formats the synthetic world emits: 8-bit PNG/JPEG, 16-bit grey PNG, `.npy`,
 * fast-depth `.h5`, KITTI calib text files, Cityscapes camera json. Every file is written atomically
 * (temp + rename) so an interrupted run never leaves a partial file and resume can trust existence.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic.js';
import type { RgbImage } from '../types.js';

/** Encodes an 8-bit RGB image as PNG, or JPEG (quality 92, 4:2:0 — the KITTI authors' conversion settings). */
export async function encodeRgb(image: RgbImage, format: 'png' | 'jpg'): Promise<Buffer> {
  const s = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  return format === 'png' ? s.png({ compressionLevel: 3 }).toBuffer() : s.jpeg({ quality: 92, chromaSubsampling: '4:2:0' }).toBuffer();
}

export async function writeRgb(path: string, image: RgbImage): Promise<void> {
  const format = path.endsWith('.png') ? 'png' : path.endsWith('.jpg') || path.endsWith('.jpeg') ? 'jpg' : null;
  if (!format) throw new Error(`writeRgb: ${path}: expected a .png or .jpg file name`);
  await writeFileAtomic(path, await encodeRgb(image, format));
}

/**
 * Encodes a single-channel 16-bit PNG (values as given, e.g. round(depth * 256) for KITTI GT). sharp takes the
 * sample depth from the typed array's element type (Uint16Array -> ushort); grey16 keeps all 16 bits.
 */
export async function encodePng16(values: Uint16Array, width: number, height: number): Promise<Buffer> {
  return sharp(values, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png({ compressionLevel: 3 })
    .toBuffer();
}

export async function writePng16(path: string, values: Uint16Array, width: number, height: number): Promise<void> {
  await writeFileAtomic(path, await encodePng16(values, width, height));
}

/** Quantises metres to KITTI's uint16 PNG encoding: round(v * 256), 0 = invalid, clipped to 65535. */
export function toUint16Scaled(values: Float32Array, scale = 256, offset = 0): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v > 0 ? Math.min(65535, Math.round(v * scale) + offset) : 0;
  }
  return out;
}

/** `.npy` v1.0 bytes of a little-endian float32 array of the given shape (C order). */
export function encodeNpyFloat32(data: Float32Array, shape: number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Header length so that magic(6)+version(2)+len(2)+header is a multiple of 64, header ends with '\n'.
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const header = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/**
 * fast-depth NYUv2 `.h5`: dataset `rgb` uint8 (3, H, W) and `depth` float32 (H, W) metres.
 * Written to a temp name beside the target, then renamed (h5wasm writes through the real file system).
 */
export async function writeNyuH5(path: string, rgbHwc: Uint8Array, depth: Float32Array, width: number, height: number): Promise<void> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const chw = new Uint8Array(3 * width * height);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    chw[i] = rgbHwc[i * 3]!;
    chw[plane + i] = rgbHwc[i * 3 + 1]!;
    chw[2 * plane + i] = rgbHwc[i * 3 + 2]!;
  }
  try {
    const file = new h5wasm.File(tmp, 'w');
    file.create_dataset({ name: 'rgb', data: chw, shape: [3, height, width], dtype: '<B' });
    file.create_dataset({ name: 'depth', data: depth, shape: [height, width], dtype: '<f4' });
    file.close();
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Formats a number like MATLAB/C `%e` as the KITTI calib files do: 7.215377e+02. */
export function formatKittiNumber(v: number): string {
  const [mantissa, exp] = v.toExponential(6).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

export function kittiLine(key: string, values: number[]): string {
  return `${key}: ${values.map(formatKittiNumber).join(' ')}`;
}
