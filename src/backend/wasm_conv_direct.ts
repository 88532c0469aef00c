/**
 * Convolution passes computed straight from the NHWC tensors by the project's SIMD module (native/wasm/conv_*.c):
 * no im2col matrix and no packing of an operand that changes every step. On tfjs-wasm's threaded build the output
 * is cut into one share per thread (this one and the helpers of simd_helper.ts, as many as XNNPACK's threads); each
 * output value is computed the same way whichever thread computes it, so the thread count changes no bit.
 */
import { offsetOf, runSplit, simdKernels } from './simd_kernels.js';
import { withGeometry, type ConvGeometry } from './wasm_conv_geometry.js';
import type { Info, WasmBackend } from './wasm_util.js';

/** Below this many FLOPs a pass runs on one thread: waking a helper costs more than the share it would take. */
const SPLIT_FLOPS = 4e6;

/** `name(...pointers, geometry, start, end)` over [0, total), split across the threads when the pass is large enough. */
function runConv(name: 'conv_forward_f32' | 'conv_filter_grad_f32', backend: WasmBackend, g: ConvGeometry, tensors: Info[], total: number,
  align: number): void {
  const flops = 2 * g.batch * g.oh * g.ow * g.kh * g.kw * g.ci * g.co;
  withGeometry(g, backend, (geometry) => {
    const args = [...tensors.map((t) => offsetOf(backend, t)), geometry];
    runSplit(backend, name, total, (start, count) => [...args, start, start + count], flops >= SPLIT_FLOPS, align);
  });
}

/**
 * Forward y [B, OH, OW, Co] from x [B, H, W, Ci] and the filter [kh, kw, Ci, Co]; the filter is laid out in contiguous
 * blocks of output channels once, then the threads share the output rows (all reading the one packed copy).
 */
export function conv2dDirect(x: Info, filter: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const K = g.kh * g.kw * g.ci;
  const packed = backend.makeOutput([Math.max(1, K * (g.co - (g.co % 4)))], 'float32') as Info;
  const out = backend.makeOutput([g.batch, g.oh, g.ow, g.co], 'float32') as Info;
  try {
    simdKernels(backend).pack_filter_f32(offsetOf(backend, filter), K, g.co, offsetOf(backend, packed));
    runConv('conv_forward_f32', backend, g, [x, packed, filter, out], g.batch * g.oh, 1);
  } finally {
    backend.disposeData(packed.dataId);
  }
  return out;
}

/** Filter gradient dW [kh, kw, Ci, Co] from x and dy; the threads share dW's rows (k = (i*kw + j)*Ci + c). */
export function conv2dBackpropFilterDirect(x: Info, dy: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const out = backend.makeOutput([g.kh, g.kw, g.ci, g.co], 'float32') as Info;
  // Shares start on a multiple of 4 channels, so every share runs the 4-channel tiles.
  runConv('conv_filter_grad_f32', backend, g, [x, dy, out], g.kh * g.kw * g.ci, 4);
  return out;
}
