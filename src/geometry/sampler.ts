/**
 * Differentiable bilinear samplers (NHWC float32).
 *
 * Both samplers gather with int32 indices inside `tf.customGrad`, so autodiff never tries to differentiate the
 * indices (WASM-TRAINING.md, Pitfall 1). Gradients are analytic:
 *   - w.r.t. the sampling coordinates: the slope of the bilinear interpolant (difference of neighbouring taps);
 *   - w.r.t. the sampled tensor: a scatter-add of `weight * dy` onto the taps (tf.unsortedSegmentSum).
 * tfjs calls a customGrad's gradient for every input, so the scatter-add would run whenever a gradient flows through the
 * sampler; pass `imageGradient = false` when the sampled tensor is an input (photometric warps) — the gradient w.r.t. it is
 * then zeros and no UnsortedSegmentSum (missing on stock wasm) is needed.
 * Edge-clamped sampling (grid_sample 'border', the 1-D 'edge' mode) runs as one kernel each way where the backend has
 * BILINEAR_SAMPLE (tensorflow: src/backend/bilinear_sample.ts); other backends and modes run the composition.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BILINEAR_SAMPLE, BILINEAR_SAMPLE_GRAD } from '../backend/bilinear_sample.js';

/** How samples outside the image are treated by the 1-D monodepth sampler. */
export type HorizontalSamplerMode = 'border' | 'edge';

/** Torch `grid_sample` padding modes that are implemented. */
export type GridPadding = 'border' | 'zeros';

export interface GridSampleOptions {
  /** torch `align_corners`: true => -1/+1 are the centres of the corner pixels; false => their outer edges. */
  alignCorners: boolean;
  /** 'border' replicates edge pixels (clamps the coordinate), 'zeros' treats out-of-image taps as 0. */
  padding: GridPadding;
  /**
   * Compute the gradient w.r.t. the sampled image (a scatter-add, UnsortedSegmentSum on wasm). Default true; set false when
   * the image is an input (photometric warps) to save the scatter and return zeros for it.
   */
  imageGradient?: boolean;
}

function assertRank4(t: tf.Tensor, what: string): void {
  if (t.rank !== 4) throw new Error(`${what}: expected a rank-4 NHWC tensor, got shape [${t.shape.join(',')}]`);
}

/**
 * One bilinear tap set: flat row indices into the [N*H*W, C] image, per-tap weights, and validity (0 for taps outside).
 * x, y are pixel coordinates (pixel centres at integers) of shape [N, Ho, Wo].
 */
interface Taps {
  index: tf.Tensor; // int32 [N, Ho, Wo]
  weight: tf.Tensor; // float32 [N, Ho, Wo] (already multiplied by validity)
}

function tapIndex(n: tf.Tensor, yi: tf.Tensor, xi: tf.Tensor, h: number, w: number): { index: tf.Tensor; valid: tf.Tensor } {
  const valid = tf.cast(
    tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(xi, 0), tf.lessEqual(xi, w - 1)), tf.logicalAnd(tf.greaterEqual(yi, 0), tf.lessEqual(yi, h - 1))),
    'float32',
  );
  const xc = tf.clipByValue(xi, 0, w - 1);
  const yc = tf.clipByValue(yi, 0, h - 1);
  const index = tf.cast(tf.add(tf.mul(tf.add(tf.mul(n, h), yc), w), xc), 'int32');
  return { index, valid };
}

function batchIndexGrid(batch: number, ho: number, wo: number): tf.Tensor {
  return tf.tile(tf.reshape(tf.range(0, batch, 1, 'float32'), [batch, 1, 1]), [1, ho, wo]);
}

/**
 * Samples `flat` ([N*H*W, C]) at the taps and returns sum_t w_t * v_t  -> [N, Ho, Wo, C], plus each tap's values.
 * Rows are fetched with gatherND (index [..., 1]): the same copies as tf.gather, but TensorFlow's and wasm's GatherV2 copy
 * a C-float row at a time 4-6x slower (96x320 batch 4: 8 ms against 1.2 ms per tap natively, 5.8 against 1.6 on wasm).
 */
