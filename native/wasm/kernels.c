/*
 * stereodepth's own WebAssembly SIMD kernels for the tfjs wasm backend (built by scripts/build_wasm_kernels.sh,
 * loaded by src/backend/simd_kernels.ts). The module imports the tfjs heap (its WebAssembly.Memory), so every
 * pointer is a tensor's heap offset and nothing is copied. It defines no data and uses no stack: it must never
 * write memory other than the outputs it is given.
 *
 * Every kernel computes exactly what the tfjs kernels it replaces compute, rounding to float32 after each operation
 * in the same order (wasm has no fused multiply-add, and the build passes -ffp-contract=off), so swapping them in
 * changes no result bit. What they save is time: the stock unary kernels run a scalar C++ loop through a function
 * pointer per element, and Adam was 13 separate passes over every variable.
 */
#include <wasm_simd128.h>

#include "kernels.h"

/* y = -x */
EXPORT(neg_f32) void neg_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_neg(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = -x[i];
}

/* y = |x| */
EXPORT(abs_f32) void abs_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_abs(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = __builtin_fabsf(x[i]);
}

/* y = x * x */
EXPORT(square_f32) void square_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(y + i, wasm_f32x4_mul(v, v));
  }
  for (; i < n; i++) y[i] = x[i] * x[i];
}

/* y = sqrt(x), correctly rounded */
EXPORT(sqrt_f32) void sqrt_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_sqrt(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = __builtin_sqrtf(x[i]);
}

/* y = floor(x) */
EXPORT(floor_f32) void floor_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_floor(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = __builtin_floorf(x[i]);
}

/* y = min(max(x, lo), hi) with XNNPACK's clamp semantics: pmax(lo, x) = lo < x ? x : lo, then pmin(hi, .) = . < hi ? . : hi */
EXPORT(clip_f32) void clip_f32(const float *x, float *y, int n, float lo, float hi) {
  const v128_t vlo = wasm_f32x4_splat(lo);
  const v128_t vhi = wasm_f32x4_splat(hi);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_pmin(vhi, wasm_f32x4_pmax(vlo, wasm_v128_load(x + i))));
  for (; i < n; i++) {
    float v = lo < x[i] ? x[i] : lo;
    y[i] = v < hi ? v : hi;
  }
}

/*
 * Float32 binary operations y = a OP b in the broadcast patterns the training step uses, n outputs:
 *   vv: equal shapes;  vs / sv: b / a a single value;
 *   vc / cv: b / a one value per row of c (shape [..., 1] against [..., c]);
 *   vr / rv: b / a one row of c repeated (shape [c] against [..., c]).
 */
