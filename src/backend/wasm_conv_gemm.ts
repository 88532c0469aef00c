/**
 * Convolutions of layers with few output positions and many weights (ResNet layer3/layer4 and the deepest decoder
 * stages) as XNNPACK matrix products on the wasm backend.
 *
 * Why: every training step brings new weights, and the stock wasm Conv2D repacks its filter on each call (a strided
 * transpose to OHWI plus XNNPACK packing, measured ~20 ns per weight: 49 ms for a 3x3x512x512 filter against 27 ms of
 * arithmetic at 3x10 output). The input gradient by a conv with the flipped filter pays it again. A matrix product packs
 * only its second operand (~5 ns per element), so here the operand that is packed is the small one (the im2col matrix or
 * the output gradient at N = B*OH*OW positions), and the weights are the unpacked first operand:
 *   forward      y^T [Co, N]  = W^T [Co, K] @ colsT [K, N]
 *   input grad   G   [K, N]   = W   [K, Co] @ dy^T [Co, N],  dx = col2im(G)
 *   filter grad  dW  [K, Co]  = colsT [K, N] @ dy [N, Co]
 * with K = kh*kw*Ci in the HWIO order of W, and colsT[k, n] the input value tap k reads for output position n (0 in the
 * padding). `convCosts` estimates each formulation's overhead so the caller can pick per layer.
 */
import * as tf from '@tensorflow/tfjs-core';

import { offsetOf, simdKernels } from './simd_kernels.js';
import { heap, runWasm, type Info, type WasmBackend } from './wasm_util.js';

export interface ConvGeometry {
  batch: number; inH: number; inW: number; ci: number; co: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  oh: number; ow: number; pt: number; pl: number;
}

export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, ci: info.inChannels, co: info.outChannels,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, oh: info.outHeight, ow: info.outWidth,
    pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

/** Runs `fn` with the layer geometry and an int32 scratch row of N entries on the heap (the SIMD module's arguments). */
function withGeometry(g: ConvGeometry, backend: WasmBackend, fn: (geometry: number, scratch: number) => void): void {
  const geometry = backend.makeOutput([15], 'int32') as Info;
  const scratch = backend.makeOutput([g.batch * g.oh * g.ow], 'int32') as Info;
  (backend.typedArrayFromHeap(geometry) as Int32Array).set([g.batch, g.inH, g.inW, g.ci, g.co, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow, g.pt, g.pl]);
  fn(offsetOf(backend, geometry), offsetOf(backend, scratch));
  backend.disposeData(geometry.dataId);
  backend.disposeData(scratch.dataId);
}

/** dst = src^T for a [rows, cols] src (the SIMD module's blocked transpose). */
function transpose(src: Info, rows: number, cols: number, dst: Info, backend: WasmBackend): void {
  simdKernels(backend).transpose_f32(offsetOf(backend, src), rows, cols, offsetOf(backend, dst));
}

