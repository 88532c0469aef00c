/**
 * Prediction resizing exactly as the references do it, on single-channel row-major maps.
 */

/** A dense single-channel map, row-major. */
export interface PlaneMap {
  data: Float32Array | Float64Array;
  height: number;
  width: number;
}

/** Which arithmetic the resize emulates: float32 (cv2 on a float32 image) or exact float64. */
export type ResizeArithmetic = 'float32' | 'float64';

interface LinearTaps {
  index0: Int32Array;
  index1: Int32Array;
  weight0: Float64Array;
  weight1: Float64Array;
}

/**
 * Source taps of cv2 INTER_LINEAR along one axis (OpenCV imgproc `resize.cpp`, resizeGeneric set-up):
 * scale = 1 / (dst/src) in double, f = float((d + 0.5) * scale - 0.5), s = floor(f), f -= s (float).
 * Columns clamp at the borders (s < 0 -> s = 0, f = 0; s >= src-1 -> s = src-1, f = 0); rows keep f and
 * clamp the row INDICES instead (so a border row is blended with itself), which is what `clip(sy, 0, H)` does.
 * Weights are (1 - f, f) in float32.
 */
function linearTaps(src: number, dst: number, axis: 'x' | 'y', f32: boolean): LinearTaps {
  const round = f32 ? Math.fround : (v: number) => v;
  const scale = 1 / (dst / src);
  const taps: LinearTaps = {
    index0: new Int32Array(dst),
    index1: new Int32Array(dst),
    weight0: new Float64Array(dst),
    weight1: new Float64Array(dst),
  };
  for (let d = 0; d < dst; d++) {
    let f = round((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = round(f - s);
    let s1 = s + 1;
    if (axis === 'x') {
      if (s < 0) {
        f = 0;
        s = 0;
        s1 = 0;
      }
      if (s >= src - 1) {
        f = 0;
        s = src - 1;
        s1 = src - 1;
      }
    } else {
      s = Math.min(Math.max(s, 0), src - 1);
      s1 = Math.min(Math.max(s1, 0), src - 1);
    }
    taps.index0[d] = s;
    taps.index1[d] = s1;
    taps.weight0[d] = round(1 - f);
    taps.weight1[d] = f;
  }
  return taps;
}

/**
 * cv2.resize(src, (W, H), interpolation=INTER_LINEAR) for a float32 single-channel image: half-pixel centres,
 * border clamp, horizontal pass then vertical pass, each `a*w0 + b*w1` rounded to float32 after every
 * multiply and add (cv2 computes float32 images in float arithmetic). Same size returns a copy, as cv2 does.
 * 'float64' skips the float32 rounding (for checking how much it matters).
 */
export function resizeBilinearCv2(
  src: PlaneMap,
  height: number,
  width: number,
  arithmetic: ResizeArithmetic = 'float32',
): PlaneMap {
  if (!(height > 0 && width > 0)) throw new Error(`resizeBilinearCv2: target size ${height}x${width} must be positive`);
  const f32 = arithmetic === 'float32';
  const round = f32 ? Math.fround : (v: number) => v;
  const out = f32 ? new Float32Array(height * width) : new Float64Array(height * width);
  if (height === src.height && width === src.width) {
    out.set(src.data);
    return { data: out, height, width };
  }
  const xs = linearTaps(src.width, width, 'x', f32);
  const ys = linearTaps(src.height, height, 'y', f32);
  // Horizontal pass on every source row that is used.
  const rowCache = new Map<number, Float64Array>();
  const horizontal = (row: number): Float64Array => {
    let r = rowCache.get(row);
    if (r) return r;
    r = new Float64Array(width);
    const base = row * src.width;
    for (let x = 0; x < width; x++) {
      const a = src.data[base + xs.index0[x]!]!;
      if (xs.weight1[x] === 0 && xs.index0[x] === xs.index1[x]) {
        r[x] = a; // cv2 copies the border pixel (S[sx] * 1)
      } else {
        const b = src.data[base + xs.index1[x]!]!;
        r[x] = round(round(a * xs.weight0[x]!) + round(b * xs.weight1[x]!));
      }
    }
    rowCache.set(row, r);
    return r;
  };
  for (let y = 0; y < height; y++) {
    const r0 = horizontal(ys.index0[y]!);
    const r1 = horizontal(ys.index1[y]!);
    const w0 = ys.weight0[y]!;
    const w1 = ys.weight1[y]!;
    const base = y * width;
    for (let x = 0; x < width; x++) out[base + x] = round(round(r0[x]! * w0) + round(r1[x]! * w1));
  }
  return { data: out, height, width };
}

/**
 * Bilinear resize with align_corners=True (PyTorch F.interpolate, used by DistDepth for NYUv2):
 * source coordinate = d * (src - 1) / (dst - 1), corner pixels map onto corner pixels. Computed in float64.
 */
export function resizeBilinearAlignCorners(src: PlaneMap, height: number, width: number): PlaneMap {
  const out = new Float64Array(height * width);
  const sy = height > 1 ? (src.height - 1) / (height - 1) : 0;
  const sx = width > 1 ? (src.width - 1) / (width - 1) : 0;
  for (let y = 0; y < height; y++) {
    const fy = y * sy;
    const y0 = Math.min(Math.floor(fy), src.height - 1);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const ly = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = x * sx;
      const x0 = Math.min(Math.floor(fx), src.width - 1);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const lx = fx - x0;
      const d = src.data;
      const top = (1 - lx) * d[y0 * src.width + x0]! + lx * d[y0 * src.width + x1]!;
      const bottom = (1 - lx) * d[y1 * src.width + x0]! + lx * d[y1 * src.width + x1]!;
      out[y * width + x] = (1 - ly) * top + ly * bottom;
    }
  }
  return { data: out, height, width };
}
