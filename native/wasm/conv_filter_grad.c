/*
 * The filter gradient of an NHWC convolution, computed directly from x and dy (no im2col matrix, no packing):
 *   dW[i, j, c, o] = sum over output positions p = (b, r, q) of x[b, r*sh + i*dh - pt, q*sw + j*dw - pl, c] * dy[p, o]
 * (positions whose tap falls in the padding add nothing). Why here and not as an XNNPACK matrix product: XNNPACK runs
 * the whole reduction (all B*OH*OW positions) for each output tile, so on the large maps every tile streamed its
 * operands from memory, and the im2col matrix had to be built (and packed) first.
 *
 * The rows k = (i*kw + j)*ci + c of dW in [k0, k1) are computed, so threads can take disjoint ranges. Positions are
 * visited in chunks of whole output rows whose x and dy rows stay in the cache while every (tap, channel block, output
 * block) tile reads them. Each dW value is the float32 sum of its products in position order (b, r, q ascending),
 * whatever the chunking or the split: the result does not depend on the thread count.
 */
#include <wasm_simd128.h>

#include "kernels.h"

/* Bytes of dy and x a chunk of output rows may span (well inside a core's 1 MiB L2). */
#define CHUNK_BYTES (192 * 1024)

/*
 * Accumulates one tile of CT input channels x 4*OV output channels over the output rows [r0, r1) (R = b*oh + r) for tap
 * (i, j): acc[c][v] += x[.., c0 + c] * dy[.., o0 + 4v .. o0 + 4v + 3]. `first` starts from zero instead of dW.
 */
#define TILE(CT, OV)                                                                                                  \
  static void tile_##CT##x##OV(const float *x, const float *dy, float *dw, const int *g, int r0, int r1,              \
                               int i, int j, int c0, int o0, int first) {                                            \
    const int ci = g[G_CI], co = g[G_CO], in_h = g[G_INH], in_w = g[G_INW], ow = g[G_OW], sw = g[G_SW];               \
    const int k = (i * g[G_KW] + j) * ci + c0;                                                                       \
    v128_t acc[CT][OV];                                                                                               \
    for (int c = 0; c < CT; c++)                                                                                      \
      for (int v = 0; v < OV; v++)                                                                                    \
        acc[c][v] = first ? wasm_f32x4_splat(0.0f) : wasm_v128_load(dw + (long)(k + c) * co + o0 + 4 * v);            \
    int lo, hi;                                                                                                       \
    valid_columns(ow, sw, j * g[G_DW] - g[G_PL], in_w, &lo, &hi);                                                     \
    for (int R = r0; R < r1; R++) {                                                                                   \
      const int b = R / g[G_OH], r = R % g[G_OH], h = r * g[G_SH] + i * g[G_DH] - g[G_PT];                            \
      if (h < 0 || h >= in_h) continue;                                                                               \
      const float *xp = x + (((long)b * in_h + h) * in_w + lo * sw + j * g[G_DW] - g[G_PL]) * ci + c0;                \
      const float *dp = dy + (((long)b * g[G_OH] + r) * ow + lo) * co + o0;                                           \
      for (int q = lo; q < hi; q++, xp += sw * ci, dp += co) {                                                        \
        v128_t d[OV];                                                                                                 \
        for (int v = 0; v < OV; v++) d[v] = wasm_v128_load(dp + 4 * v);                                               \
        for (int c = 0; c < CT; c++) {                                                                                \
          const v128_t s = wasm_v128_load32_splat(xp + c);                                                           \
          for (int v = 0; v < OV; v++) acc[c][v] = wasm_f32x4_add(acc[c][v], wasm_f32x4_mul(s, d[v]));               \
        }                                                                                                             \
      }                                                                                                               \
    }                                                                                                                 \
    for (int c = 0; c < CT; c++)                                                                                      \
      for (int v = 0; v < OV; v++) wasm_v128_store(dw + (long)(k + c) * co + o0 + 4 * v, acc[c][v]);                 \
  }

TILE(4, 2)
TILE(1, 2)
TILE(4, 1)
TILE(1, 1)