#define BINARY_KERNELS(NAME, VOP, SOP)                                                                              \
  EXPORT(NAME##_vv_f32) void NAME##_vv_f32(const float *a, const float *b, float *y, int n) {                       \
    int i = 0;                                                                                                      \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VOP(wasm_v128_load(a + i), wasm_v128_load(b + i)));          \
    for (; i < n; i++) y[i] = a[i] SOP b[i];                                                                        \
  }                                                                                                                 \
  EXPORT(NAME##_vs_f32) void NAME##_vs_f32(const float *a, float s, float *y, int n) {                              \
    const v128_t vs = wasm_f32x4_splat(s);                                                                          \
    int i = 0;                                                                                                      \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VOP(wasm_v128_load(a + i), vs));                             \
    for (; i < n; i++) y[i] = a[i] SOP s;                                                                           \
  }                                                                                                                 \
  EXPORT(NAME##_sv_f32) void NAME##_sv_f32(float s, const float *b, float *y, int n) {                              \
    const v128_t vs = wasm_f32x4_splat(s);                                                                          \
    int i = 0;                                                                                                      \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VOP(vs, wasm_v128_load(b + i)));                             \
    for (; i < n; i++) y[i] = s SOP b[i];                                                                           \
  }                                                                                                                 \
  EXPORT(NAME##_vc_f32) void NAME##_vc_f32(const float *a, const float *b, float *y, int rows, int c) {             \
    for (int r = 0; r < rows; r++) {                                                                                \
      const float s = b[r];                                                                                         \
      const v128_t vs = wasm_f32x4_splat(s);                                                                        \
      const float *ar = a + r * c;                                                                                  \
      float *yr = y + r * c;                                                                                        \
      int i = 0;                                                                                                    \
      for (; i + 4 <= c; i += 4) wasm_v128_store(yr + i, VOP(wasm_v128_load(ar + i), vs));                         \
      for (; i < c; i++) yr[i] = ar[i] SOP s;                                                                       \
    }                                                                                                               \
  }                                                                                                                 \
  EXPORT(NAME##_cv_f32) void NAME##_cv_f32(const float *a, const float *b, float *y, int rows, int c) {             \
    for (int r = 0; r < rows; r++) {                                                                                \
      const float s = a[r];                                                                                         \
      const v128_t vs = wasm_f32x4_splat(s);                                                                        \
      const float *br = b + r * c;                                                                                  \
      float *yr = y + r * c;                                                                                        \
      int i = 0;                                                                                                    \
      for (; i + 4 <= c; i += 4) wasm_v128_store(yr + i, VOP(vs, wasm_v128_load(br + i)));                         \
      for (; i < c; i++) yr[i] = s SOP br[i];                                                                       \
    }                                                                                                               \
  }                                                                                                                 \
  EXPORT(NAME##_vr_f32) void NAME##_vr_f32(const float *a, const float *b, float *y, int rows, int c) {             \
    for (int r = 0; r < rows; r++) {                                                                                \
      const float *ar = a + r * c;                                                                                  \
      float *yr = y + r * c;                                                                                        \
      int i = 0;                                                                                                    \
      for (; i + 4 <= c; i += 4) wasm_v128_store(yr + i, VOP(wasm_v128_load(ar + i), wasm_v128_load(b + i)));      \
      for (; i < c; i++) yr[i] = ar[i] SOP b[i];                                                                    \
    }                                                                                                               \
  }                                                                                                                 \
  EXPORT(NAME##_rv_f32) void NAME##_rv_f32(const float *a, const float *b, float *y, int rows, int c) {             \
    for (int r = 0; r < rows; r++) {                                                                                \
      const float *br = b + r * c;                                                                                  \
      float *yr = y + r * c;                                                                                        \
      int i = 0;                                                                                                    \
      for (; i + 4 <= c; i += 4) wasm_v128_store(yr + i, VOP(wasm_v128_load(a + i), wasm_v128_load(br + i)));      \
      for (; i < c; i++) yr[i] = a[i] SOP br[i];                                                                    \
    }                                                                                                               \
  }

BINARY_KERNELS(add, wasm_f32x4_add, +)
BINARY_KERNELS(sub, wasm_f32x4_sub, -)
BINARY_KERNELS(mul, wasm_f32x4_mul, *)
BINARY_KERNELS(div, wasm_f32x4_div, /)

/* dst[c * rows + r] = src[r * cols + c] for a rows x cols row-major matrix, in cache-sized blocks. */
EXPORT(transpose_f32) void transpose_f32(const float *src, int rows, int cols, float *dst) {
  const int T = 32;
  for (int r0 = 0; r0 < rows; r0 += T) {
    const int r1 = r0 + T < rows ? r0 + T : rows;
    for (int c0 = 0; c0 < cols; c0 += T) {
      const int c1 = c0 + T < cols ? c0 + T : cols;
      for (int c = c0; c < c1; c++) {
        float *d = dst + (long)c * rows;
        for (int r = r0; r < r1; r++) d[r] = src[(long)r * cols + c];
      }
    }
  }
}


