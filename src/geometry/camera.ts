/**
 * Camera maths: disparity <-> depth conventions, intrinsics scaling, monodepth2's BackprojectDepth / Project3D, stereo_T and
 * pose parameterisation. NHWC tensors; 4x4 matrices are [B,4,4] tensors or plain number[][] (row-major).
 */
import * as tf from '@tensorflow/tfjs-core';

import { gridSamplePlanes, sampleRowsAtPixels } from './sampler.js';

/**
 * monodepth2 `layers.disp_to_depth`: the network's sigmoid output is mapped to a disparity in [1/maxDepth, 1/minDepth]
 * (scaled sigmoid) and depth = 1 / scaledDisp. Defaults of the reference: minDepth 0.1, maxDepth 100.
 */
export function dispToDepth(disp: tf.Tensor, minDepth = 0.1, maxDepth = 100): { scaledDisp: tf.Tensor; depth: tf.Tensor } {
  if (!(minDepth > 0 && maxDepth > minDepth)) throw new Error(`dispToDepth: need 0 < minDepth < maxDepth, got ${minDepth}, ${maxDepth}`);
  return tf.tidy(() => {
    const minDisp = 1 / maxDepth;
    const maxDisp = 1 / minDepth;
    const scaledDisp = tf.add(minDisp, tf.mul(maxDisp - minDisp, disp));
    return { scaledDisp, depth: tf.div(1, scaledDisp) };
  });
}

/**
 * monodepth (v1) disparity as a fraction of image width -> metric depth: depth = focal_px * baseline / (disp * W).
 * `focalPx` in pixels at width `width`; `baseline` in metres. `eps` guards disp = 0.
 */
export function widthFractionDisparityToDepth(disp: tf.Tensor, focalPx: number, baseline: number, width: number, eps = 1e-7): tf.Tensor {
  return tf.tidy(() => tf.div(focalPx * baseline, tf.maximum(tf.mul(disp, width), eps)));
}

/** Inverse of {@link widthFractionDisparityToDepth}: disp = focal_px * baseline / (depth * W). */
export function depthToWidthFractionDisparity(depth: tf.Tensor, focalPx: number, baseline: number, width: number, eps = 1e-7): tf.Tensor {
  return tf.tidy(() => tf.div(focalPx * baseline / width, tf.maximum(depth, eps)));
}

export type Mat4 = number[][];

/**
 * Scales a width/height-normalised intrinsics matrix (monodepth2 convention: row 0 divided by width, row 1 by height) to a
 * pixel grid of width x height: K[0,:] *= width, K[1,:] *= height (`datasets/mono_dataset.py`, with width = W/2^s).
 */
export function scaleIntrinsics(normalisedK: Mat4, width: number, height: number): Mat4 {
  if (normalisedK.length !== 4 || normalisedK.some((r) => r.length !== 4)) throw new Error('scaleIntrinsics: K must be 4x4 (monodepth2 layout)');
  return normalisedK.map((row, i) => row.map((v) => (i === 0 ? v * width : i === 1 ? v * height : v)));
}

