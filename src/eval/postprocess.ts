/**
 * Flip post-processing of disparities (monodepth `post_process_disparity`, monodepth2
 * `batch_post_process_disparity`; ANCHORS §6.1).
 */
import type { PlaneMap } from './resize.js';

/**
 * d_pp = m_r * d + m_l * flip(d_flipped) + (1 - m_l - m_r) * (d + flip(d_flipped)) / 2 with, per column j,
 * l_j = linspace(0, 1, W)_j, m_l = 1 - clip(20 (l - 0.05), 0, 1), m_r = flip(m_l): the leftmost 5 % of columns
 * come from the flipped pass (whose left border saw real image content), the rightmost 5 % from the normal
 * pass, with linear ramps over 5-10 % and 90-95 %, and the centre averaged.
 * `disp` is the prediction on the image, `dispOfFlipped` the prediction on the horizontally flipped image
 * (NOT flipped back). Masks in float64 as numpy; the result is rounded to float32 as the references store it.
 */
export function postProcessDisparity(disp: PlaneMap, dispOfFlipped: PlaneMap): PlaneMap {
  const { height: h, width: w } = disp;
  if (dispOfFlipped.height !== h || dispOfFlipped.width !== w) {
    throw new Error(`postProcessDisparity: shapes differ (${h}x${w} vs ${dispOfFlipped.height}x${dispOfFlipped.width})`);
  }
  const leftMask = edgeRampLeftMask(w);
  // numpy adds two float32 maps in float32 before halving them
  const sumRound = disp.data instanceof Float32Array && dispOfFlipped.data instanceof Float32Array ? Math.fround : (v: number) => v;
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = disp.data[y * w + x]!;
      const flippedBack = dispOfFlipped.data[y * w + (w - 1 - x)]!;
      const ml = leftMask[x]!;
      const mr = leftMask[w - 1 - x]!;
      const mean = 0.5 * sumRound(d + flippedBack);
      out[y * w + x] = mr * d + ml * flippedBack + (1.0 - ml - mr) * mean;
    }
  }
  return { data: out, height: h, width: w };
}

/** m_l of {@link postProcessDisparity}: 1 - clip(20 (l - 0.05), 0, 1), l = numpy linspace(0, 1, W). */
export function edgeRampLeftMask(width: number): Float64Array {
  const mask = new Float64Array(width);
  const step = width > 1 ? 1 / (width - 1) : 0;
  for (let j = 0; j < width; j++) {
    const l = j === width - 1 && width > 1 ? 1 : j * step;
    mask[j] = 1 - Math.min(Math.max(20 * (l - 0.05), 0), 1);
  }
  return mask;
}