/* For tap (i, j): the flat input offset (pixel * ci) each output position reads, or -1 in the padding. */
static void tap_sources(const int *g, int i, int j, int *out) {
  int n = 0;
  for (int b = 0; b < g[G_BATCH]; b++) {
    for (int r = 0; r < g[G_OH]; r++) {
      const int h = r * g[G_SH] + i * g[G_DH] - g[G_PT];
      const int row_ok = h >= 0 && h < g[G_INH];
      for (int q = 0; q < g[G_OW]; q++) {
        const int w = q * g[G_SW] + j * g[G_DW] - g[G_PL];
        out[n++] = row_ok && w >= 0 && w < g[G_INW] ? ((b * g[G_INH] + h) * g[G_INW] + w) * g[G_CI] : -1;
      }
    }
  }
}

/*
 * dx += col2im(G): every G[k, n] is added to the input value tap k reads for output position n (padding dropped). Taps are
 * added in (i, j) order; within a tap every output position reads a different pixel, so each dx value receives its
 * contributions in that order whatever the inner loops do.
 */
EXPORT(col2im_t_f32) void col2im_t_f32(const float *G, const int *g, float *dx, int *scratch) {
  const int N = g[G_BATCH] * g[G_OH] * g[G_OW];
  const int ci = g[G_CI];
  for (int i = 0; i < g[G_KH]; i++) {
    for (int j = 0; j < g[G_KW]; j++) {
      tap_sources(g, i, j, scratch);
      const float *tap = G + (long)(i * g[G_KW] + j) * ci * N;
      for (int n = 0; n < N; n++) {
        const int s = scratch[n];
        if (s < 0) continue;
        float *d = dx + s;
        for (int c = 0; c < ci; c++) d[c] += tap[(long)c * N + n];
      }
    }
  }
}

/*
 * 3x3 average pooling, stride 1, no padding, NHWC [b, h, w, c] -> [b, h-2, w-2, c] (the SSIM statistics). The nine
 * taps are summed in XNNPACK's order (its 9-tap unipass kernel over the window column by column: t = kx*3 + ky,
 * ((t0+t1)+t8)+(t6+t7) added to (t2+t3)+(t4+t5)) and scaled by 1/9 in float32, as the stock kernel does, so the
 * result is the same to the bit. An output row is contiguous in (x, channel), so it is computed 4 values at a time
 * whatever c is (the stock kernel vectorises over channels, 3 for images).
 */
EXPORT(avg_pool3x3_f32) void avg_pool3x3_f32(const float *x, float *y, int batch, int h, int w, int c) {
  const int oh = h - 2, row = w * c, orow = (w - 2) * c;
  const float scale = 1.0f / 9.0f;
  const v128_t vscale = wasm_f32x4_splat(scale);
  for (int b = 0; b < batch; b++) {
    for (int r = 0; r < oh; r++) {
      const float *r0 = x + ((long)b * h + r) * row, *r1 = r0 + row, *r2 = r1 + row;
      float *o = y + ((long)b * oh + r) * orow;
      int j = 0;
      for (; j + 4 <= orow; j += 4) {
        const v128_t t0 = wasm_v128_load(r0 + j), t1 = wasm_v128_load(r1 + j), t2 = wasm_v128_load(r2 + j);
        const v128_t t3 = wasm_v128_load(r0 + j + c), t4 = wasm_v128_load(r1 + j + c), t5 = wasm_v128_load(r2 + j + c);
        const v128_t t6 = wasm_v128_load(r0 + j + 2 * c), t7 = wasm_v128_load(r1 + j + 2 * c), t8 = wasm_v128_load(r2 + j + 2 * c);
        const v128_t s018 = wasm_f32x4_add(wasm_f32x4_add(t0, t1), t8);
        const v128_t s2345 = wasm_f32x4_add(wasm_f32x4_add(t2, t3), wasm_f32x4_add(t4, t5));
        const v128_t s = wasm_f32x4_add(s2345, wasm_f32x4_add(s018, wasm_f32x4_add(t6, t7)));
        wasm_v128_store(o + j, wasm_f32x4_mul(s, vscale));
      }
      for (; j < orow; j++) {
        const float s018 = (r0[j] + r1[j]) + r2[j + 2 * c];
        const float s2345 = (r2[j] + r0[j + c]) + (r1[j + c] + r2[j + c]);
        o[j] = (s2345 + (s018 + (r0[j + 2 * c] + r1[j + 2 * c]))) * scale;
      }
    }
  }
}

