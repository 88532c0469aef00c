/**
 * TEMPORARY shim: src/util/colormap.ts (`colourMapDisparity`, written on another branch) replaces this file; the
 * signature and contract are the same. Contract assumed by src/infer: [H, W] disparity in, [H, W, 3] float32 RGB in
 * [0, 1] out, magma-like, values normalised to [min, percentile-th percentile] (monodepth2 `test_simple`: vmax = the
 * 95th percentile) so a few near pixels do not wash the map out.
 */
import * as tf from '@tensorflow/tfjs-core';

// Nine stops of a magma-like ramp (black -> purple -> orange -> pale yellow), interpolated linearly.
const STOPS: ReadonlyArray<readonly [number, number, number]> = [
  [0.001, 0.0, 0.014], [0.078, 0.054, 0.211], [0.232, 0.06, 0.437], [0.39, 0.1, 0.502], [0.55, 0.161, 0.506],
  [0.716, 0.215, 0.475], [0.868, 0.288, 0.409], [0.967, 0.439, 0.36], [0.987, 0.991, 0.75],
];

export function colourMapDisparity(disp: tf.Tensor2D, opts: { percentile?: number } = {}): tf.Tensor3D {
  const [h, w] = disp.shape;
  const values = disp.dataSync() as Float32Array;
  const sorted = Float32Array.from(values).sort();
  const vmin = sorted[0] ?? 0;
  const vmax = sorted[Math.min(sorted.length - 1, Math.floor(((opts.percentile ?? 95) / 100) * (sorted.length - 1)))] ?? 1;
  const range = vmax > vmin ? vmax - vmin : 1;
  const out = new Float32Array(h * w * 3);
  for (let i = 0; i < values.length; i++) {
    const t = Math.min(Math.max((values[i]! - vmin) / range, 0), 1) * (STOPS.length - 1);
    const k = Math.min(Math.floor(t), STOPS.length - 2);
    const f = t - k;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = STOPS[k]![c]! * (1 - f) + STOPS[k + 1]![c]! * f;
  }
  return tf.tensor3d(out, [h, w, 3]);
}
