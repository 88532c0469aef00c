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

#define EXPORT(name) __attribute__((export_name(#name)))

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

/*
 * Convolution geometry (src/backend/wasm_conv_gemm.ts ConvGeometry), passed as an int32 array in the heap:
 * batch, inH, inW, ci, co, kh, kw, sh, sw, dh, dw, oh, ow, pt, pl.
 */
enum { G_BATCH, G_INH, G_INW, G_CI, G_CO, G_KH, G_KW, G_SH, G_SW, G_DH, G_DW, G_OH, G_OW, G_PT, G_PL };

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

/* colsT [K, N]: colsT[(i*kw + j)*ci + c, n] = x at tap (i, j), channel c, for output position n (0 in the padding). */
EXPORT(im2col_t_f32) void im2col_t_f32(const float *x, const int *g, float *cols_t, int *scratch) {
  const int N = g[G_BATCH] * g[G_OH] * g[G_OW];
  const int ci = g[G_CI];
  for (int i = 0; i < g[G_KH]; i++) {
    for (int j = 0; j < g[G_KW]; j++) {
      tap_sources(g, i, j, scratch);
      float *tap = cols_t + (long)(i * g[G_KW] + j) * ci * N;
      for (int n = 0; n < N; n++) {
        const int s = scratch[n];
        if (s >= 0) {
          const float *xs = x + s;
          for (int c = 0; c < ci; c++) tap[(long)c * N + n] = xs[c];
        } else {
          for (int c = 0; c < ci; c++) tap[(long)c * N + n] = 0.0f;
        }
      }
    }
  }
}

/*
 * dx += col2im(G): every G[k, n] is added to the input value colsT[k, n] was read from (padding dropped). Taps are
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
