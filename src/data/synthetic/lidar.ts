/**
 * A 64-beam spinning lidar (Velodyne HDL-64E-like) sampled from the true scene geometry, so the KITTI
 * velodyne -> camera GT projection (monodepth2 `generate_depth_map`) is exercised on exact data.
 * Velodyne frame (KITTI): x forward, y left, z up. Points are float32 x, y, z, reflectance.
 */
import type { Scene } from './scene.js';
import { castRays } from './render.js';

export interface LidarModel {
  beams: number;
  /** Elevation of the lowest / highest beam (degrees); HDL-64E spans about -24.9 .. +2.0. */
  elevationMinDeg: number;
  elevationMaxDeg: number;
  /** Azimuth samples per revolution (HDL-64E at 10 Hz: ~2000-4000). */
  azimuthSteps: number;
  maxRange: number;
  /** Returns closer than this are dropped (the sensor's blind zone). */
  minRange: number;
}

export const HDL64: LidarModel = {
  beams: 64,
  elevationMinDeg: -24.9,
  elevationMaxDeg: 2.0,
  azimuthSteps: 2000,
  maxRange: 120,
  minRange: 2,
};

/**
 * Rotation taking velodyne coordinates to the synthetic camera axes (x right, y down, z forward):
 * x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo. This is the R of calib_velo_to_cam.txt.
 */
export const VELO_TO_CAM_ROTATION = [0, -1, 0, 0, 0, -1, 1, 0, 0];

/**
 * One full revolution from `origin` (world = camera axes). Returns float32 N x 4 (velodyne frame
 * x, y, z, reflectance) — rays without a return within [minRange, maxRange] are omitted, as a real scan does.
 */
export function scanLidar(scene: Scene, origin: [number, number, number], model: LidarModel = HDL64): Float32Array {
  const n = model.beams * model.azimuthSteps;
  const dirsCam = new Float32Array(n * 3);
  const dirsVelo = new Float32Array(n * 3);
  let k = 0;
  // Column-major (one azimuth column of all beams after another), as the sensor fires and as castRays bins.
  for (let a = 0; a < model.azimuthSteps; a++) {
    const az = (2 * Math.PI * a) / model.azimuthSteps;
    for (let b = 0; b < model.beams; b++) {
      const el = ((model.elevationMinDeg + ((model.elevationMaxDeg - model.elevationMinDeg) * b) / (model.beams - 1)) * Math.PI) / 180;
      const vx = Math.cos(el) * Math.cos(az);
      const vy = Math.cos(el) * Math.sin(az);
      const vz = Math.sin(el);
      dirsVelo[k * 3] = vx;
      dirsVelo[k * 3 + 1] = vy;
      dirsVelo[k * 3 + 2] = vz;
      dirsCam[k * 3] = -vy;
      dirsCam[k * 3 + 1] = -vz;
      dirsCam[k * 3 + 2] = vx;
      k++;
    }
  }
  const { range, albedo } = castRays(scene, origin, dirsCam, model.maxRange, model.azimuthSteps);
  let count = 0;
  for (let i = 0; i < n; i++) if (range[i]! >= model.minRange) count++;
  const points = new Float32Array(count * 4);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const r = range[i]!;
    if (r < model.minRange) continue;
    points[j * 4] = dirsVelo[i * 3]! * r;
    points[j * 4 + 1] = dirsVelo[i * 3 + 1]! * r;
    points[j * 4 + 2] = dirsVelo[i * 3 + 2]! * r;
    points[j * 4 + 3] = Math.min(0.99, albedo[i]!);
    j++;
  }
  return points;
}
