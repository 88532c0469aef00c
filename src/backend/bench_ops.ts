/**
 * Backend micro-benchmarks for `stereodepth bench`: a matmul GFLOP/s probe and per-layer conv timings
 * (forward, input gradient dX, filter gradient dW). FLOPs count one multiply-add as 2 FLOPs; a conv layer's
 * forward costs 2 * outputs * kh * kw * Ci, and dX and dW cost the same. Timings are wall-clock medians of
 * `repeats` runs after one warm-up run, with the result read back (dataSync) so the work has finished.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface TimingStats {
  /** Median over the timed runs, in ms. */
  medianMs: number;
  minMs: number;
  gflops: number;
}

export interface ConvLayerSpec {
  /** Input [B,H,W,Ci]. */
  inputShape: [number, number, number, number];
  /** Filter [kh,kw,Ci,Co]. */
  filterShape: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

export interface ConvLayerTiming {
  layer: ConvLayerSpec;
  /** FLOPs of one forward pass (dX and dW each cost the same). */
  flops: number;
  forward: TimingStats;
  inputGrad: TimingStats;
  filterGrad: TimingStats;
}

function timeRuns(run: () => tf.Tensor, repeats: number, flops: number): TimingStats {
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive integer, got ${repeats}`);
  const warm = run();
  warm.dataSync();
  warm.dispose();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const out = run();
    out.dataSync();
    times.push(performance.now() - t0);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  return { medianMs, minMs: times[0]!, gflops: flops / (medianMs * 1e6) };
}

/** Square matmul [n,n]x[n,n] on the active backend. */
export function benchMatMul(n = 512, repeats = 3): TimingStats {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2) as tf.Tensor2D;
  try {
    return timeRuns(() => tf.matMul(a, b), repeats, 2 * n * n * n);
  } finally {
    tf.dispose([a, b]);
  }
}

/** Times forward, dX and dW of one conv layer on the active backend (the gradient kernels are called directly). */
export function benchConvLayer(layer: ConvLayerSpec, repeats = 3): ConvLayerTiming {
  const { inputShape, filterShape, stride, pad } = layer;
  if (inputShape[3] !== filterShape[2]) {
    throw new Error(`conv layer: input channels ${inputShape[3]} differ from filter in-channels ${filterShape[2]}`);
  }
  const x = tf.randomUniform(inputShape, -1, 1, 'float32', 3) as tf.Tensor4D;
  const filter = tf.randomUniform(filterShape, -1, 1, 'float32', 4) as tf.Tensor4D;
  const y = tf.conv2d(x, filter, stride, pad);
  const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 5);
  const flops = 2 * y.size * filterShape[0] * filterShape[1] * filterShape[2];
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const kernel = (name: string, inputs: tf.NamedTensorMap, extra: object) => () =>
    tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
  try {
    return {
      layer,
      flops,
      forward: timeRuns(() => tf.conv2d(x, filter, stride, pad), repeats, flops),
      inputGrad: timeRuns(kernel(tf.Conv2DBackpropInput, { dy, filter }, { inputShape }), repeats, flops),
      filterGrad: timeRuns(kernel(tf.Conv2DBackpropFilter, { x, dy }, { filterShape }), repeats, flops),
    };
  } finally {
    tf.dispose([x, filter, y, dy]);
  }
}
