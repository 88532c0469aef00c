/** KITTI raw calibration files (calib_cam_to_cam, calib_velo_to_cam, calib_imu_to_velo) consistent with a synthetic rig. */
import { kittiLine } from './formats.js';
import { VELO_TO_CAM_ROTATION } from './lidar.js';
import type { StereoRig } from './scene.js';

/** calib_cam_to_cam.txt with rectified cameras 00..03 consistent with the rig (cam2 = rendered left, cam3 = right). */
export function kittiCamToCam(rig: StereoRig): string {
  const { fx, fy, cx, cy, baseline, width, height } = rig;
  // Camera centres along x relative to cam0, as in the real rig: cam2 6 cm left of cam0, cam3 = cam2 + baseline.
  const centre = { '00': 0, '01': 0.54, '02': -0.06, '03': -0.06 + baseline };
  // KITTI's P_rect / K use MATLAB 1-based pixel coordinates (monodepth2's generate_depth_map subtracts 1 after
  // rounding), while the renderer's cx, cy are 0-based pixel centres: the files carry cx + 1, cy + 1.
  const cx1 = cx + 1;
  const cy1 = cy + 1;
  const lines = ['calib_time: 01-Jan-2099 00:00:00', kittiLine('corner_dist', [0.0995])];
  for (const cam of ['00', '01', '02', '03'] as const) {
    const cxm = centre[cam];
    lines.push(
      kittiLine(`S_${cam}`, [width, height]),
      kittiLine(`K_${cam}`, [fx, 0, cx1, 0, fy, cy1, 0, 0, 1]),
      kittiLine(`D_${cam}`, [0, 0, 0, 0, 0]),
      kittiLine(`R_${cam}`, [1, 0, 0, 0, 1, 0, 0, 0, 1]),
      kittiLine(`T_${cam}`, [-cxm, 0, 0]),
      kittiLine(`S_rect_${cam}`, [width, height]),
      kittiLine(`R_rect_${cam}`, [1, 0, 0, 0, 1, 0, 0, 0, 1]),
      // P_rect = K [I | -c]: the x translation is -fx * centre (P_rect_03[0,3] / -fx - P_rect_02[0,3] / -fx = baseline).
      kittiLine(`P_rect_${cam}`, [fx, 0, cx1, -fx * cxm, 0, fy, cy1, 0, 0, 0, 1, 0]),
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Velodyne origin relative to cam0 (camera axes): 8 cm above, in the camera plane (z offset 0), so monodepth2's
 * `vel_depth` (depth = velodyne x) equals the camera z exactly.
 */
export const VELO_IN_CAM0: [number, number, number] = [0, -0.08, 0];

export function kittiVeloToCam(): string {
  return [
    'calib_time: 01-Jan-2099 00:00:00',
    kittiLine('R', VELO_TO_CAM_ROTATION),
    kittiLine('T', VELO_IN_CAM0),
    kittiLine('delta_f', [0, 0]),
    kittiLine('delta_c', [0, 0]),
  ].join('\n') + '\n';
}

export function kittiImuToVelo(): string {
  return ['calib_time: 01-Jan-2099 00:00:00', kittiLine('R', [1, 0, 0, 0, 1, 0, 0, 0, 1]), kittiLine('T', [-0.81, 0.32, -0.8])].join('\n') + '\n';
}

