/**
 * The two numbers eval needs from a KITTI raw calibration: focal and stereo baseline of camera 2
 * (monodepth `evaluation_utils.get_focal_length_baseline`). The full calibration reader belongs to src/io.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Parses `key: v1 v2 ...` lines of a KITTI calib file into float arrays (non-numeric lines are skipped). */
export function parseKittiCalibText(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const values = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (values.length > 0 && values.every((v) => Number.isFinite(v))) out.set(line.slice(0, colon).trim(), values);
  }
  return out;
}

/**
 * focal = P_rect_02[0,0]; baseline = P_rect_03[0,3] / -P_rect_03[0,0] - P_rect_02[0,3] / -P_rect_02[0,0] (metres,
 * about 0.54 on KITTI), from `<calibDir>/calib_cam_to_cam.txt`.
 */
export function kittiFocalBaseline(calibDir: string): { focal: number; baseline: number } {
  const path = join(calibDir, 'calib_cam_to_cam.txt');
  if (!existsSync(path)) throw new Error(`${path}: KITTI calibration not found (needed for focal and baseline)`);
  const calib = parseKittiCalibText(readFileSync(path, 'utf8'));
  const p2 = calib.get('P_rect_02');
  const p3 = calib.get('P_rect_03');
  if (!p2 || p2.length !== 12 || !p3 || p3.length !== 12) {
    throw new Error(`${path}: expected keys P_rect_02 and P_rect_03 with 12 values each`);
  }
  const b2 = p2[3]! / -p2[0]!;
  const b3 = p3[3]! / -p3[0]!;
  return { focal: p2[0]!, baseline: b3 - b2 };
}