/* Output channels past the last multiple of 4 (co = 1 for a disparity head): 4 input channels per vector. */
static void tile_scalar_o(const float *x, const float *dy, float *dw, const int *g, int r0, int r1, int i,
                          int j, int c0, int c1, int o, int first) {
  const int ci = g[G_CI], co = g[G_CO], in_h = g[G_INH], in_w = g[G_INW], ow = g[G_OW], sw = g[G_SW];
  const int k = (i * g[G_KW] + j) * ci;
  int lo, hi;
  valid_columns(ow, sw, j * g[G_DW] - g[G_PL], in_w, &lo, &hi);
  int c = c0;
  for (; c + 4 <= c1; c += 4) {
    /* acc lane l is dW[k + c + l, o]: the four values are co apart in dW, so they are gathered and scattered. */
    v128_t acc = first ? wasm_f32x4_splat(0.0f)
                       : wasm_f32x4_make(dw[(long)(k + c) * co + o], dw[(long)(k + c + 1) * co + o],
                                         dw[(long)(k + c + 2) * co + o], dw[(long)(k + c + 3) * co + o]);
    for (int R = r0; R < r1; R++) {
      const int b = R / g[G_OH], r = R % g[G_OH], h = r * g[G_SH] + i * g[G_DH] - g[G_PT];
      if (h < 0 || h >= in_h) continue;
      const float *xp = x + (((long)b * in_h + h) * in_w + lo * sw + j * g[G_DW] - g[G_PL]) * ci + c;
      const float *dp = dy + (((long)b * g[G_OH] + r) * ow + lo) * co + o;
      for (int q = lo; q < hi; q++, xp += sw * ci, dp += co) {
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load32_splat(dp)));
      }
    }
    dw[(long)(k + c) * co + o] = wasm_f32x4_extract_lane(acc, 0);
    dw[(long)(k + c + 1) * co + o] = wasm_f32x4_extract_lane(acc, 1);
    dw[(long)(k + c + 2) * co + o] = wasm_f32x4_extract_lane(acc, 2);
    dw[(long)(k + c + 3) * co + o] = wasm_f32x4_extract_lane(acc, 3);
  }
  for (; c < c1; c++) {
    float acc = first ? 0.0f : dw[(long)(k + c) * co + o];
    for (int R = r0; R < r1; R++) {
      const int b = R / g[G_OH], r = R % g[G_OH], h = r * g[G_SH] + i * g[G_DH] - g[G_PT];
      if (h < 0 || h >= in_h) continue;
      const float *xp = x + (((long)b * in_h + h) * in_w + lo * sw + j * g[G_DW] - g[G_PL]) * ci + c;
      const float *dp = dy + (((long)b * g[G_OH] + r) * ow + lo) * co + o;
      for (int q = lo; q < hi; q++, xp += sw * ci, dp += co) acc += *xp * *dp;
    }
    dw[(long)(k + c) * co + o] = acc;
  }
}

/* Channels [c0, c1) of tap (i, j) over the output rows [r0, r1) of all images (R = b*oh + r), every output channel. */
static void tap_rows(const float *x, const float *dy, float *dw, const int *g, int r0, int r1, int i, int j,
                     int c0, int c1, int first) {
  const int co = g[G_CO];
  int o = 0;
  for (; o + 8 <= co; o += 8) {
    int c = c0;
    for (; c + 4 <= c1; c += 4) tile_4x2(x, dy, dw, g, r0, r1, i, j, c, o, first);
    for (; c < c1; c++) tile_1x2(x, dy, dw, g, r0, r1, i, j, c, o, first);
  }
  for (; o + 4 <= co; o += 4) {
    int c = c0;
    for (; c + 4 <= c1; c += 4) tile_4x1(x, dy, dw, g, r0, r1, i, j, c, o, first);
    for (; c < c1; c++) tile_1x1(x, dy, dw, g, r0, r1, i, j, c, o, first);
  }
  for (; o < co; o++) tile_scalar_o(x, dy, dw, g, r0, r1, i, j, c0, c1, o, first);
}

/* dW rows [k0, k1) (k = (i*kw + j)*ci + c); the rows are overwritten. */
EXPORT(conv_filter_grad_f32)
void conv_filter_grad_f32(const float *x, const float *dy, float *dw, const int *g, int k0, int k1) {
  const int ci = g[G_CI], rows_total = g[G_BATCH] * g[G_OH];
  const long row_bytes = 4L * g[G_OW] * g[G_CO] + 4L * g[G_SH] * g[G_INW] * ci;
  int rows = (int)(CHUNK_BYTES / row_bytes);
  if (rows < 1) rows = 1;
  int first = 1;
  for (int r0 = 0; r0 < rows_total; r0 += rows) {
    const int r1 = r0 + rows < rows_total ? r0 + rows : rows_total;
    for (int k = k0; k < k1;) {
      const int tap = k / ci, c = k % ci;
      const int c_end = (tap + 1) * ci < k1 ? ci : k1 - tap * ci;
      tap_rows(x, dy, dw, g, r0, r1, tap / g[G_KW], tap % g[G_KW], c, c_end, first);
      k = tap * ci + c_end;
    }
    first = 0;
  }
}
