/**
 * A convolution layer's geometry as the wasm kernels see it, and its int32 form in the heap that the SIMD module's
 * conv kernels read (native/wasm/kernels.h: batch, inH, inW, ci, co, kh, kw, sh, sw, dh, dw, oh, ow, pt, pl).
 */
import * as tf from '@tensorflow/tfjs-core';

import { offsetOf } from './simd_kernels.js';
import type { Info, WasmBackend } from './wasm_util.js';

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

/** Runs `fn` with the geometry on the heap and, if asked, an int32 scratch of `scratchInts` entries (else 0). */
export function withGeometry(g: ConvGeometry, backend: WasmBackend, fn: (geometry: number, scratch: number) => void, scratchInts = 0): void {
  const geometry = backend.makeOutput([15], 'int32') as Info;
  const scratch = scratchInts > 0 ? backend.makeOutput([scratchInts], 'int32') as Info : null;
  (backend.typedArrayFromHeap(geometry) as Int32Array).set([g.batch, g.inH, g.inW, g.ci, g.co, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow, g.pt, g.pl]);
  try {
    fn(offsetOf(backend, geometry), scratch ? offsetOf(backend, scratch) : 0);
  } finally {
    backend.disposeData(geometry.dataId);
    if (scratch) backend.disposeData(scratch.dataId);
  }
}
