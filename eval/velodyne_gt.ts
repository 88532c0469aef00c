/**
 * KITTI velodyne scan -> sparse GT depth map with monodepth2's `kitti_utils.generate_depth_map` conventions
 * (as `export_gt_depth.py` calls it: camera 2, vel_depth = True), for `stereodepth export-gt`.
 *
 * Why here: src/data/velodyne_depth.ts (the data engineer's generateDepthMap) had not landed when export-gt was
 * written; switch export-gt to it once it exists and delete this file if the two agree on the golden test.
 *
 * Conventions: P = P_rect_0c * R_rect_00 * [R|T]_velo->cam (float64); points with velodyne x < 0 dropped;
 * (u, v) = (P X)_{0,1} / (P X)_2; depth value = velodyne x (forward) when velDepth, else camera z;
 * pixel = round(u) - 1, round(v) - 1 with numpy's half-to-even rounding; out-of-image points dropped; duplicates
 * grouped by monodepth2's `sub2ind` (row * (W - 1) + col - 1, which also merges (r, W-1) with (r+1, 0)) and the
 * group minimum written at the first point's pixel; other pixels keep the last point written; negatives -> 0.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseKittiCalibText } from './kitti_calib.js';
import type { PlaneMap } from './resize.js';

/** numpy.round: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function calibValues(calib: Map<string, number[]>, key: string, count: number, path: string): number[] {
  const v = calib.get(key);
  if (!v || v.length !== count) throw new Error(`${path}: key ${key} missing or not ${count} values`);
  return v;
}

/** Reads a KITTI velodyne .bin (float32 N x 4: x forward, y left, z up, reflectance). */
export function readVelodyneBin(path: string): Float32Array {
  if (!existsSync(path)) throw new Error(`${path}: velodyne scan not found`);
  const buf = readFileSync(path);
  if (buf.byteLength % 16 !== 0) throw new Error(`${path}: ${buf.byteLength} bytes is not a multiple of 16 (float32 x 4 per point)`);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** GT depth of camera `cam` (2 or 3) from a velodyne scan and the drive date's calibration folder. */
export function velodyneToDepthMap(calibDir: string, points: Float32Array, cam = 2, velDepth = true): PlaneMap {
  const c2cPath = join(calibDir, 'calib_cam_to_cam.txt');
  const v2cPath = join(calibDir, 'calib_velo_to_cam.txt');
  if (!existsSync(c2cPath) || !existsSync(v2cPath)) throw new Error(`${calibDir}: calib_cam_to_cam.txt / calib_velo_to_cam.txt not found`);
  const c2c = parseKittiCalibText(readFileSync(c2cPath, 'utf8'));
  const v2c = parseKittiCalibText(readFileSync(v2cPath, 'utf8'));
  const size = calibValues(c2c, 'S_rect_02', 2, c2cPath);
  const width = Math.trunc(size[0]!);
  const height = Math.trunc(size[1]!);
  const R = calibValues(v2c, 'R', 9, v2cPath);
  const T = calibValues(v2c, 'T', 3, v2cPath);
  const Rrect = calibValues(c2c, 'R_rect_00', 9, c2cPath);
  const P = calibValues(c2c, `P_rect_0${cam}`, 12, c2cPath);
  // velo2cam 4x4, R_cam2rect 4x4, P 3x4 -> P * Rrect4 * velo2cam (3x4), float64
  const V = [R[0]!, R[1]!, R[2]!, T[0]!, R[3]!, R[4]!, R[5]!, T[1]!, R[6]!, R[7]!, R[8]!, T[2]!, 0, 0, 0, 1];
  const Rr = [Rrect[0]!, Rrect[1]!, Rrect[2]!, 0, Rrect[3]!, Rrect[4]!, Rrect[5]!, 0, Rrect[6]!, Rrect[7]!, Rrect[8]!, 0, 0, 0, 0, 1];
  const PR = new Array<number>(12).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) PR[i * 4 + j]! += P[i * 4 + k]! * Rr[k * 4 + j]!;
  const M = new Array<number>(12).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) M[i * 4 + j]! += PR[i * 4 + k]! * V[k * 4 + j]!;
  const depth = new Float64Array(height * width);
  const groups = new Map<number, { x: number; y: number; min: number; count: number }>();
  const n = points.length / 4;
  for (let p = 0; p < n; p++) {
    const x = points[4 * p]!;
    const y = points[4 * p + 1]!;
    const z = points[4 * p + 2]!;
    if (!(x >= 0)) continue;
    const w = M[8]! * x + M[9]! * y + M[10]! * z + M[11]!;
    const u = (M[0]! * x + M[1]! * y + M[2]! * z + M[3]!) / w;
    const v = (M[4]! * x + M[5]! * y + M[6]! * z + M[7]!) / w;
    const d = velDepth ? x : w;
    const col = roundHalfEven(u) - 1;
    const row = roundHalfEven(v) - 1;
    if (!(col >= 0 && row >= 0 && col < width && row < height)) continue;
    depth[row * width + col] = d;
    const key = row * (width - 1) + col - 1;
    const g = groups.get(key);
    if (g) {
      g.count++;
      if (d < g.min) g.min = d;
    } else groups.set(key, { x: col, y: row, min: d, count: 1 });
  }
  for (const g of groups.values()) if (g.count > 1) depth[g.y * width + g.x] = g.min;
  const out = new Float32Array(height * width);
  for (let i = 0; i < out.length; i++) out[i] = depth[i]! < 0 ? 0 : depth[i]!;
  return { data: out, height, width };
}
