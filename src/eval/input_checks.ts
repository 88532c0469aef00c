/**
 * Checks that run before any metric: a wrong-shaped prediction or a broken GT must stop the evaluation, not be
 * resized or masked into a plausible number (a transposed 1242x375 prediction used to score abs_rel 0.82, exit 0).
 */
import type { PlaneMap } from './resize.js';

/**
 * How far the prediction's aspect ratio (W / H) may be from the GT's before it counts as a different picture.
 * The references resize network-size predictions to GT size: monodepth's 512x256 against KITTI's 1242x375 is a
 * factor 1.66, monodepth2's 640x192 a factor 1.007, NYU 224x224 against 640x480 a factor 1.33. A transposed or
 * cropped-wrong array is far outside (1242x375 vs 375x1242: factor 11).
 */
export const MAX_ASPECT_FACTOR = 2;

export interface PredictionGtCheck {
  predPath: string;
  /** Where the GT came from (file or folder), for messages. */
  gtWhere: string;
  /** Resize predictions of any aspect ratio (`eval --allow-resize`). */
  allowResize?: boolean;
}

/** Same count, compatible aspect ratios, finite GT: errors name the files, the image index and the pixel. */
export function checkPredictionsAgainstGt(preds: readonly PlaneMap[], gts: readonly PlaneMap[], check: PredictionGtCheck): void {
  const { predPath, gtWhere } = check;
  if (preds.length !== gts.length) {
    throw new Error(`${predPath}: holds ${preds.length} predictions but ${gtWhere} has ${gts.length} images; expected the same count in the same order`);
  }
  for (let i = 0; i < gts.length; i++) {
    const p = preds[i]!;
    const g = gts[i]!;
    const factor = p.width / p.height / (g.width / g.height);
    if (!check.allowResize && (factor > MAX_ASPECT_FACTOR || factor < 1 / MAX_ASPECT_FACTOR)) {
      throw new Error(
        `${predPath}: image ${i} is ${p.height}x${p.width} (H x W) but its GT in ${gtWhere} is ${g.height}x${g.width}: ` +
          `aspect ratios ${(p.width / p.height).toFixed(3)} vs ${(g.width / g.height).toFixed(3)} differ by more than ${MAX_ASPECT_FACTOR}x, ` +
          `so resizing would compare a different picture (transposed or wrongly cropped?); fix the array, or pass --allow-resize to resize anyway`,
      );
    }
    const bad = firstNonFinite(g.data);
    if (bad >= 0) {
      throw new Error(
        `${gtWhere}: GT image ${i} has ${g.data[bad]} at row ${Math.floor(bad / g.width)}, col ${bad % g.width}; ` +
          `expected finite values (0 marks an invalid pixel) — repair the GT or set those pixels to 0`,
      );
    }
  }
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k]!)) return k;
  return -1;
}