function gatherTaps(flat: tf.Tensor, taps: Taps[]): { values: tf.Tensor[]; out: tf.Tensor } {
  const values = taps.map((t) => tf.gatherND(flat, tf.expandDims(t.index, -1)));
  let out: tf.Tensor = tf.zeros(values[0].shape);
  taps.forEach((t, i) => {
    out = tf.add(out, tf.mul(values[i], tf.expandDims(t.weight, -1)));
  });
  return { values, out };
}

/** Gradient w.r.t. the image: scatter-add of weight * dy over every tap. */
function scatterTaps(dy: tf.Tensor, taps: Taps[], imageShape: number[]): tf.Tensor {
  const [n, h, w, c] = imageShape;
  const rows = tf.concat(taps.map((t) => tf.reshape(tf.mul(dy, tf.expandDims(t.weight, -1)), [-1, c])), 0);
  const ids = tf.concat(taps.map((t) => tf.reshape(t.index, [-1])), 0);
  return tf.reshape(tf.unsortedSegmentSum(rows, ids as tf.Tensor1D, n * h * w), [n, h, w, c]);
}

/**
 * monodepth v1 `bilinear_sampler_1d_h` (mrharicot/monodepth bilinear_sampler.py): samples `image` [N,H,W,C] along rows at
 * x_src = x + offset * W, where x = 0..W-1 are pixel centres and `offset` [N,H,W,1] is a fraction of the width
 * (monodepth's `generate_image_left(img, disp)` is `offset = -disp`). Rows are never mixed.
 *
 * Modes (golden/README.md §2):
 * - 'border' — the reference's default: the image is zero-padded by ONE pixel and x_src clipped to [-1, W], so samples fade
 *   linearly to 0 within one pixel outside the image and are exactly 0 beyond (it is not edge replication);
 * - 'edge' — x_src clipped to [0, W-1] (edge replication, equal to torch grid_sample border + align_corners=True when the
 *   vertical coordinate is an integer row).
 * Differentiable w.r.t. `offset` and `image` (the LR-consistency loss samples a disparity map by a disparity).
 */
export function bilinearSampler1dH(image: tf.Tensor4D, offset: tf.Tensor4D, mode: HorizontalSamplerMode = 'border', imageGradient = true): tf.Tensor4D {
  assertRank4(image, 'bilinearSampler1dH image');
  assertRank4(offset, 'bilinearSampler1dH offset');
  const [n, h, w] = image.shape;
  if (offset.shape[0] !== n || offset.shape[1] !== h || offset.shape[2] !== w || offset.shape[3] !== 1) {
    throw new Error(`bilinearSampler1dH: offset must be [${n},${h},${w},1] to match image [${image.shape.join(',')}], got [${offset.shape.join(',')}]`);
  }
  return tf.tidy(() => {
    const xBase = tf.tile(tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w]), [n, h, 1]);
    const xSrc = tf.add(xBase, tf.mul(tf.reshape(offset, [n, h, w]), w));
    return tf.reshape(samplePixelCoords(image, xSrc, null, mode === 'border' ? 'zeroRing' : 'edge', imageGradient), [n, h, w, image.shape[3]]) as tf.Tensor4D;
  });
}

type ClampRule = 'zeroRing' | 'edge' | 'zeros';

/**
 * 1 where clamping v to [lo, hi] passes the gradient, else 0: torch clip_coordinates_set_grad is 0 at the limits
 * themselves (strict), TF clip_by_value (monodepth v1, the zero ring) passes at the limits (inclusive).
 */
function clampPass(v: tf.Tensor, lo: number, hi: number, rule: ClampRule): tf.Tensor {
  return tf.cast(rule === 'zeroRing' ? tf.logicalAnd(tf.greaterEqual(v, lo), tf.lessEqual(v, hi)) : tf.logicalAnd(tf.greater(v, lo), tf.less(v, hi)), 'float32');
}

/** The row index of every output pixel [N,H,Wo] (the 1-D samplers' integer rows). */
function rowGrid(n: number, h: number, wo: number): tf.Tensor {
  return tf.tile(tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1]), [n, 1, wo]);
}

/**
 * The 'edge' sampler where the backend has BILINEAR_SAMPLE (tensorflow; src/backend/bilinear_sample.ts): coordinates
 * clamped into the image, one sampling kernel forward and one backward instead of ~130 composed kernels, with the clamp's
 * pass-through masks of the composed path. `ySrc === null` samples the integer rows.
 */
