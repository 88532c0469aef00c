/**
 * Evaluation crops and validity masks of the KITTI protocols (ANCHORS §6.1).
 */

/** Half-open pixel box [top, bottom) x [left, right). */
export interface CropBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export type CropName = 'garg' | 'eigen' | 'none';

/**
 * Garg crop (monodepth `evaluate_kitti.py`, monodepth2 `evaluate_depth.py`): rows [0.40810811 H, 0.99189189 H),
 * cols [0.03594771 W, 0.96405229 W); Eigen crop (monodepth only): rows [0.3324324 H, 0.91351351 H), cols
 * [0.0359477 W, 0.96405229 W). Bounds are float64 products truncated toward zero like numpy `.astype(np.int32)`.
 * 375x1242 -> Garg rows 153..371, cols 44..1197.
 */
export function cropBox(name: CropName, height: number, width: number): CropBox {
  switch (name) {
    case 'garg':
      return {
        top: Math.trunc(0.40810811 * height),
        bottom: Math.trunc(0.99189189 * height),
        left: Math.trunc(0.03594771 * width),
        right: Math.trunc(0.96405229 * width),
      };
    case 'eigen':
      return {
        top: Math.trunc(0.3324324 * height),
        bottom: Math.trunc(0.91351351 * height),
        left: Math.trunc(0.0359477 * width),
        right: Math.trunc(0.96405229 * width),
      };
    case 'none':
      return { top: 0, bottom: height, left: 0, right: width };
    default:
      throw new Error(`cropBox: unknown crop '${String(name)}'; expected garg, eigen or none`);
  }
}

/** How the valid-GT mask is formed. */
export type GtMaskRule = { kind: 'range'; min: number; max: number; maxInclusive?: boolean } | { kind: 'positive' };

/**
 * Indices of the pixels that are evaluated: inside the crop and valid by the GT rule
 * ('range': min < gt < max, or min < gt <= max with maxInclusive as DistDepth; 'positive': gt > 0).
 * Row-major order, as numpy boolean indexing returns them.
 */
export function validIndices(gt: ArrayLike<number>, height: number, width: number, rule: GtMaskRule, crop: CropBox): Int32Array {
  if (gt.length !== height * width) {
    throw new Error(`validIndices: gt has ${gt.length} values, expected ${height}x${width} = ${height * width}`);
  }
  const idx: number[] = [];
  for (let y = crop.top; y < crop.bottom; y++) {
    for (let x = crop.left; x < crop.right; x++) {
      const i = y * width + x;
      const g = gt[i]!;
      let ok: boolean;
      if (rule.kind === 'positive') ok = g > 0;
      else ok = g > rule.min && (rule.maxInclusive ? g <= rule.max : g < rule.max);
      if (ok) idx.push(i);
    }
  }
  return Int32Array.from(idx);
}
