/**
 * Velodyne -> sparse depth map with the conventions of monodepth2 `kitti_utils.generate_depth_map` (same in monodepth v1),
 * ANCHORS §5.1: P = P_rect_0c · R_rect_00 · [R|T]_velo->cam0; points with velodyne x < 0 (behind) are dropped; the stored
 * depth is the velodyne x (forward) when velDepth, else the projected camera z; pixel = round(u) - 1, round(v) - 1 with
 * numpy's round-half-to-even (KITTI's MATLAB 1-based convention); in-bounds only; on duplicate pixels the minimum depth
 * wins (with monodepth2's sub2ind quirk, see projectVelodyneToDepth); negative depths become 0. 0 = no point.
 */
import type { FloatMap } from './types.js';
import { readObjectVeloCalib, readRawVeloCalib, type VeloProjectionCalib } from '../io/kitti_calib.js';
import { readVelodyne } from '../io/velodyne.js';

/** numpy.round for .5 cases: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Multiplies row-major a (m x k) by b (k x n). */
function matmul(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * n + j]!;
    out[i * n + j] = s;
  }
  return out;
}

/** The 3x4 velodyne -> image projection P_rect · R_rect(4x4) · [R|T](4x4), in float64. */
export function veloToImageProjection(calib: VeloProjectionCalib): number[] {
  const r = calib.rRect;
  const rRect4 = [r[0]!, r[1]!, r[2]!, 0, r[3]!, r[4]!, r[5]!, 0, r[6]!, r[7]!, r[8]!, 0, 0, 0, 0, 1];
  const v2c4 = [...calib.veloToCam, 0, 0, 0, 1];
  return matmul(matmul(calib.pRect, rRect4, 3, 4, 4), v2c4, 3, 4, 4);
}

/**
 * Pure projection of velodyne points (N x 4 float32) to a (height x width) depth map, replicating monodepth2 exactly:
 * every in-bounds point is written in file order (the last one wins), then duplicates are grouped by monodepth2's
 * `sub2ind` = row * (W - 1) + col - 1 (its (W - 1) also merges pixel (r, W-1) with (r+1, 0)) and each group's minimum
 * depth is written at the pixel of the group's first point. For ordinary duplicates this is "min depth per pixel".
 */
export function projectVelodyneToDepth(points: Float32Array, calib: VeloProjectionCalib, width: number, height: number, velDepth = true): FloatMap {
  const P = veloToImageProjection(calib);
  const depth = new Float32Array(width * height);
  const n = Math.floor(points.length / 4);
  // per sub2ind group: pixel of its first point, running minimum, member count
  const groups = new Map<number, { pixel: number; min: number; count: number }>();
  for (let i = 0; i < n; i++) {
    const x = points[4 * i]!, y = points[4 * i + 1]!, z = points[4 * i + 2]!;
    if (!(x >= 0)) continue;
    // monodepth2 sets the 4th (reflectance) column to 1 to use it as the homogeneous coordinate
    const px = P[0]! * x + P[1]! * y + P[2]! * z + P[3]!;
    const py = P[4]! * x + P[5]! * y + P[6]! * z + P[7]!;
    const pz = P[8]! * x + P[9]! * y + P[10]! * z + P[11]!;
    const u = roundHalfEven(px / pz) - 1;
    const v = roundHalfEven(py / pz) - 1;
    if (!(u >= 0 && v >= 0 && u < width && v < height)) continue;
    const d = velDepth ? x : pz;
    const pixel = v * width + u;
    depth[pixel] = d;
    const key = v * (width - 1) + u - 1;
    const g = groups.get(key);
    if (g) { g.count++; if (d < g.min) g.min = d; } else groups.set(key, { pixel, min: d, count: 1 });
  }
  for (const g of groups.values()) if (g.count > 1) depth[g.pixel] = g.min;
  for (let k = 0; k < depth.length; k++) if (depth[k]! < 0) depth[k] = 0;
  return { data: depth, width, height };
}

/**
 * KITTI raw: `calibDir` is `<data>/<date>` holding calib_cam_to_cam.txt and calib_velo_to_cam.txt; the map has the
 * size S_rect_0c of camera `cam` (2 = left, 3 = right).
 */
export async function generateDepthMap(calibDir: string, veloPath: string, cam = 2, velDepth = true): Promise<FloatMap> {
  const calib = await readRawVeloCalib(calibDir, cam);
  const scan = await readVelodyne(veloPath);
  return projectVelodyneToDepth(scan.points, calib, calib.width!, calib.height!, velDepth);
}

/** KITTI object benchmark: calib `training/calib/%06d.txt`; the image size must be given (it is not in that calib). */
export async function generateDepthMapObject(calibPath: string, veloPath: string, width: number, height: number, cam = 2, velDepth = true): Promise<FloatMap> {
  const calib = await readObjectVeloCalib(calibPath, cam);
  const scan = await readVelodyne(veloPath);
  return projectVelodyneToDepth(scan.points, calib, width, height, velDepth);
}