function sampleEdgeNative(image: tf.Tensor, xSrc: tf.Tensor, ySrc: tf.Tensor | null, imageGradient: boolean): tf.Tensor {
  const [n, h, w] = image.shape as number[];
  const wo = xSrc.shape[2]!;
  const run = (img: tf.Tensor, x: tf.Tensor, y: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const [xc, yc, ...passes] = tf.tidy(() => [
      tf.clipByValue(x, 0, w! - 1),
      y === null ? rowGrid(n!, h!, wo) : tf.clipByValue(y, 0, h! - 1),
      clampPass(x, 0, w! - 1, 'edge'),
      ...(y === null ? [] : [clampPass(y, 0, h! - 1, 'edge')]),
    ]);
    save([img, xc!, yc!, ...passes]);
    return {
      value: tf.engine().runKernel(BILINEAR_SAMPLE, { image: img, x: xc!, y: yc! }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sImage, sx, sy, xPass, yPass] = saved;
          const attrs = { imageGradient } as unknown as tf.NamedAttrMap;
          const [dImage, dx, dyCoord] = tf.engine().runKernel(BILINEAR_SAMPLE_GRAD, { dy, image: sImage!, x: sx!, y: sy! }, attrs) as tf.Tensor[];
          return yPass ? [dImage!, tf.mul(dx!, xPass!), tf.mul(dyCoord!, yPass)] : [dImage!, tf.mul(dx!, xPass!)];
        }),
    };
  };
  if (ySrc === null) {
    const f = tf.customGrad(((img: tf.Tensor, x: tf.Tensor, save: tf.GradSaveFunc) => run(img, x, null, save)) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(image, xSrc);
  }
  const f = tf.customGrad(((img: tf.Tensor, x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => run(img, x, y, save)) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(image, xSrc, ySrc);
}

/**
 * Core bilinear sampler at pixel coordinates. `ySrc === null` means integer rows (the output row = the input row; the
 * output grid must then have the image's height). `coordScale` converts d/d(pixel x) into d/d(caller's x parameter)
 * and is applied by callers; here gradients are w.r.t. the raw pixel coordinates passed in.
 */
function samplePixelCoords(image: tf.Tensor, xSrc: tf.Tensor, ySrc: tf.Tensor | null, rule: ClampRule, imageGradient: boolean): tf.Tensor {
  const [n, h, w, c] = image.shape;
  const [, ho, wo] = xSrc.shape;
  if (rule === 'edge' && h! >= 2 && w! >= 2 && image.dtype === 'float32' && tf.getKernel(BILINEAR_SAMPLE, tf.getBackend())) {
    return sampleEdgeNative(image, xSrc, ySrc, imageGradient);
  }
  const build = (x: tf.Tensor, y: tf.Tensor | null) => {
    // Clamp the coordinate; record where the clamp is active (zero gradient there, as in torch / TF clip_by_value).
    const lo = rule === 'zeroRing' ? -1 : 0;
    const hiX = rule === 'zeroRing' ? w : w - 1;
    const hiY = rule === 'zeroRing' ? h : h - 1;
    const clampX = rule !== 'zeros';
    const xc = clampX ? tf.clipByValue(x, lo, hiX) : x;
    const inside = (v: tf.Tensor, l: number, u: number) => clampPass(v, l, u, rule);
    const xPass = clampX ? inside(x, lo, hiX) : tf.onesLike(x);
    const x0 = tf.floor(xc);
    const wx1 = tf.sub(xc, x0);
    const wx0 = tf.sub(1, wx1);
    const x1 = tf.add(x0, 1);
    const nIdx = batchIndexGrid(n, ho, wo);
    if (y === null) {
      const yRow = rowGrid(n!, h!, wo!);
      const a = tapIndex(nIdx, yRow, x0, h, w);
      const b = tapIndex(nIdx, yRow, x1, h, w);
      const taps: Taps[] = [
        { index: a.index, weight: tf.mul(wx0, a.valid) },
        { index: b.index, weight: tf.mul(wx1, b.valid) },
      ];
      // d out / d x = v(x1) - v(x0) with validity folded into the values.
      const slopeX = (vals: tf.Tensor[]) =>
        tf.sub(tf.mul(vals[1], tf.expandDims(b.valid, -1)), tf.mul(vals[0], tf.expandDims(a.valid, -1)));
      return { taps, xPass, yPass: null as tf.Tensor | null, slopeX, slopeY: null as ((v: tf.Tensor[]) => tf.Tensor) | null };
    }
    const yc = clampX ? tf.clipByValue(y, lo, hiY) : y;
    const yPass = clampX ? inside(y, lo, hiY) : tf.onesLike(y);
    const y0 = tf.floor(yc);
    const wy1 = tf.sub(yc, y0);
    const wy0 = tf.sub(1, wy1);
    const y1 = tf.add(y0, 1);
    const t00 = tapIndex(nIdx, y0, x0, h, w);
    const t01 = tapIndex(nIdx, y0, x1, h, w);
    const t10 = tapIndex(nIdx, y1, x0, h, w);
    const t11 = tapIndex(nIdx, y1, x1, h, w);
    const taps: Taps[] = [
      { index: t00.index, weight: tf.mul(tf.mul(wy0, wx0), t00.valid) },
      { index: t01.index, weight: tf.mul(tf.mul(wy0, wx1), t01.valid) },
      { index: t10.index, weight: tf.mul(tf.mul(wy1, wx0), t10.valid) },
      { index: t11.index, weight: tf.mul(tf.mul(wy1, wx1), t11.valid) },
    ];
    const e = (t: tf.Tensor) => tf.expandDims(t, -1);
    const slopeX = (v: tf.Tensor[]) => {
      const v00 = tf.mul(v[0], e(t00.valid));
      const v01 = tf.mul(v[1], e(t01.valid));
      const v10 = tf.mul(v[2], e(t10.valid));
      const v11 = tf.mul(v[3], e(t11.valid));
      return tf.add(tf.mul(tf.sub(v01, v00), e(wy0)), tf.mul(tf.sub(v11, v10), e(wy1)));
    };
    const slopeY = (v: tf.Tensor[]) => {
      const v00 = tf.mul(v[0], e(t00.valid));
      const v01 = tf.mul(v[1], e(t01.valid));
      const v10 = tf.mul(v[2], e(t10.valid));
      const v11 = tf.mul(v[3], e(t11.valid));
      return tf.add(tf.mul(tf.sub(v10, v00), e(wx0)), tf.mul(tf.sub(v11, v01), e(wx1)));
    };
    return { taps, xPass, yPass: yPass as tf.Tensor | null, slopeX, slopeY: slopeY as ((v: tf.Tensor[]) => tf.Tensor) | null };
  };

  const flatOf = (img: tf.Tensor) => tf.reshape(img, [n * h * w, c]);
  // The forward pass keeps what the gradient needs (the interpolant's slopes, the clamp pass-through masks and, for the
  // image gradient, the taps) instead of the gradient rebuilding the taps and gathering the image again: the same
  // tensors from the same ops, so the gradients are unchanged bit for bit, with one gather pass instead of two.
  const imageGrad = (dy: tf.Tensor, tapTensors: tf.Tensor[]): tf.Tensor => {
    const taps: Taps[] = [];
    for (let i = 0; i < tapTensors.length; i += 2) taps.push({ index: tapTensors[i]!, weight: tapTensors[i + 1]! });
    return scatterTaps(dy, taps, [n, h, w, c]);
  };
  const forward = (img: tf.Tensor, x: tf.Tensor, y: tf.Tensor | null) =>
    tf.tidy(() => {
      const b = build(x, y);
      const { values, out } = gatherTaps(flatOf(img), b.taps);
      const keep = [b.slopeX(values), b.xPass, ...(b.slopeY && b.yPass ? [b.slopeY(values), b.yPass] : [])];
      return { out, keep, taps: imageGradient ? b.taps.flatMap((t) => [t.index, t.weight]) : [] };
    });
  if (ySrc === null) {
    const f = tf.customGrad(((img: tf.Tensor, x: tf.Tensor, save: tf.GradSaveFunc) => {
      const { out, keep, taps } = forward(img, x, null);
      save([...keep, ...taps]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [slopeX, xPass, ...tapTensors] = saved;
            const dx = tf.mul(tf.sum(tf.mul(dy, slopeX!), -1), xPass!);
            return [imageGradient ? imageGrad(dy, tapTensors) : tf.zeros([n, h, w, c]), dx];
          }),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(image, xSrc);
  }
  const f = tf.customGrad(((img: tf.Tensor, x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    const { out, keep, taps } = forward(img, x, y);
    save([...keep, ...taps]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [slopeX, xPass, slopeY, yPass, ...tapTensors] = saved;
          const dx = tf.mul(tf.sum(tf.mul(dy, slopeX!), -1), xPass!);
          const dyy = tf.mul(tf.sum(tf.mul(dy, slopeY!), -1), yPass!);
          return [imageGradient ? imageGrad(dy, tapTensors) : tf.zeros([n, h, w, c]), dx, dyy];
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(image, xSrc, ySrc);
}

/**
 * torch `F.grid_sample(input, grid, mode='bilinear', padding_mode, align_corners)` for NHWC tensors.
 * `grid` [N,Ho,Wo,2] holds normalised (x, y) in [-1, 1]. Unnormalisation (torch GridSampler.h):
 *   alignCorners true:  x = (gx + 1) / 2 * (W - 1);   false: x = ((gx + 1) * W - 1) / 2.
 * 'border' clamps x to [0, W-1] (zero gradient where clamped); 'zeros' drops taps outside the image.
 * Differentiable w.r.t. grid and image.
 */
export function gridSample(image: tf.Tensor4D, grid: tf.Tensor4D, options: GridSampleOptions): tf.Tensor4D {
  assertRank4(grid, 'gridSample grid');
  if (grid.shape[0] !== image.shape[0] || grid.shape[3] !== 2) {
    throw new Error(`gridSample: grid must be [${image.shape[0]},Ho,Wo,2] (last dim = normalised x, y), got [${grid.shape.join(',')}]`);
  }
  return tf.tidy(() => {
    const [gx, gy] = tf.split(grid, 2, 3).map((t) => tf.squeeze(t, [3]) as tf.Tensor3D);
    return gridSamplePlanes(image, gx!, gy!, options);
  });
}

/** gridSample with the grid's normalised x and y given as separate planes [N,Ho,Wo] (the warp builds them apart). */
export function gridSamplePlanes(image: tf.Tensor4D, gx: tf.Tensor3D, gy: tf.Tensor3D, options: GridSampleOptions): tf.Tensor4D {
  assertRank4(image, 'gridSample image');
  const [n, h, w, c] = image.shape;
  if (gx.shape[0] !== n || gx.shape.join() !== gy.shape.join()) {
    throw new Error(`gridSample: grid x [${gx.shape}] and y [${gy.shape}] must be equal [${n},Ho,Wo]`);
  }
  return tf.tidy(() => {
    const x = options.alignCorners ? tf.mul(tf.add(gx, 1), (w - 1) / 2) : tf.div(tf.sub(tf.mul(tf.add(gx, 1), w), 1), 2);
    const y = options.alignCorners ? tf.mul(tf.add(gy, 1), (h - 1) / 2) : tf.div(tf.sub(tf.mul(tf.add(gy, 1), h), 1), 2);
    const out = samplePixelCoords(image, x, y, options.padding === 'border' ? 'edge' : 'zeros', options.imageGradient ?? true);
    return tf.reshape(out, [n, gx.shape[1], gx.shape[2], c]) as tf.Tensor4D;
  });
}

/**
 * Samples `image` at pixel coordinates x_src (same size as the image, rows kept) with edge replication — the 1-D fast path
 * for a pure horizontal warp. Equal to `gridSample(..., {alignCorners: true, padding: 'border'})` with the grid
 * ((x_src/(W-1) - 0.5)*2, (y/(H-1) - 0.5)*2).
 */
export function sampleRowsAtPixels(image: tf.Tensor4D, xSrc: tf.Tensor3D, mode: HorizontalSamplerMode = 'edge', imageGradient = true): tf.Tensor4D {
  assertRank4(image, 'sampleRowsAtPixels image');
  const [n, h, w, c] = image.shape;
  return tf.tidy(() => tf.reshape(samplePixelCoords(image, xSrc, null, mode === 'border' ? 'zeroRing' : 'edge', imageGradient), [n, h, w, c]) as tf.Tensor4D);
}
