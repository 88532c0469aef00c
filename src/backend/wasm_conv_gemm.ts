/**
 * The input gradient of convolutions with few output positions or a stride (ResNet's deep and strided layers) as an
 * XNNPACK matrix product on the wasm backend:
 *   G [K, N] = W [K, Co] @ dy^T [Co, N],  dx = col2im(G)
 * with K = kh*kw*Ci in the HWIO order of W and N = B*OH*OW. A matrix product packs only its second operand, so the
 * packed one is dy^T (the small one there) and the weights, new every step, are read unpacked.
 */
import { offsetOf, simdKernels } from './simd_kernels.js';
import { withGeometry, type ConvGeometry } from './wasm_conv_geometry.js';
import { heap, runWasm, type Info, type WasmBackend } from './wasm_util.js';

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
  // dx += col2im(G): each G[k, n] goes back to the input value tap k reads for output position n (padding dropped).
  withGeometry(g, backend, (geometry, scratch) => simdKernels(backend).col2im_t_f32(offsetOf(backend, G), geometry, offsetOf(backend, out), scratch), N);
  backend.disposeData(G.dataId);
  return out;
}
