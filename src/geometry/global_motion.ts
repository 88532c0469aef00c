/**
 * A cheap global motion estimate between two small grey images: the integer translation that minimises the mean absolute
 * difference over the overlap (exhaustive block matching), refined to sub-pixel by a parabola through the neighbouring
 * costs on each axis. Used to shift a video keyframe's deep features to the current frame (infer/keyframes.ts).
 */

export interface GreyImage {
  data: Float32Array;
  height: number;
  width: number;
}

export interface GlobalShift {
  /** current(x, y) ~ reference(x - dx, y - dy), in pixels of the given images. */
  dx: number;
  dy: number;
  /** Mean absolute difference at the integer optimum. */
  cost: number;
}

/** Mean |current(p) - reference(p - d)| over the pixels p of `current` whose p - d falls inside `reference`. */
function shiftCost(ref: GreyImage, cur: GreyImage, dx: number, dy: number): number {
  const { width: w, height: h } = cur;
  let sum = 0;
  let n = 0;
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const row = y * w;
    const refRow = (y - dy) * w;
    for (let x = Math.max(0, dx); x < Math.min(w, w + dx); x++) {
      sum += Math.abs(cur.data[row + x]! - ref.data[refRow + x - dx]!);
      n++;
    }
  }
  return n > 0 ? sum / n : Infinity;
}

/** Vertex offset in [-0.5, 0.5] of the parabola through (-1, a), (0, b), (1, c); 0 when it is not a minimum. */
function parabolaVertex(a: number, b: number, c: number): number {
  const curvature = a - 2 * b + c;
  if (!(curvature > 0) || !Number.isFinite(a) || !Number.isFinite(c)) return 0;
  return Math.max(-0.5, Math.min(0.5, (a - c) / (2 * curvature)));
}

/** The translation taking `reference` to `current` (same size), searched within +-maxShift pixels on each axis. */
export function estimateGlobalShift(reference: GreyImage, current: GreyImage, maxShift: number): GlobalShift {
  if (reference.width !== current.width || reference.height !== current.height) {
    throw new Error(`estimateGlobalShift: images differ in size (${reference.width}x${reference.height} vs ${current.width}x${current.height})`);
  }
  const r = Math.min(Math.floor(maxShift), Math.floor(current.width / 2), Math.floor(current.height / 2));
  if (!(r >= 1)) throw new Error(`estimateGlobalShift: maxShift must be >= 1 and below half the image size, got ${maxShift} for ${current.width}x${current.height}`);
  const side = 2 * r + 1;
  const costs = new Float64Array(side * side);
  let best = 0;
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const k = (dy + r) * side + (dx + r);
      costs[k] = shiftCost(reference, current, dx, dy);
      if (costs[k]! < costs[best]!) best = k;
    }
  }
  const by = Math.floor(best / side);
  const bx = best % side;
  const at = (y: number, x: number): number => (y >= 0 && y < side && x >= 0 && x < side ? costs[y * side + x]! : Infinity);
  return {
    dx: bx - r + parabolaVertex(at(by, bx - 1), costs[best]!, at(by, bx + 1)),
    dy: by - r + parabolaVertex(at(by - 1, bx), costs[best]!, at(by + 1, bx)),
    cost: costs[best]!,
  };
}
