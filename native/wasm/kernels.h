/* Shared by the SIMD module's sources (scripts/build_wasm_kernels.sh). */
#ifndef STEREODEPTH_KERNELS_H
#define STEREODEPTH_KERNELS_H

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * Convolution geometry (src/backend/wasm_conv_gemm.ts ConvGeometry), passed to the kernels as an int32 array in the
 * heap: batch, inH, inW, ci, co, kh, kw, sh, sw, dh, dw, oh, ow, pt, pl.
 */
enum { G_BATCH, G_INH, G_INW, G_CI, G_CO, G_KH, G_KW, G_SH, G_SW, G_DH, G_DW, G_OH, G_OW, G_PT, G_PL };

/* The output columns q whose tap column q*sw + off lies inside [0, in_w): [*lo, *hi). */
static inline void valid_columns(int ow, int sw, int off, int in_w, int *lo, int *hi) {
  const int a = off >= 0 ? 0 : (-off + sw - 1) / sw;
  const int b = in_w - off <= 0 ? 0 : (in_w - off + sw - 1) / sw;
  *lo = a;
  *hi = b < ow ? b : ow;
}

#endif