/*
 * One Adam update (src/train/optimizer.ts), the composition's operations in its order:
 *   m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2);  d = sqrt(v')/sqrtBc2 + eps;  p' = p - (m'/d)*stepSize.
 */
EXPORT(adam_f32)
void adam_f32(const float *p, const float *m, const float *v, const float *g, float *po, float *mo, float *vo, int n,
              float b1, float omb1, float b2, float omb2, float sqrtBc2, float eps, float stepSize) {
  const v128_t vb1 = wasm_f32x4_splat(b1), vomb1 = wasm_f32x4_splat(omb1);
  const v128_t vb2 = wasm_f32x4_splat(b2), vomb2 = wasm_f32x4_splat(omb2);
  const v128_t vbc = wasm_f32x4_splat(sqrtBc2), veps = wasm_f32x4_splat(eps), vstep = wasm_f32x4_splat(stepSize);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t nm = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vomb1));
    const v128_t nv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vomb2));
    const v128_t d = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(nv), vbc), veps);
    wasm_v128_store(mo + i, nm);
    wasm_v128_store(vo + i, nv);
    wasm_v128_store(po + i, wasm_f32x4_sub(wasm_v128_load(p + i), wasm_f32x4_mul(wasm_f32x4_div(nm, d), vstep)));
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float nm = m[i] * b1 + gi * omb1;
    const float nv = v[i] * b2 + (gi * gi) * omb2;
    const float d = __builtin_sqrtf(nv) / sqrtBc2 + eps;
    mo[i] = nm;
    vo[i] = nv;
    po[i] = p[i] - (nm / d) * stepSize;
  }
}

/*
 * MaxPoolGrad (src/backend/wasm_kernels.ts): each dy value is added to dx at the first maximum of its window in
 * row-major order (the tie rule of the cpu backend's maxPoolPositions), windows visited in output order, so
 * overlapping windows add in the same order as the JS kernel this replaced (the channels of one window write distinct
 * dx values, so 4 of them at once change nothing). g = [batch, inH, inW, c, oh, ow, sh, sw, kh, kw, pt, pl]; dx must
 * arrive zeroed (a zeroing loop here would compile to a memset call, which the module cannot import).
 */
EXPORT(max_pool_grad_f32)
void max_pool_grad_f32(const float *x, const float *dy, float *dx, const int *g) {
  const int batch = g[0], in_h = g[1], in_w = g[2], c = g[3], oh = g[4], ow = g[5];
  const int sh = g[6], sw = g[7], kh = g[8], kw = g[9], pt = g[10], pl = g[11];
  const v128_t lane = wasm_i32x4_make(0, 1, 2, 3);
  for (int b = 0; b < batch; b++) {
    for (int r = 0; r < oh; r++) {
      const int h0 = r * sh - pt < 0 ? 0 : r * sh - pt;
      const int h1 = r * sh - pt + kh > in_h ? in_h : r * sh - pt + kh;
      for (int col = 0; col < ow; col++) {
        const int w0 = col * sw - pl < 0 ? 0 : col * sw - pl;
        const int w1 = col * sw - pl + kw > in_w ? in_w : col * sw - pl + kw;
        const float *dyr = dy + ((long)(b * oh + r) * ow + col) * c;
        int d = 0;
        for (; d + 4 <= c; d += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff()), at = wasm_i32x4_splat(-1);
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int base = ((b * in_h + h) * in_w + w) * c + d;
              const v128_t v = wasm_v128_load(x + base);
              const v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              at = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(base), lane), at, greater);
            }
          }
          const int i0 = wasm_i32x4_extract_lane(at, 0), i1 = wasm_i32x4_extract_lane(at, 1);
          const int i2 = wasm_i32x4_extract_lane(at, 2), i3 = wasm_i32x4_extract_lane(at, 3);
          if (i0 >= 0) dx[i0] += dyr[d];
          if (i1 >= 0) dx[i1] += dyr[d + 1];
          if (i2 >= 0) dx[i2] += dyr[d + 2];
          if (i3 >= 0) dx[i3] += dyr[d + 3];
        }
        for (; d < c; d++) {
          float best = -__builtin_inff();
          int at = -1;
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int idx = ((b * in_h + h) * in_w + w) * c + d;
              if (x[idx] > best) best = x[idx], at = idx;
            }
          }
          if (at >= 0) dx[at] += dyr[d];
        }
      }
    }
  }
}

