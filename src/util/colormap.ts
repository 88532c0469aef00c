/**
 * Colour-mapped disparity for logging and previews: the magma colour map, normalised like monodepth2's
 * visualisation (vmin = the map's minimum, vmax = its 95th percentile, values above vmax saturate), and the
 * float-tensor -> 8-bit RGB -> PNG conversion TensorBoard images need.
 */
import * as tf from '@tensorflow/tfjs-core';

import { quantile } from './quantile.js';

/**
 * Magma sampled every 16 entries of its 256-entry table (BIDS/matplotlib, CC0), as [position in [0,1], r, g, b].
 * Linear interpolation between these 17 points stays within ~0.01 of the full table, invisible in a preview.
 */
const MAGMA_CONTROL_POINTS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0 / 255, 0.0015, 0.0005, 0.0139],
  [16 / 255, 0.0396, 0.0311, 0.1335],
  [32 / 255, 0.1131, 0.0655, 0.2768],
  [48 / 255, 0.2117, 0.062, 0.4186],
  [64 / 255, 0.3167, 0.0717, 0.4854],
  [80 / 255, 0.4147, 0.1104, 0.5047],
  [96 / 255, 0.5128, 0.1482, 0.5076],
  [112 / 255, 0.6136, 0.1818, 0.4985],
  [128 / 255, 0.7164, 0.215, 0.4753],
  [144 / 255, 0.8169, 0.2559, 0.4365],
  [160 / 255, 0.9043, 0.3196, 0.3881],
  [176 / 255, 0.9609, 0.4183, 0.3596],
  [192 / 255, 0.9867, 0.5356, 0.3822],
  [208 / 255, 0.9961, 0.6537, 0.4462],
  [224 / 255, 0.9969, 0.7696, 0.5349],
  [240 / 255, 0.9924, 0.8843, 0.6401],
  [255 / 255, 0.9871, 0.9914, 0.7495],
];

/** Number of entries of a colour lookup table (as matplotlib's default N). */
export const COLOUR_MAP_SIZE = 256;

/** Builds a [size * 3] RGB lookup table by linear interpolation between control points sorted by position. */
export function lutFromControlPoints(points: ReadonlyArray<readonly [number, number, number, number]>, size = COLOUR_MAP_SIZE): Float32Array {
  const lut = new Float32Array(size * 3);
  let seg = 0;
  for (let i = 0; i < size; i++) {
    const t = i / (size - 1);
    while (seg < points.length - 2 && t > points[seg + 1]![0]) seg++;
    const [t0, r0, g0, b0] = points[seg]!;
    const [t1, r1, g1, b1] = points[seg + 1]!;
    const a = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    lut[i * 3] = r0 + (r1 - r0) * a;
    lut[i * 3 + 1] = g0 + (g1 - g0) * a;
    lut[i * 3 + 2] = b0 + (b1 - b0) * a;
  }
  return lut;
}

/** The magma lookup table, [256 * 3] RGB in [0,1]. */
export const MAGMA_LUT: Float32Array = lutFromControlPoints(MAGMA_CONTROL_POINTS);

export interface ColourMapOptions {
  /** Upper end of the colour range; default the `percentile`-th percentile of the map (monodepth2: 95). */
  vmax?: number;
  /** Percentile (0..100) that sets vmax when vmax is not given. Default 95. */
  percentile?: number;
  /** Lower end of the colour range; default the map's minimum (as monodepth2). */
  vmin?: number;
}

/**
 * Colours a disparity map [H,W] or [H,W,1] with magma: x -> (x - vmin) / (vmax - vmin), clipped to [0,1], looked up
 * in the 256-entry table as matplotlib does (index floor(x * 256), top clamped). Returns [H,W,3] in [0,1].
 * Non-finite values take the lowest colour.
 */
export function colourMapDisparity(disp: tf.Tensor2D | tf.Tensor3D, opts: ColourMapOptions = {}): tf.Tensor3D {
  const [h, w, c = 1] = disp.shape;
  if (c !== 1) throw new Error(`colourMapDisparity: expected a [H,W] or [H,W,1] map, got shape [${disp.shape.join(',')}]`);
  const values = disp.dataSync();
  const finite = Array.from(values).filter(Number.isFinite);
  const vmin = opts.vmin ?? (finite.length > 0 ? finite.reduce((m, v) => Math.min(m, v), Infinity) : 0);
  const vmax = opts.vmax ?? (finite.length > 0 ? quantile(finite, (opts.percentile ?? 95) / 100) : 1);
  const range = vmax - vmin;
  const out = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const v = values[i]!;
    const x = range > 0 && Number.isFinite(v) ? (v - vmin) / range : 0;
    const k = Math.min(COLOUR_MAP_SIZE - 1, Math.max(0, Math.floor(x * COLOUR_MAP_SIZE))) * 3;
    out[i * 3] = MAGMA_LUT[k]!;
    out[i * 3 + 1] = MAGMA_LUT[k + 1]!;
    out[i * 3 + 2] = MAGMA_LUT[k + 2]!;
  }
  return tf.tensor3d(out, [h, w, 3]);
}
