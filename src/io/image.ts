/**
 * Image IO through sharp: 8-bit colour images as HWC RGB bytes, and 16-bit single-channel PNGs read and written
 * exactly (KITTI depth / disparity ground truth stores value = round(x * 256) as uint16, NYU depth stores millimetres).
 */
import type * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { DatasetError, type FloatMap, type RgbImage, type SplitLineRef } from './types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readRequired } from './files.js';

/** A decoded 16-bit single-channel image, row-major. */
export interface Uint16Image {
  data: Uint16Array;
  width: number;
  height: number;
}

function decodeError(path: string, err: unknown, expected: string, ref?: SplitLineRef): DatasetError {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new DatasetError(`cannot decode ${path}: expected ${expected} (${reason}); the file may be truncated or corrupt`, path, ref);
}

/**
 * Decodes an 8-bit image (PNG/JPEG/...) into HWC RGB. Grey images are expanded to 3 channels, alpha is dropped.
 * sharp is told to fail on any decoder warning so a truncated file is an error rather than a half-grey image.
 */
export async function decodeRgb(bytes: Uint8Array, path = '<buffer>', ref?: SplitLineRef): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw decodeError(path, err, 'an 8-bit RGB or grey image', ref);
  }
}

/** Reads an 8-bit image file into HWC RGB; missing / truncated files raise a DatasetError naming the file. */
export async function readRgb(path: string, ref?: SplitLineRef): Promise<RgbImage> {
  return decodeRgb(await readRequired(path, 'image', ref), path, ref);
}

/** Encodes RGB bytes as PNG or JPEG (JPEG quality 92 with 4:2:0 chroma, as the KITTI conversion in monodepth's README). */
export async function encodeRgb(image: RgbImage, format: 'png' | 'jpg'): Promise<Buffer> {
  const s = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  return format === 'png' ? s.png().toBuffer() : s.jpeg({ quality: 92, chromaSubsampling: '4:2:0' }).toBuffer();
}

/** Writes an RGB image atomically; the format follows the extension (.png, .jpg/.jpeg). */
export async function writeRgb(path: string, image: RgbImage): Promise<void> {
  const format = /\.jpe?g$/i.test(path) ? 'jpg' : 'png';
  await writeFileAtomic(path, await encodeRgb(image, format));
}

/**
 * Decodes a single-channel 16-bit PNG exactly (no scaling, no colour management). An 8-bit grey PNG is
 * rejected: the caller expects uint16 units (e.g. 1/256 px) and silently reading bytes would be wrong by 256x.
 */
export async function decodePng16(bytes: Uint8Array, path = '<buffer>', ref?: SplitLineRef): Promise<Uint16Image> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw decodeError(path, err, 'a 16-bit grey PNG', ref);
  }
  if (meta.format !== 'png' || meta.depth !== 'ushort' || (meta.channels ?? 0) > 2) {
    throw new DatasetError(
      `expected a 16-bit single-channel PNG, got format ${meta.format}, depth ${meta.depth}, ${meta.channels} channel(s)`,
      path,
      ref,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .extractChannel(0)
      .toColourspace('grey16') // without it sharp converts to 8-bit sRGB before the raw dump
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const count = info.width * info.height;
    if (data.byteLength !== count * 2) throw new Error(`got ${data.byteLength} bytes for ${info.width}x${info.height} uint16`);
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = data.readUInt16LE(i * 2);
    return { data: out, width: info.width, height: info.height };
  } catch (err) {
    throw decodeError(path, err, 'a 16-bit grey PNG', ref);
  }
}

/** Reads a 16-bit grey PNG file exactly. */
export async function readPng16(path: string, ref?: SplitLineRef): Promise<Uint16Image> {
  return decodePng16(await readRequired(path, '16-bit PNG', ref), path, ref);
}

/** Encodes uint16 values as a 16-bit grey PNG (sharp needs `grey16` to keep 16 bits). */
export async function encodePng16(image: Uint16Image): Promise<Buffer> {
  // a Uint16Array input tells sharp the raw samples are 16-bit (a byte Buffer would be read as 8-bit)
  return sharp(Uint16Array.from(image.data), { raw: { width: image.width, height: image.height, channels: 1, premultiplied: false } })
    .toColourspace('grey16')
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** Writes a 16-bit grey PNG atomically. */
export async function writePng16(path: string, image: Uint16Image): Promise<void> {
  await writeFileAtomic(path, await encodePng16(image));
}

/**
 * Converts stored uint16 values into a float map: x = (v - offset) / scale for v > 0, and 0 (invalid) for v = 0.
 * KITTI depth / disparity: scale 256, offset 0 (devkit readme). Cityscapes disparity: scale 256, offset 1
 * (d = (p - 1) / 256 for p > 0). NYU 16-bit depth PNG: scale 1000 (millimetres -> metres).
 */
export function uint16ToFloatMap(image: Uint16Image, scale: number, offset = 0): FloatMap {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = image.data[i]!;
    out[i] = v > 0 ? Math.max(0, (v - offset) / scale) : 0;
  }
  return { data: out, width: image.width, height: image.height };
}

/** Inverse of {@link uint16ToFloatMap} (round to nearest, clamp to [0, 65535]; 0 stays invalid). */
export function floatMapToUint16(map: FloatMap, scale: number, offset = 0): Uint16Image {
  const out = new Uint16Array(map.data.length);
  for (let i = 0; i < out.length; i++) {
    const x = map.data[i]!;
    out[i] = x > 0 && Number.isFinite(x) ? Math.min(65535, Math.max(1, Math.round(x * scale + offset))) : 0;
  }
  return { data: out, width: map.width, height: map.height };
}

/**
 * Converts an image tensor [H,W,1|3] in [0,1] into 8-bit RGB bytes (grey is repeated on the 3 channels; values are
 * clipped, NaN becomes 0). Reads the tensor synchronously, so the caller may dispose it as soon as this returns.
 */
export function tensorToRgbImage(x: tf.Tensor3D): RgbImage {
  const [height, width, channels] = x.shape;
  if (channels !== 1 && channels !== 3) throw new Error(`tensorToRgbImage: expected [H,W,1] or [H,W,3], got shape [${x.shape.join(',')}]`);
  const src = x.dataSync();
  const data = new Uint8Array(height * width * 3);
  for (let p = 0; p < height * width; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = src[p * channels + (channels === 3 ? ch : 0)]!;
      data[p * 3 + ch] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
  }
  return { data, width, height, channels: 3 };
}

/** Encodes an image tensor [H,W,1|3] in [0,1] as an 8-bit RGB PNG. */
export async function encodePng(rgb: tf.Tensor3D): Promise<Uint8Array> {
  return new Uint8Array(await encodeRgb(tensorToRgbImage(rgb), 'png'));
}
