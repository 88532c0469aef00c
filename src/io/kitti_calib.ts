/**
 * KITTI calibration text files: lines `key: v1 v2 ...` (raw `calib_cam_to_cam.txt`, `calib_velo_to_cam.txt`) and the
 * object-benchmark format (`P0..P3`, `R0_rect`, `Tr_velo_to_cam`). Non-numeric lines (calib_time) are kept out of the map.
 */
import { DatasetError } from './types.js';
import { readRequired } from './files.js';

export type CalibMap = Map<string, number[]>;

/** Parses `key: numbers` lines; lines whose values are not all numbers (e.g. `calib_time: 09-Jan-2012`) are skipped. */
export function parseCalibText(text: string): CalibMap {
  const out: CalibMap = new Map();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const values = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(Number);
    if (values.length > 0 && values.every(Number.isFinite)) out.set(key, values);
  }
  return out;
}

/** Value of `key` with exactly `length` numbers, or a DatasetError naming the file and key. */
export function calibKey(calib: CalibMap, key: string, length: number, path: string): number[] {
  const v = calib.get(key);
  if (!v) throw new DatasetError(`calib file is missing key '${key}' (expected ${length} numbers); keys present: ${[...calib.keys()].join(', ')}`, path);
  if (v.length !== length) throw new DatasetError(`calib key '${key}' has ${v.length} numbers: expected ${length}`, path);
  return v;
}

export async function readCalibFile(path: string): Promise<CalibMap> {
  return parseCalibText((await readRequired(path, 'KITTI calib file')).toString('utf8'));
}

/**
 * The geometry monodepth2's `generate_depth_map` needs: rectified projection of camera `cam` (3x4 row-major),
 * rectifying rotation R_rect_00 (3x3) and the velodyne -> cam0 rigid transform (3x4 [R|T]).
 */
export interface VeloProjectionCalib {
  pRect: number[];
  rRect: number[];
  veloToCam: number[];
  /** Image size from S_rect_0c (width, height), when known. */
  width?: number;
  height?: number;
}

function rigid(R: number[], T: number[]): number[] {
  return [R[0]!, R[1]!, R[2]!, T[0]!, R[3]!, R[4]!, R[5]!, T[1]!, R[6]!, R[7]!, R[8]!, T[2]!];
}

/** Reads `<date>/calib_cam_to_cam.txt` + `calib_velo_to_cam.txt` (KITTI raw) for camera `cam` (2 left, 3 right). */
export async function readRawVeloCalib(calibDir: string, cam = 2): Promise<VeloProjectionCalib> {
  const c2cPath = `${calibDir}/calib_cam_to_cam.txt`;
  const v2cPath = `${calibDir}/calib_velo_to_cam.txt`;
  const c2c = await readCalibFile(c2cPath);
  const v2c = await readCalibFile(v2cPath);
  const size = calibKey(c2c, `S_rect_0${cam}`, 2, c2cPath);
  return {
    pRect: calibKey(c2c, `P_rect_0${cam}`, 12, c2cPath),
    rRect: calibKey(c2c, 'R_rect_00', 9, c2cPath),
    veloToCam: rigid(calibKey(v2c, 'R', 9, v2cPath), calibKey(v2c, 'T', 3, v2cPath)),
    width: Math.round(size[0]!),
    height: Math.round(size[1]!),
  };
}

/** Reads an object-benchmark calib (`training/calib/%06d.txt`): P{cam}, R0_rect, Tr_velo_to_cam. */
export async function readObjectVeloCalib(path: string, cam = 2): Promise<VeloProjectionCalib> {
  const c = await readCalibFile(path);
  return {
    pRect: calibKey(c, `P${cam}`, 12, path),
    rRect: calibKey(c, 'R0_rect', 9, path),
    veloToCam: calibKey(c, 'Tr_velo_to_cam', 12, path),
  };
}

/** Focal (px) and baseline (m) of a rectified stereo pair from two 3x4 projections. */
export interface StereoRig {
  focal: number;
  baseline: number;
  K: number[];
}

/**
 * monodepth v1 convention (`utils/evaluation_utils.py`, ANCHORS §5.1): with P = [fx 0 cx tx; ...] and tx = -fx * t,
 * b = P3[0,3] / -P3[0,0] - P2[0,3] / -P2[0,0] (~0.54 m on KITTI), f = P2[0,0]; K is P2's left 3x3.
 */
export function stereoRigFromProjections(pLeft: number[], pRight: number[]): StereoRig {
  const baseline = pRight[3]! / -pRight[0]! - pLeft[3]! / -pLeft[0]!;
  return { focal: pLeft[0]!, baseline, K: [pLeft[0]!, pLeft[1]!, pLeft[2]!, pLeft[4]!, pLeft[5]!, pLeft[6]!, pLeft[8]!, pLeft[9]!, pLeft[10]!] };
}

/** Focal/baseline/K of cameras 2 (left) and 3 (right) from a raw `calib_cam_to_cam.txt`. */
export async function readRawStereoRig(camToCamPath: string): Promise<StereoRig & { width: number; height: number }> {
  const c = await readCalibFile(camToCamPath);
  const rig = stereoRigFromProjections(calibKey(c, 'P_rect_02', 12, camToCamPath), calibKey(c, 'P_rect_03', 12, camToCamPath));
  const size = calibKey(c, 'S_rect_02', 2, camToCamPath);
  return { ...rig, width: Math.round(size[0]!), height: Math.round(size[1]!) };
}
