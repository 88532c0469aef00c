/**
 * Convolution passes computed straight from the NHWC tensors by the project's SIMD module (native/wasm/conv_*.c):
 * no im2col matrix and no packing of an operand that changes every step. On tfjs-wasm's threaded build the output
 * is cut into one share per thread (this one and the helpers of simd_helper.ts, as many as XNNPACK's threads); each
 * output value is computed the same way whichever thread computes it, so the thread count changes no bit.
 */
import { offsetOf, runSplit } from './simd_kernels.js';
import { withGeometry, type ConvGeometry } from './wasm_conv_geometry.js';
import type { Info, WasmBackend } from './wasm_util.js';

/** Below this many FLOPs a pass runs on one thread: waking a helper costs more than the share it would take. */
const SPLIT_FLOPS = 4e6;

/**
 * `name(a, b, out, geometry, start, end[, scratch])` over [0, total), split across the threads when the pass is large
 * enough; `scratchFloats` > 0 gives each thread its own scratch of that many floats.
 */
function runConv(name: 'conv_forward_f32' | 'conv_filter_grad_f32', backend: WasmBackend, g: ConvGeometry, a: Info, b: Info, out: Info,
  total: number, align: number, scratchFloats = 0): void {
  const flops = 2 * g.batch * g.oh * g.ow * g.kh * g.kw * g.ci * g.co;
  const scratch = scratchFloats > 0 ? backend.makeOutput([2 * scratchFloats], 'float32') as Info : null;
  try {
    withGeometry(g, backend, (geometry) => {
      const args = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), geometry];
      const own = (start: number): number[] => (scratch ? [offsetOf(backend, scratch) + (start === 0 ? 0 : 4 * scratchFloats)] : []);
      runSplit(backend, name, total, (start, count) => [...args, start, start + count, ...own(start)], flops >= SPLIT_FLOPS, align);
    });
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
}

/** Forward y [B, OH, OW, Co] from x [B, H, W, Ci] and the filter [kh, kw, Ci, Co]; the threads share the output rows. */
export function conv2dDirect(x: Info, filter: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const out = backend.makeOutput([g.batch, g.oh, g.ow, g.co], 'float32') as Info;
  runConv('conv_forward_f32', backend, g, x, filter, out, g.batch * g.oh, 1, 8 * g.kh * g.kw * g.ci);
  return out;
}

/** Filter gradient dW [kh, kw, Ci, Co] from x and dy; the threads share dW's rows (k = (i*kw + j)*Ci + c). */
export function conv2dBackpropFilterDirect(x: Info, dy: Info, g: ConvGeometry, backend: WasmBackend): Info {
  const out = backend.makeOutput([g.kh, g.kw, g.ci, g.co], 'float32') as Info;
  // Shares start on a multiple of 4 channels, so every share runs the 4-channel tiles.
  runConv('conv_filter_grad_f32', backend, g, x, dy, out, g.kh * g.kw * g.ci, 4);
  return out;
}
