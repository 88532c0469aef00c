/**
 * The measurements behind `stereodepth bench`, on the active backend: a ResNet18 + monodepth2 training step (forward,
 * monodepth2 stereo photometric loss against the horizontally warped right view, backward, Adam update), the forward
 * pass alone, the model's conv FLOPs (counted from the executed kernels), and tf.memory() at the first and last step.
 */
import * as tf from '@tensorflow/tfjs-core';

import { stereoTransform, KITTI_NORMALISED_K } from '../geometry/camera.js';
import { monodepth2Loss, MONODEPTH2_AS_WRITTEN_PRESET } from '../losses/monodepth2.js';
import { wasmHeapBytes } from '../backend/index.js';
import { createModel } from '../models/registry.js';
import { Adam } from './optimizer.js';
import { trainStep } from './step.js';

export interface TrainStepBenchOptions {
  height: number;
  width: number;
  batchSize: number;
  /** Timed steps after one warm-up step. */
  steps: number;
  microBatches: number;
  /** Forward-only timed runs. */
  forwardRuns: number;
  model?: string;
}

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
}

export interface TrainStepBench {
  height: number;
  width: number;
  batchSize: number;
  microBatches: number;
  parameters: number;
  /** Conv FLOPs of one forward pass of the batch (one multiply-add = 2 FLOPs). */
  forwardConvGflop: number;
  stepMs: { median: number; min: number; all: number[] };
  /**
   * Process CPU time per step (all threads, median). On a machine shared with other jobs the wall time grows while
   * this stays near the work done: wall ~ cpu / threads means the step had the cores to itself.
   */
  cpuMs: { median: number };
  forwardMs: { median: number; min: number };
  imagesPerSecond: number;
  /** Conv GFLOP/s of a step, counting forward + dX + dW as 3x the forward conv FLOPs. */
  stepGflops: number;
  memoryFirstStep: MemorySnapshot;
  memoryLastStep: MemorySnapshot;
  /** wasm heap size after the last step (its high-water mark; the limit is 4 GiB), null on other backends. */
  wasmHeapBytes: number | null;
  losses: number[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Textured stereo-like input: smooth random images, the right view the left shifted by a few pixels. */
function makeBatch(b: number, h: number, w: number): { left: tf.Tensor4D; right: tf.Tensor4D } {
  return tf.tidy(() => {
    const noise = tf.randomUniform([b, h, w + 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const smooth = tf.avgPool(noise, 3, 1, 'same');
    const left = tf.slice(smooth, [0, 0, 8, 0], [b, h, w, 3]);
    const right = tf.slice(smooth, [0, 0, 0, 0], [b, h, w, 3]);
    return { left, right };
  });
}

/** Colour pyramid by 2x2 area averaging (the smoothness term reads the image at each scale). */
function pyramid(image: tf.Tensor4D, scales: number): tf.Tensor4D[] {
  const out = [image];
  for (let s = 1; s < scales; s++) out.push(tf.avgPool(out[s - 1]!, 2, 2, 'valid'));
  return out;
}

/** Counts the conv FLOPs of one forward pass by profiling the kernels it runs. */
async function countForwardConvFlops(run: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const info = await tf.profile(() => run() as tf.Tensor[]);
  let flops = 0;
  for (const k of info.kernels) {
    if (k.name === 'Conv2D' || k.name === 'FusedConv2D') {
      const filter = k.inputShapes[1]!;
      const out = k.outputShapes[0]!;
      flops += 2 * out.reduce((a, v) => a * v, 1) * filter[0]! * filter[1]! * filter[2]!;
    }
  }
  return flops;
}

/** A ready-to-run training step of the bench model on a fixed synthetic batch (also used to profile kernels). */
export interface PreparedTrainStep {
  /** Runs one full step (forward, loss, backward, Adam update) and returns the loss. */
  step: () => number;
  /** Runs the forward pass alone (inference mode) and waits for its result. */
  forward: () => void;
  model: ReturnType<typeof createModel>;
  dispose: () => void;
}

export function prepareTrainStep(opts: Pick<TrainStepBenchOptions, 'height' | 'width' | 'batchSize' | 'microBatches' | 'model'>): PreparedTrainStep {
  const { height: h, width: w, batchSize: b } = opts;
  const model = createModel(opts.model ?? 'monodepth2_resnet18', { decoder: { dispBiasInit: -2 } });
  const variables = model.trainableVariables();
  const adam = new Adam();
  const { left, right } = makeBatch(b, h, w);
  const leftPyramid = pyramid(left, 4);
  const T = stereoTransform('l', false);
  const lossOf = (start: number, size: number) =>
    tf.tidy(() => {
      const slice = (t: tf.Tensor4D) => tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
      const target = slice(left);
      const out = model.apply(target, { training: true });
      tf.dispose(out.features);
      const result = monodepth2Loss(
        {
          target,
          targetPyramid: leftPyramid.map(slice),
          disparities: out.disparities,
          sources: [{ name: 's', image: slice(right), T }],
          normalisedK: KITTI_NORMALISED_K,
        },
        { ...MONODEPTH2_AS_WRITTEN_PRESET, horizontalFastPath: true },
      );
      // The loss keeps its parts for the caller (they survive tidy); the bench logs none of them.
      tf.dispose(Object.values(result.parts));
      return { total: result.total, parts: {} };
    });
  return {
    step: () => trainStep(variables, adam, lossOf, b, 1e-4, { microBatches: opts.microBatches }).loss,
    forward: () => {
      const o = model.apply(left, { training: false });
      o.disparities[0]!.dataSync();
      tf.dispose([...o.disparities, ...o.features]);
    },
    model,
    dispose: () => {
      tf.dispose([left, right, ...leftPyramid.slice(1)]);
      adam.dispose();
      model.dispose();
    },
  };
}

export async function benchTrainStep(opts: TrainStepBenchOptions): Promise<TrainStepBench> {
  const { height: h, width: w, batchSize: b } = opts;
  const prepared = prepareTrainStep(opts);
  const { model } = prepared;
  const input = tf.randomUniform([b, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  try {
    const forwardFlops = await countForwardConvFlops(() => {
      const o = model.apply(input, { training: false });
      return [...o.disparities, ...o.features];
    });
    // Warm-up (kernel compilation, heap growth) is not timed.
    prepared.step();
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const losses: number[] = [];
    let first: MemorySnapshot | undefined;
    let last: MemorySnapshot | undefined;
    for (let i = 0; i < opts.steps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      losses.push(prepared.step());
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
      const m = tf.memory();
      const snap = { numTensors: m.numTensors, numBytes: m.numBytes };
      if (!first) first = snap;
      last = snap;
    }
    const fwd: number[] = [];
    for (let i = 0; i < opts.forwardRuns; i++) {
      const t0 = performance.now();
      prepared.forward();
      fwd.push(performance.now() - t0);
    }
    const stepMedian = median(times);
    return {
      height: h,
      width: w,
      batchSize: b,
      microBatches: opts.microBatches,
      parameters: model.parameterCount(),
      forwardConvGflop: forwardFlops / 1e9,
      stepMs: { median: stepMedian, min: Math.min(...times), all: times },
      cpuMs: { median: median(cpuTimes) },
      forwardMs: { median: fwd.length ? median(fwd) : NaN, min: fwd.length ? Math.min(...fwd) : NaN },
      imagesPerSecond: (b * 1000) / stepMedian,
      stepGflops: (3 * forwardFlops) / (stepMedian * 1e6),
      memoryFirstStep: first!,
      memoryLastStep: last!,
      wasmHeapBytes: wasmHeapBytes(),
      losses,
    };
  } finally {
    input.dispose();
    prepared.dispose();
  }
}

export interface KernelTime {
  kernel: string;
  calls: number;
  /** Summed kernel time; a project kernel that calls others (e.g. a conv gradient running Conv2D) includes them. */
  ms: number;
}

/**
 * Kernel times of one training step (after one warm-up step), by kernel name, largest first, from tf.profile (each
 * kernel timed by the backend; on wasm the wall time of the call).
 */
export async function profileTrainStep(
  opts: Pick<TrainStepBenchOptions, 'height' | 'width' | 'batchSize' | 'microBatches' | 'model'>,
): Promise<{ stepMs: number; kernels: KernelTime[] }> {
  const prepared = prepareTrainStep(opts);
  try {
    prepared.step();
    const t0 = performance.now();
    const info = await tf.profile(() => {
      prepared.step();
    });
    const stepMs = performance.now() - t0;
    const byName = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      const entry = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
      entry.calls += 1;
      entry.ms += Number(k.kernelTimeMs) || 0;
      byName.set(k.name, entry);
    }
    return { stepMs, kernels: [...byName.values()].sort((a, b) => b.ms - a.ms) };
  } finally {
    prepared.dispose();
  }
}
