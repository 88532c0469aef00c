/*
 * An NHWC convolution forward pass computed directly from x and the filter (no im2col matrix; the filter is copied
 * once into contiguous blocks of output channels, pack_filter_f32, far cheaper than XNNPACK's repacking, which the
 * stock kernel redid on every call because training brings new weights each step):
 *   y[b, r, q, o] = sum over taps (i, j), then channels c, of x[b, r*sh + i*dh - pt, q*sw + j*dw - pl, c] * W[i, j, c, o]
 * (taps in the padding add nothing). Each y value is the float32 sum of its products in that order, whatever the
 * tiling or the split, so the result does not depend on the thread count.
 *
 * Output rows R = b*oh + r in [r0, r1) are computed, so threads can take disjoint ranges. The loops run over blocks of
 * 8 output channels outermost, so the filter's block stays in the cache while every position of a chunk of rows reads
 * it; a tile is 4 neighbouring positions x 8 output channels (8 accumulators; 6 positions spill registers in V8).
 */
#include <wasm_simd128.h>

#include "kernels.h"

/* Bytes of x a chunk of output rows may read (inside a core's 1 MiB L2 beside a filter block). */
#define X_CHUNK_BYTES (384 * 1024)

/*
 * PT positions q, q+1, .. of output row R x 4*OV output channels from o0, reading their filter block wb [K][4*OV]. A tap
 * whose column falls in the padding for any of the PT positions is skipped, so 4-position tiles are only used where
 * every tap is inside (the caller's [lo, hi)) and edge positions go one at a time.
 */
#define TILE(PT, OV)                                                                                                  \
  static void tile_##PT##x##OV(const float *x, const float *wb, float *y, const int *g, int R, int q, int o0) {       \
    const int ci = g[G_CI], co = g[G_CO], in_h = g[G_INH], in_w = g[G_INW], sw = g[G_SW];                            \
    const int b = R / g[G_OH], r = R % g[G_OH];                                                                        \
    v128_t acc[PT][OV];                                                                                               \
    for (int t = 0; t < PT; t++)                                                                                      \
      for (int v = 0; v < OV; v++) acc[t][v] = wasm_f32x4_splat(0.0f);                                                \
    for (int i = 0; i < g[G_KH]; i++) {                                                                               \
      const int h = r * g[G_SH] + i * g[G_DH] - g[G_PT];                                                              \
      if (h < 0 || h >= in_h) continue;                                                                               \
      for (int j = 0; j < g[G_KW]; j++) {                                                                             \
        const int col = q * sw + j * g[G_DW] - g[G_PL];                                                               \
        /* only a 1-position tile can reach into the padding (at an edge) */                                         \
        if (col < 0 || col + (PT - 1) * sw >= in_w) continue;                                                         \
        const float *xp = x + (((long)b * in_h + h) * in_w + col) * ci;                                               \
        const long step = (long)sw * ci;                                                                              \
        const float *wp = wb + (long)(i * g[G_KW] + j) * ci * (4 * OV);                                               \
        for (int c = 0; c < ci; c++, wp += 4 * OV) {                                                                  \
          v128_t wv[OV];                                                                                              \
          for (int v = 0; v < OV; v++) wv[v] = wasm_v128_load(wp + 4 * v);                                            \
          for (int t = 0; t < PT; t++) {                                                                              \
            const v128_t s = wasm_v128_load32_splat(xp + t * step + c);                                               \
            for (int v = 0; v < OV; v++) acc[t][v] = wasm_f32x4_add(acc[t][v], wasm_f32x4_mul(s, wv[v]));             \
          }                                                                                                           \
        }                                                                                                             \
      }                                                                                                               \
    }                                                                                                                 \
    float *yp = y + (((long)b * g[G_OH] + r) * g[G_OW] + q) * co + o0;                                                \
    for (int t = 0; t < PT; t++)                                                                                      \
      for (int v = 0; v < OV; v++) wasm_v128_store(yp + (long)t * co + 4 * v, acc[t][v]);                             \
  }

TILE(4, 2)
TILE(1, 2)
TILE(4, 1)
TILE(1, 1)

/*
 * Output channel o of one position, for the channels past the last multiple of 4. With one output channel (a
 * disparity head) W's column is contiguous: 4 input channels at a time in 4 lanes, the lanes added at the end
 * ((l0 + l1) + (l2 + l3)), then the channels past the last 4. Otherwise one product at a time, in order.
 */
