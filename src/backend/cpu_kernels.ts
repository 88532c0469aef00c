/**
 * Corrected gradient kernels for the tfjs `cpu` backend (4.22), registered by `initBackend('cpu')`.
 *
 * - ResizeBilinearGrad: the stock kernel labels its output [B,W,H,C], so tfjs throws for non-square images.
 * - ResizeNearestNeighborGrad: the stock kernel is numerically wrong (fails <Rx,dy> = <x,R^T dy>).
 * Both are written here as the exact adjoint (transpose) of the cpu forward kernels' sampling rule, so the
 * conventions (alignCorners, halfPixelCenters, tfjs source-coordinate formulas) match the forward by construction.
 * Known and not fixed: the stock cpu depthwise backprop kernels ignore dilation (the wasm kernels in
 * wasm_kernels.ts handle it).
 */
import * as tf from '@tensorflow/tfjs-core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CpuBackend = any;

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Ratio in/out used by tfjs's cpu resize kernels (alignCorners maps corner pixel centres onto each other). */
function sizeRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  return effIn / effOut;
}

/** Adjoint of the cpu ResizeBilinear: scatters each dy value onto its four source taps with the bilinear weights. */
export function resizeBilinearAdjoint(
  dy: Float32Array,
  dyShape: readonly number[],
  imageShape: readonly number[],
  { alignCorners, halfPixelCenters }: ResizeAttrs,
): Float32Array {
  const [batch, inH, inW, channels] = imageShape as [number, number, number, number];
  const [, outH, outW] = dyShape as [number, number, number, number];
  const dx = new Float32Array(batch * inH * inW * channels);
  const rowRatio = sizeRatio(inH, outH, alignCorners);
  const colRatio = sizeRatio(inW, outW, alignCorners);
  let dyIdx = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const srcRow = halfPixelCenters ? rowRatio * (r + 0.5) - 0.5 : rowRatio * r;
      const top = Math.max(0, Math.floor(srcRow));
      const rowFrac = srcRow - top;
      const bottom = Math.min(inH - 1, Math.ceil(srcRow));
      for (let c = 0; c < outW; c++) {
        const srcCol = halfPixelCenters ? colRatio * (c + 0.5) - 0.5 : colRatio * c;
        const left = Math.max(0, Math.floor(srcCol));
        const colFrac = srcCol - left;
        const right = Math.min(inW - 1, Math.ceil(srcCol));
        const tl = ((b * inH + top) * inW + left) * channels;
        const tr = ((b * inH + top) * inW + right) * channels;
        const bl = ((b * inH + bottom) * inW + left) * channels;
        const br = ((b * inH + bottom) * inW + right) * channels;
        const wTl = (1 - rowFrac) * (1 - colFrac);
        const wTr = (1 - rowFrac) * colFrac;
        const wBl = rowFrac * (1 - colFrac);
        const wBr = rowFrac * colFrac;
        for (let d = 0; d < channels; d++) {
          const g = dy[dyIdx++]!;
          dx[tl + d] += g * wTl;
          dx[tr + d] += g * wTr;
          dx[bl + d] += g * wBl;
          dx[br + d] += g * wBr;
        }
      }
    }
  }
  return dx;
}

/** Adjoint of the cpu ResizeNearestNeighbor: adds each dy value to the one source pixel the forward read. */
export function resizeNearestAdjoint(
  dy: Float32Array,
  dyShape: readonly number[],
  imageShape: readonly number[],
  { alignCorners, halfPixelCenters }: ResizeAttrs,
): Float32Array {
  const [batch, inH, inW, channels] = imageShape as [number, number, number, number];
  const [, outH, outW] = dyShape as [number, number, number, number];
  const dx = new Float32Array(batch * inH * inW * channels);
  const rowRatio = sizeRatio(inH, outH, alignCorners);
  const colRatio = sizeRatio(inW, outW, alignCorners);
  const nearest = (frac: number, size: number): number => {
    let idx = Math.min(size - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) idx = Math.max(0, idx);
    return idx;
  };
  let dyIdx = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const row = nearest(halfPixelCenters ? rowRatio * (r + 0.5) : rowRatio * r, inH);
      for (let c = 0; c < outW; c++) {
        const col = nearest(halfPixelCenters ? colRatio * (c + 0.5) : colRatio * c, inW);
        const base = ((b * inH + row) * inW + col) * channels;
        for (let d = 0; d < channels; d++) dx[base + d] += dy[dyIdx++]!;
      }
    }
  }
  return dx;
}

function resizeGradKernel(adjoint: typeof resizeBilinearAdjoint): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const cpu = backend as CpuBackend;
    const dyValues = cpu.data.get(dy.dataId).values as Float32Array;
    const dx = adjoint(dyValues, dy.shape, images.shape, attrs as unknown as ResizeAttrs);
    return cpu.makeTensorInfo(images.shape, 'float32', dx) as tf.TensorInfo;
  };
}

let cpuKernelsRegistered = false;

/** Registers the corrected cpu kernels (idempotent; replaces the stock ones). */
export function registerCpuKernels(): void {
  if (cpuKernelsRegistered) return;
  const replace = (kernelName: string, kernelFunc: tf.KernelFunc): void => {
    if (tf.getKernel(kernelName, 'cpu')) tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  };
  replace(tf.ResizeBilinearGrad, resizeGradKernel(resizeBilinearAdjoint));
  replace(tf.ResizeNearestNeighborGrad, resizeGradKernel(resizeNearestAdjoint));
  cpuKernelsRegistered = true;
}