/** Plain 2-D product a [M, K] @ b [K, N] on the XNNPACK fully-connected path (b is packed, cached by its tensor id). */
function matMul(a: Info, b: Info, backend: WasmBackend): Info {
  return runWasm('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
}

/** A 2-D view [rows, cols] of a tensor's data (no copy; only its heap id is read by the wasm kernels). */
function view2d(t: Info, rows: number, cols: number): Info {
  return { dataId: t.dataId, shape: [rows, cols], dtype: t.dtype };
}

/** colsT [K, N]: colsT[(i*kw + j)*Ci + c, n] = x at tap (i, j), channel c, for output position n (0 in the padding). */
function colsTOf(x: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const K = g.kh * g.kw * g.ci;
  const N = g.batch * g.oh * g.ow;
  const colsT = backend.makeOutput([K, N], 'float32') as Info;
  withGeometry(g, backend, (geometry, scratch) => simdKernels(backend).im2col_t_f32(offsetOf(backend, x), geometry, offsetOf(backend, colsT), scratch));
  return colsT;
}

/** Forward conv y [B, OH, OW, Co] = (W^T @ colsT)^T. */
export function conv2dGemm(x: Info, filter: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const K = g.kh * g.kw * g.ci;
  const N = g.batch * g.oh * g.ow;
  const wT = backend.makeOutput([g.co, K], 'float32') as Info;
  transpose(filter, K, g.co, wT, backend);
  const colsT = colsTOf(x, g, backend);
  const yT = matMul(wT, colsT, backend);
  backend.disposeData(wT.dataId);
  backend.disposeData(colsT.dataId);
  const out = backend.makeOutput([g.batch, g.oh, g.ow, g.co], 'float32') as Info;
  transpose(yT, g.co, N, out, backend);
  backend.disposeData(yT.dataId);
  return out;
}

/** Input gradient dx [B, H, W, Ci] = col2im(W @ dy^T). */
export function conv2dBackpropInputGemm(dy: Info, filter: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const K = g.kh * g.kw * g.ci;
  const N = g.batch * g.oh * g.ow;
  const dyT = backend.makeOutput([g.co, N], 'float32') as Info;
  transpose(dy, N, g.co, dyT, backend);
  const G = matMul(view2d(filter, K, g.co), dyT, backend);
  backend.disposeData(dyT.dataId);
  const out = backend.makeOutput([g.batch, g.inH, g.inW, g.ci], 'float32') as Info;
  heap(backend, out).fill(0);
  // dx += col2im(G): each G[k, n] goes back to the input value colsT[k, n] was read from (padding dropped).
  withGeometry(g, backend, (geometry, scratch) => simdKernels(backend).col2im_t_f32(offsetOf(backend, G), geometry, offsetOf(backend, out), scratch));
  backend.disposeData(G.dataId);
  return out;
}

/** Filter gradient dW [kh, kw, Ci, Co] = colsT @ dy. dy is copied so the packed-operand cache sees a fresh tensor. */
export function conv2dBackpropFilterGemm(x: Info, dy: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const N = g.batch * g.oh * g.ow;
  const colsT = colsTOf(x, g, backend);
  const dyCopy = backend.makeOutput([N, g.co], 'float32') as Info;
  heap(backend, dyCopy).set(heap(backend, dy));
  const dW = matMul(colsT, dyCopy, backend);
  backend.disposeData(colsT.dataId);
  backend.disposeData(dyCopy.dataId);
  dW.shape = [g.kh, g.kw, g.ci, g.co];
  return dW;
}

/**
 * Filter gradient of a stride-1, undilated conv as one matrix product per tap with a shared packed operand, for layers
 * with many output positions (where im2col would be large): on the zero-padded input grid of Q = B*Hp*Wp positions,
 *   dW[i, j]^T [Co, Ci] = A_ij [Co, Q] @ X [Q, Ci],   A_ij[co, q] = dyP[co, q - (i*Wp + j)],
 * X the padded input and dyP the output gradient placed on the same grid (channel-major, zero elsewhere). X is packed
 * once for all taps (the packed-operand cache is keyed by tensor id); each A_ij is a shifted copy of dyP's rows. The
 * padding ring costs Q/N - 1 extra arithmetic (2-11% on the layers it is used for).
 */
export function conv2dBackpropFilterShifted(x: Info, dy: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const { batch, inH, inW, ci, co, kh, kw, oh, ow, pt, pl } = g;
  const hp = Math.max(pt + inH, oh + kh - 1);
  const wp = Math.max(pl + inW, ow + kw - 1);
  const Q = batch * hp * wp;
  // X: the input on the padded grid (rows of Ci channels).
  const X = backend.makeOutput([Q, ci], 'float32') as Info;
  {
    const xv = heap(backend, x);
    const Xv = heap(backend, X);
    Xv.fill(0);
    const run = inW * ci;
    for (let b = 0; b < batch; b++) for (let h = 0; h < inH; h++) {
      const src = (b * inH + h) * run;
      Xv.set(xv.subarray(src, src + run), ((b * hp + h + pt) * wp + pl) * ci);
    }
  }
  // dyP [Co, Q]: dy at grid position (b, oh, ow), channel-major.
  const dyP = new Float32Array(co * Q);
  {
    const N = batch * oh * ow;
    const dyT = backend.makeOutput([co, N], 'float32') as Info;
    transpose(dy, N, co, dyT, backend);
    const dyTv = heap(backend, dyT);
    for (let c = 0; c < co; c++) for (let b = 0; b < batch; b++) for (let r = 0; r < oh; r++) {
      const src = c * N + (b * oh + r) * ow;
      dyP.set(dyTv.subarray(src, src + ow), c * Q + (b * hp + r) * wp);
    }
    backend.disposeData(dyT.dataId);
  }
  const out = backend.makeOutput([kh, kw, ci, co], 'float32') as Info;
  const A = backend.makeOutput([co, Q], 'float32') as Info;
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    const shift = i * wp + j;
    {
      const Av = heap(backend, A);
      for (let c = 0; c < co; c++) {
        const row = c * Q;
        Av.fill(0, row, row + shift);
        Av.set(dyP.subarray(row, row + Q - shift), row + shift);
      }
    }
    const tap = matMul(A, X, backend); // [Co, Ci], transposed into out[i, j]
    simdKernels(backend).transpose_f32(offsetOf(backend, tap), co, ci, offsetOf(backend, out) + 4 * (i * kw + j) * ci * co);
    backend.disposeData(tap.dataId);
  }
  backend.disposeData(A.dataId);
  backend.disposeData(X.dataId);
  return out;
}

/**
 * Whether the GEMM formulation beats the conv-based one, per pass, from a cost model fitted to single-thread
 * measurements of every ResNet18 + monodepth2 layer at 96x320 batch 4 (fresh weights each call, as in training). Costs
 * are in ns beyond the arithmetic both share: the stock conv repacks its filter at ~8 ns per weight, ~20 ns once the
 * filter exceeds ~1M weights (its strided transpose leaves the cache); the GEMM path builds, packs or scatters the
 * [K, N] im2col matrix at ~12 ns (forward) / ~3 ns (col2im) per element and packs the [Co, N] operand at ~7 ns.
 * The dilated-conv filter gradient runs a conv with only B input channels, slow for Co >= 128; the im2col GEMM one is
 * worth it there while the im2col matrix stays moderate, and the per-tap shifted GEMM (stride 1 only) on large maps
 * with few output or many input channels (decoder stages 0-3: 56 -> 51 ms for upconv_0_1, 115 -> 98 ms for upconv_1_1,
 * 22 -> 14 ms for dispconv_0).
 */
export function preferGemm(g: ConvGeometry): { forward: boolean; inputGrad: boolean; filterGrad: boolean; filterGradShifted: boolean } {
  const K = g.kh * g.kw * g.ci;
  const N = g.batch * g.oh * g.ow;
  const weights = K * g.co;
  const repack = weights * (weights >= 1 << 20 ? 20 : 8);
  return {
    forward: 12 * K * N + 3 * weights < repack,
    inputGrad: 7 * g.co * N + 3 * K * N < repack + 3 * weights,
    filterGrad: g.co >= 128 && K * N <= 8e6,
    filterGradShifted: N >= 1000 && (g.co <= 32 || g.ci >= 2 * g.co || (g.co >= 128 && K * N > 4e6)),
  };
}