/*
 * Training batch norm (src/backend/batchnorm_kernels.ts), the JS kernels' float64 arithmetic in their order, so the
 * results are the same to the bit: x viewed as [rows, c]; mean = sum x / rows, var = sum (x - mean)^2 / rows,
 * y = x * (gamma / sqrt(var + eps)) + (beta - mean * scale) rounded to float32. s is scratch for 4c doubles, the
 * first 2c zeroed by the caller (the accumulators).
 */
EXPORT(batch_norm_train_f32)
void batch_norm_train_f32(const float *x, const float *gamma, const float *beta, double eps, float *y, float *mean_out,
                          float *var_out, int rows, int c, double *s) {
  double *mean = s, *var = s + c, *scale = s + 2 * c, *shift = s + 3 * c;
  const double n = (double)rows;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    for (int d = 0; d < c; d++) mean[d] += (double)xr[d];
  }
  for (int d = 0; d < c; d++) mean[d] /= n;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    for (int d = 0; d < c; d++) {
      const double e = (double)xr[d] - mean[d];
      var[d] += e * e;
    }
  }
  for (int d = 0; d < c; d++) {
    var[d] /= n;
    scale[d] = (double)gamma[d] / __builtin_sqrt(var[d] + eps);
    shift[d] = (double)beta[d] - mean[d] * scale[d];
    mean_out[d] = (float)mean[d];
    var_out[d] = (float)var[d];
  }
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float *yr = y + (long)r * c;
    for (int d = 0; d < c; d++) yr[d] = (float)((double)xr[d] * scale[d] + shift[d]);
  }
}

/*
 * Its gradient, as the JS kernel: inv = 1/sqrt(var + eps); dbeta = sum dy; dgamma = (sum dy*x - mean*dbeta) * inv;
 * dx = k*dy + a*x + b with k = gamma*inv, a = (-k*inv*dgamma)/rows, b = (-k*dbeta)/rows - a*mean, in float64.
 * s is scratch for 6c doubles, [c, 3c) zeroed by the caller (the accumulators).
 */
EXPORT(batch_norm_train_grad_f32)
void batch_norm_train_grad_f32(const float *dy, const float *x, const float *gamma, const float *mean, const float *var,
                               double eps, float *dx, float *dgamma_out, float *dbeta_out, int rows, int c, double *s) {
  double *inv = s, *dbeta = s + c, *dyx = s + 2 * c, *k = s + 3 * c, *a = s + 4 * c, *b = s + 5 * c;
  const double n = (double)rows;
  for (int d = 0; d < c; d++) {
    inv[d] = 1.0 / __builtin_sqrt((double)var[d] + eps);
  }
  for (int r = 0; r < rows; r++) {
    const float *gr = dy + (long)r * c, *xr = x + (long)r * c;
    for (int d = 0; d < c; d++) {
      const double gv = (double)gr[d];
      dbeta[d] += gv;
      dyx[d] += gv * (double)xr[d];
    }
  }
  for (int d = 0; d < c; d++) {
    const double dgamma = (dyx[d] - (double)mean[d] * dbeta[d]) * inv[d];
    k[d] = (double)gamma[d] * inv[d];
    a[d] = (-k[d] * inv[d] * dgamma) / n;
    b[d] = (-k[d] * dbeta[d]) / n - a[d] * (double)mean[d];
    dgamma_out[d] = (float)dgamma;
    dbeta_out[d] = (float)dbeta[d];
  }
  for (int r = 0; r < rows; r++) {
    const float *gr = dy + (long)r * c, *xr = x + (long)r * c;
    float *o = dx + (long)r * c;
    for (int d = 0; d < c; d++) o[d] = (float)(k[d] * (double)gr[d] + a[d] * (double)xr[d] + b[d]);
  }
}

