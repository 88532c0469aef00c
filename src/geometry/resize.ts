/**
 * Differentiable bilinear resize with torch `F.interpolate(mode='bilinear', align_corners=False)` semantics, written as two
 * interpolation matrices (out = R_y · X · R_xᵀ per channel). tfjs's ResizeBilinearGrad (4.22.0) gave gradients that disagree
 * with finite differences for halfPixelCenters=true in our checks, and rejects non-square inputs on cpu; matMul grads are exact.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * torch `area_pixel_compute_source_index` (align_corners=False, linear): src = max(0, (dst + 0.5) * in/out - 0.5);
 * taps floor(src) and floor(src)+1 (clamped to in-1) with weights 1-λ, λ. Returns the [out, in] matrix, row-major.
 */
export function bilinearInterpolationMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.fround(src - i0);
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

/** Resizes NHWC `x` to [height, width] (torch bilinear, align_corners=False); differentiable w.r.t. x. */
export function resizeBilinearTorch(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h === height && w === width) return tf.clone(x);
  return tf.tidy(() => {
    const ry = tf.tensor2d(bilinearInterpolationMatrix(h, height), [height, h]);
    const rx = tf.tensor2d(bilinearInterpolationMatrix(w, width), [width, w]);
    const planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w]); // [BC, h, w]
    const rows = tf.matMul(tf.tile(tf.expandDims(ry, 0), [b * c, 1, 1]), planes); // [BC, H, w]
    const out = tf.matMul(rows, tf.tile(tf.expandDims(rx, 0), [b * c, 1, 1]), false, true); // [BC, H, W]
    return tf.transpose(tf.reshape(out, [b, c, height, width]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}