/** monodepth2's KITTI intrinsics, normalised by the full-res size 1242x375 (`datasets/kitti_dataset.py`). */
export const KITTI_NORMALISED_K: Mat4 = [
  [0.58, 0, 0.5, 0],
  [0, 1.92, 0.5, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/** Inverse of a 4x4 matrix in float64 (Gauss-Jordan with partial pivoting); equals numpy pinv for an invertible K. */
export function invertMat4(m: Mat4): Mat4 {
  const a = m.map((r, i) => [...r, ...[0, 1, 2, 3].map((j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12) throw new Error('invertMat4: matrix is singular');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const p = a[col][col];
    for (let j = 0; j < 8; j++) a[col][j] /= p;
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = a[r][col];
      for (let j = 0; j < 8; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((r) => r.slice(4));
}

/** Broadcasts a 4x4 matrix to a [B,4,4] tensor (or checks a given tensor's shape). */
export function batchMat4(m: Mat4 | tf.Tensor, batch: number): tf.Tensor3D {
  if (m instanceof tf.Tensor) {
    if (m.rank === 2) return tf.tile(tf.reshape(m, [1, 4, 4]), [batch, 1, 1]) as tf.Tensor3D;
    if (m.rank !== 3 || m.shape[1] !== 4 || m.shape[2] !== 4) throw new Error(`expected a [B,4,4] matrix tensor, got [${m.shape.join(',')}]`);
    return tf.clone(m) as tf.Tensor3D;
  }
  return tf.tile(tf.tensor3d(m.flat(), [1, 4, 4]), [batch, 1, 1]) as tf.Tensor3D;
}

/**
 * monodepth2 `BackprojectDepth`: camera points = depth * invK[:3,:3] @ [x, y, 1]^T for every pixel (x = column index,
 * y = row index), homogeneous -> [B, 4, H*W]. depth: [B,H,W,1]; invK: [B,4,4].
 */
export function backprojectDepth(depth: tf.Tensor4D, invK: tf.Tensor3D): tf.Tensor3D {
  const [b, h, w] = depth.shape;
  return tf.tidy(() => {
    const xs = tf.tile(tf.reshape(tf.range(0, w, 1, 'float32'), [1, w]), [h, 1]);
    const ys = tf.tile(tf.reshape(tf.range(0, h, 1, 'float32'), [h, 1]), [1, w]);
    const pix = tf.stack([tf.reshape(xs, [-1]), tf.reshape(ys, [-1]), tf.ones([h * w])]); // [3, HW]
    const rays = tf.matMul(tf.slice(invK, [0, 0, 0], [b, 3, 3]), tf.tile(tf.expandDims(pix, 0), [b, 1, 1])); // [B,3,HW]
    const cam = tf.mul(tf.reshape(depth, [b, 1, h * w]), rays);
    return tf.concat([cam, tf.ones([b, 1, h * w])], 1) as tf.Tensor3D;
  });
}

/** monodepth2 Project3D's eps, added to the projected depth before dividing. */
const PROJECT3D_EPS = 1e-7;

/**
 * Where `points` land in the source camera, in pixels: (P @ points)[:2] / ((P @ points)[2] + eps) with P = (K @ T)[:3], as
 * x and y planes [B,H,W]. points: [B,4,H*W]; K, T: [B,4,4].
 */
function projectToPixels(points: tf.Tensor3D, K: tf.Tensor3D, T: tf.Tensor3D, height: number, width: number, eps: number): [tf.Tensor3D, tf.Tensor3D] {
  const b = points.shape[0];
  const P = tf.slice(tf.matMul(K, T), [0, 0, 0], [b, 3, 4]);
  const cam = tf.matMul(P, points); // [B,3,HW]
  const xy = tf.div(tf.slice(cam, [0, 0, 0], [b, 2, -1]), tf.add(tf.slice(cam, [0, 2, 0], [b, 1, -1]), eps));
  const plane = (i: number): tf.Tensor3D => tf.reshape(tf.slice(xy, [0, i, 0], [b, 1, -1]), [b, height, width]);
  return [plane(0), plane(1)];
}

/** A pixel coordinate normalised for grid_sample as monodepth2 writes it: (p / (size-1) - 0.5) * 2. */
function normaliseForGrid(p: tf.Tensor3D, size: number): tf.Tensor3D {
  // torch divides in place; p / (size-1) in float32 equals p * (1/(size-1)) only up to 1 ulp, so divide explicitly.
  return tf.mul(tf.sub(tf.div(p, size - 1), 0.5), 2);
}

/**
 * monodepth2 `Project3D`: P = (K @ T)[:3]; pixel = (P @ points)[:2] / ((P @ points)[2] + eps), eps = 1e-7; then normalised
 * for grid_sample as (x / (W-1) - 0.5) * 2, (y / (H-1) - 0.5) * 2 (the align_corners=True normalisation, as written).
 * Returns the grid [B,H,W,2] (last dim = x, y). points: [B,4,H*W]; K, T: [B,4,4].
 */
export function project3d(points: tf.Tensor3D, K: tf.Tensor3D, T: tf.Tensor3D, height: number, width: number, eps = PROJECT3D_EPS): tf.Tensor4D {
  return tf.tidy(() => {
    const [x, y] = projectToPixels(points, K, T, height, width, eps);
    return tf.stack([normaliseForGrid(x, width), normaliseForGrid(y, height)], 3) as tf.Tensor4D;
  });
}

/**
 * monodepth2 stereo extrinsics (`datasets/mono_dataset.py`): identity with t_x = sideSign * baselineSign * baseline,
 * sideSign = -1 when the target is the left image, baselineSign = -1 when the pair was flipped; baseline = 0.1 in the
 * reference (KITTI depth then comes out in units of 0.54/0.1 = 5.4 m).
 */
export function stereoTransform(targetSide: 'l' | 'r', flipped = false, baseline = 0.1): Mat4 {
  const tx = (targetSide === 'l' ? -1 : 1) * (flipped ? -1 : 1) * baseline;
  return [
    [1, 0, 0, tx],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
}

/** True when T is a pure x-translation (identity rotation, t_y = t_z = 0): the stereo warp then only mixes within rows. */
export function isPureXTranslation(T: Mat4): boolean {
  const id = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  return id.every((r, i) => r.every((v, j) => T[i][j] === v)) && T[1][3] === 0 && T[2][3] === 0 && T[3].join() === '0,0,0,1';
}

/**
 * Warps `source` into the target view given target depth, K (pixels, [B,4,4]), invK and T (target -> source camera), i.e.
 * monodepth2 `generate_images_pred`: grid = Project3D(BackprojectDepth(depth, invK), K, T), then grid_sample.
 * `horizontalFastPath` (only valid with alignCorners true and padding 'border' for a pure x-translation T): samples with
 * the 1-D row sampler at the projected pixel x instead of a 2-D gather (rows are not mixed since projected y = y).
 */
export function warpByDepth(
  source: tf.Tensor4D,
  depth: tf.Tensor4D,
  K: tf.Tensor3D,
  invK: tf.Tensor3D,
  T: tf.Tensor3D,
  options: { alignCorners: boolean; padding?: 'border' | 'zeros'; horizontalFastPath?: boolean; imageGradient?: boolean },
): { warped: tf.Tensor4D } {
  const [, h, w] = depth.shape;
  return tf.tidy(() => {
    // The grid's x and y stay separate planes (project3d's grid, without stacking it only for the sampler to split it:
    // on tensorflow the [B,H,W,2] transpose and the broadcast division cost ~10 ms per step at 96x320).
    const [px, py] = projectToPixels(backprojectDepth(depth, invK), K, T, h, w, PROJECT3D_EPS);
    const gx = normaliseForGrid(px, w);
    const padding = options.padding ?? 'border';
    if (options.horizontalFastPath) {
      if (!options.alignCorners || padding !== 'border') throw new Error('warpByDepth: horizontalFastPath requires alignCorners true and padding border');
      const xSrc = tf.mul(tf.add(gx, 1), (w - 1) / 2) as tf.Tensor3D;
      return { warped: sampleRowsAtPixels(source, xSrc, 'edge', options.imageGradient ?? true) };
    }
    const gy = normaliseForGrid(py, h);
    return { warped: gridSamplePlanes(source, gx, gy, { alignCorners: options.alignCorners, padding, imageGradient: options.imageGradient ?? true }) };
  });
}

/**
 * monodepth2 `layers.rot_from_axisangle`: axis-angle [B,3] -> rotation [B,4,4] (Rodrigues; angle = |v|, axis = v/(|v|+1e-7)).
 */
export function rotationFromAxisAngle(axisAngle: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const b = axisAngle.shape[0];
    const angle = tf.norm(axisAngle, 'euclidean', 1, true); // [B,1]
    const axis = tf.div(axisAngle, tf.add(angle, 1e-7));
    const ca = tf.cos(angle);
    const sa = tf.sin(angle);
    const C = tf.sub(1, ca);
    const [x, y, z] = tf.split(axis, 3, 1);
    const xs = tf.mul(x, sa), ys = tf.mul(y, sa), zs = tf.mul(z, sa);
    const xC = tf.mul(x, C), yC = tf.mul(y, C), zC = tf.mul(z, C);
    const xyC = tf.mul(x, yC), yzC = tf.mul(y, zC), zxC = tf.mul(z, xC);
    const zero = tf.zeros([b, 1]);
    const one = tf.ones([b, 1]);
    const rows = [
      [tf.add(tf.mul(x, xC), ca), tf.sub(xyC, zs), tf.add(zxC, ys), zero],
      [tf.add(xyC, zs), tf.add(tf.mul(y, yC), ca), tf.sub(yzC, xs), zero],
      [tf.sub(zxC, ys), tf.add(yzC, xs), tf.add(tf.mul(z, zC), ca), zero],
      [zero, zero, zero, one],
    ];
    return tf.reshape(tf.concat(rows.flat(), 1), [b, 4, 4]) as tf.Tensor3D;
  });
}

/**
 * monodepth2 `layers.transformation_from_parameters`: M = T(t) @ R (or R^T @ T(-t) when invert), axisAngle/translation [B,3].
 */
export function transformationFromParameters(axisAngle: tf.Tensor2D, translation: tf.Tensor2D, invert = false): tf.Tensor3D {
  return tf.tidy(() => {
    const b = axisAngle.shape[0];
    let R = rotationFromAxisAngle(axisAngle);
    let t = translation;
    if (invert) {
      R = tf.transpose(R, [0, 2, 1]);
      t = tf.neg(t);
    }
    const eye3 = tf.tile(tf.expandDims(tf.slice(tf.eye(4, 4), [0, 0], [4, 3]), 0), [b, 1, 1]); // [B,4,3]
    const tcol = tf.concat([t, tf.ones([b, 1])], 1); // [B,4]
    const Tm = tf.concat([eye3, tf.expandDims(tcol, 2)], 2);
    return (invert ? tf.matMul(R, Tm) : tf.matMul(Tm, R)) as tf.Tensor3D;
  });
}
