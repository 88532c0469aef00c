import { DatasetError, type SplitLineRef } from './types.js';
import { readRequired } from './files.js';

/** A velodyne scan: N points of (x forward, y left, z up, reflectance), float32 row-major N x 4. */
export interface VelodyneScan {
  points: Float32Array;
  count: number;
}

/** Parses a KITTI velodyne `.bin` (float32 x4 little-endian); a length not divisible by 16 bytes is an error. */
export function parseVelodyne(bytes: Uint8Array, path = '<velodyne>', ref?: SplitLineRef): VelodyneScan {
  if (bytes.byteLength % 16 !== 0) {
    throw new DatasetError(`velodyne scan is ${bytes.byteLength} bytes: expected a multiple of 16 (float32 x, y, z, reflectance); truncated file?`, path, ref);
  }
  const copy = Uint8Array.prototype.slice.call(bytes); // Buffer.slice would be a view into a pooled buffer
  return { points: new Float32Array(copy.buffer, 0, copy.byteLength / 4), count: copy.byteLength / 16 };
}

export async function readVelodyne(path: string, ref?: SplitLineRef): Promise<VelodyneScan> {
  return parseVelodyne(await readRequired(path, 'velodyne scan', ref), path, ref);
}