/* Four float32 comparison masks (all-ones lanes) -> 16 bytes of 0/1. */
static inline v128_t mask_bytes(v128_t m0, v128_t m1, v128_t m2, v128_t m3) {
  const v128_t h0 = wasm_i16x8_narrow_i32x4(m0, m1), h1 = wasm_i16x8_narrow_i32x4(m2, m3);
  return wasm_v128_and(wasm_i8x16_narrow_i16x8(h0, h1), wasm_i8x16_splat(1));
}

#define COMPARE_KERNEL(name, vop, sop)                                                                  \
  EXPORT(name##_f32) void name##_f32(const float *a, const float *b, unsigned char *y, int n, int scalar) { \
    int i = 0;                                                                                          \
    if (scalar) {                                                                                       \
      const float s = b[0];                                                                             \
      const v128_t vs = wasm_f32x4_splat(s);                                                            \
      for (; i + 16 <= n; i += 16)                                                                      \
        wasm_v128_store(y + i, mask_bytes(vop(wasm_v128_load(a + i), vs), vop(wasm_v128_load(a + i + 4), vs), \
                                          vop(wasm_v128_load(a + i + 8), vs), vop(wasm_v128_load(a + i + 12), vs))); \
      for (; i < n; i++) y[i] = a[i] sop s;                                                             \
    } else {                                                                                            \
      for (; i + 16 <= n; i += 16)                                                                      \
        wasm_v128_store(y + i, mask_bytes(vop(wasm_v128_load(a + i), wasm_v128_load(b + i)),            \
                                          vop(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)),    \
                                          vop(wasm_v128_load(a + i + 8), wasm_v128_load(b + i + 8)),    \
                                          vop(wasm_v128_load(a + i + 12), wasm_v128_load(b + i + 12)))); \
      for (; i < n; i++) y[i] = a[i] sop b[i];                                                          \
    }                                                                                                   \
  }

/* y = a op b (or op the single value b[0]) as 0/1 bytes, IEEE comparisons (false with NaN; -0 == +0). */
COMPARE_KERNEL(greater, wasm_f32x4_gt, >)
COMPARE_KERNEL(greater_equal, wasm_f32x4_ge, >=)
COMPARE_KERNEL(less, wasm_f32x4_lt, <)
COMPARE_KERNEL(less_equal, wasm_f32x4_le, <=)
COMPARE_KERNEL(equal, wasm_f32x4_eq, ==)
COMPARE_KERNEL(not_equal, wasm_f32x4_ne, !=)

/* y = (a != 0) & (b != 0) for bool bytes (b the same length). */
EXPORT(logical_and_u8) void logical_and_u8(const unsigned char *a, const unsigned char *b, unsigned char *y, int n) {
  const v128_t zero = wasm_i8x16_splat(0), one = wasm_i8x16_splat(1);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t ma = wasm_i8x16_ne(wasm_v128_load(a + i), zero), mb = wasm_i8x16_ne(wasm_v128_load(b + i), zero);
    wasm_v128_store(y + i, wasm_v128_and(wasm_v128_and(ma, mb), one));
  }
  for (; i < n; i++) y[i] = (a[i] != 0) & (b[i] != 0);
}

/* 1 if any of x[0..n) is NaN or +-Inf (x - x is NaN exactly there), else 0: the training step's finite check. */
EXPORT(any_non_finite_f32) int any_non_finite_f32(const float *x, int n) {
  v128_t bad = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t d = wasm_f32x4_sub(v, v);
    bad = wasm_v128_or(bad, wasm_f32x4_ne(d, d));
  }
  int any = wasm_v128_any_true(bad);
  for (; i < n; i++) {
    const float d = x[i] - x[i];
    any |= d != d;
  }
  return any;
}