static void single_output(const float *x, const float *w, float *y, const int *g, int R, int q, int o) {
  const int ci = g[G_CI], co = g[G_CO], in_h = g[G_INH], in_w = g[G_INW];
  const int b = R / g[G_OH], r = R % g[G_OH];
  v128_t acc = wasm_f32x4_splat(0.0f);
  float tail = 0.0f;
  for (int i = 0; i < g[G_KH]; i++) {
    const int h = r * g[G_SH] + i * g[G_DH] - g[G_PT];
    if (h < 0 || h >= in_h) continue;
    for (int j = 0; j < g[G_KW]; j++) {
      const int col = q * g[G_SW] + j * g[G_DW] - g[G_PL];
      if (col < 0 || col >= in_w) continue;
      const float *xp = x + (((long)b * in_h + h) * in_w + col) * ci;
      const float *wp = w + (long)(i * g[G_KW] + j) * ci * co + o;
      int c = 0;
      if (co == 1)
        for (; c + 4 <= ci; c += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(xp + c), wasm_v128_load(wp + c)));
      for (; c < ci; c++) tail += xp[c] * wp[(long)c * co];
    }
  }
  const float lanes = (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) +
                      (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
  y[(((long)b * g[G_OH] + r) * g[G_OW] + q) * co + o] = co == 1 ? lanes + tail : tail;
}

/* Output rows [r0, r1) for the output channels [o0, o0 + 4*OV): interior positions 4 at a time, edges one by one. */
#define ROWS(OV)                                                                                                      \
  static void rows_##OV(const float *x, const float *wb, float *y, const int *g, int r0, int r1, int o0, int lo,      \
                        int hi) {                                                                                     \
    for (int R = r0; R < r1; R++) {                                                                                   \
      int q = 0;                                                                                                      \
      for (; q < lo; q++) tile_1x##OV(x, wb, y, g, R, q, o0);                                                         \
      for (; q + 4 <= hi; q += 4) tile_4x##OV(x, wb, y, g, R, q, o0);                                                 \
      for (; q < g[G_OW]; q++) tile_1x##OV(x, wb, y, g, R, q, o0);                                                    \
    }                                                                                                                 \
  }

/*
 * The filter [K, co] (HWIO, K = kh*kw*ci) in blocks of output channels, each contiguous: the 8-channel blocks as
 * [K][8], then one 4-channel block as [K][4] if co % 8 >= 4, so the block of output channels from o0 starts at
 * o0 * K. The tiles read a block row by row; in HWIO its rows are co apart (one cache line per input channel per tile
 * on deep layers). The channels past the last multiple of 4 are read from the filter itself.
 */
EXPORT(pack_filter_f32) void pack_filter_f32(const float *w, int K, int co, float *packed) {
  int o = 0;
  for (; o + 8 <= co; o += 8)
    for (int k = 0; k < K; k++)
      for (int v = 0; v < 2; v++)
        wasm_v128_store(packed + (long)o * K + 8L * k + 4 * v, wasm_v128_load(w + (long)k * co + o + 4 * v));
  if (o + 4 <= co)
    for (int k = 0; k < K; k++) wasm_v128_store(packed + (long)o * K + 4L * k, wasm_v128_load(w + (long)k * co + o));
}

ROWS(2)
ROWS(1)

/*
 * y rows [r0, r1) (R = b*oh + r); every output value of those rows is written. `packed` is the filter as
 * pack_filter_f32 lays it out (read only, so any number of threads share it), `w` the filter itself.
 */
EXPORT(conv_forward_f32)
void conv_forward_f32(const float *x, const float *packed, const float *w, float *y, const int *g, int r0, int r1) {
  const int co = g[G_CO], ow = g[G_OW], K = g[G_KH] * g[G_KW] * g[G_CI];
  /* Positions whose every tap column is inside the input: the 4-wide tiles need no check there. */
  int lo = 0, hi = ow;
  for (int j = 0; j < g[G_KW]; j++) {
    int a, b;
    valid_columns(ow, g[G_SW], j * g[G_DW] - g[G_PL], g[G_INW], &a, &b);
    if (a > lo) lo = a;
    if (b < hi) hi = b;
  }
  if (hi < lo) hi = lo;
  /* A chunk of rows reads about (rows*sh + kh) input rows; the filter block is re-read once per chunk. */
  const long in_row_bytes = 4L * g[G_INW] * g[G_CI] * (g[G_SH] > 0 ? g[G_SH] : 1);
  const long filter_bytes = 4L * g[G_KH] * g[G_KW] * g[G_CI] * co;
  int rows = (int)(X_CHUNK_BYTES / in_row_bytes);
  if (rows < 1) rows = 1;
  if (filter_bytes > X_CHUNK_BYTES) rows = r1 - r0;
  for (int c0 = r0; c0 < r1; c0 += rows) {
    const int c1 = c0 + rows < r1 ? c0 + rows : r1;
    int o = 0;
    for (; o + 8 <= co; o += 8) rows_2(x, packed + (long)o * K, y, g, c0, c1, o, lo, hi);
    for (; o + 4 <= co; o += 4) rows_1(x, packed + (long)o * K, y, g, c0, c1, o, lo, hi);
    for (; o < co; o++)
      for (int R = c0; R < c1; R++)
        for (int q = 0; q < ow; q++) single_output(x, w, y, g, R, q, o);
  }
}
