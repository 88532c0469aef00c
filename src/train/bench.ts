/**
 * The measurements behind `stereodepth bench`, on the active backend, for one run built from its config by src/run:
 * the training step `train` runs for it (the trainer's own loader, variables, Adam and optimisation step: its network,
 * its objective and warp, its micro-batches, its loader's batches at its size), timed over >= 10 steps after warm-up; its loader's pairs/s; the forward pass alone; the model's conv
 * FLOPs (counted from the executed kernels); tf.memory() at the first and last step; and, on request, the kernel
 * times of a few steps.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Batch } from '../data/loader.js';
import { timeLoader, type LoaderBench } from '../data/loader_bench.js';
import { wasmHeapBytes } from '../backend/index.js';
import { checkBatch, optimiseOn, stepperOf, type TrainingParts } from './trainer.js';

export interface ConfigBenchOptions {
  /** Timed steps after the warm-up. */
  steps: number;
  /** Untimed steps first (kernel set-up, heap growth). */
  warmup: number;
  /** Forward-only timed runs. */
  forwardRuns: number;
  /** Loader batches timed (after one cold batch). */
  loaderBatches: number;
  /** Steps run under tf.profile after the timed ones (0 = no kernel profile). */
  profileSteps: number;
}

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
}

export interface Spread {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export interface KernelTime {
  kernel: string;
  /** Calls per step. */
  calls: number;
  /** Kernel time per step; a project kernel that calls others (e.g. a conv gradient running Conv2D) includes them. */
  ms: number;
}

export interface StepProfile {
  /** Wall time per step under tf.profile. */
  stepMs: number;
  /** Per-step wall time outside any kernel (tape, JS glue, allocation). */
  outsideKernelsMs: number;
  kernels: KernelTime[];
}

export interface ConfigBench {
  config: string;
  model: string;
  loss: string;
  height: number;
  width: number;
  batchSize: number;
  microBatches: number;
  parameters: number;
  /** Conv FLOPs of one forward pass of the batch (one multiply-add = 2 FLOPs). */
  forwardConvGflop: number;
  stepMs: Spread & { all: number[] };
  /**
   * Process CPU time per step (all threads, median). On a machine shared with other jobs the wall time grows while
   * this stays near the work done: wall ~ cpu / threads means the step had the cores to itself.
   */
  cpuMs: { median: number };
  forwardMs: { median: number; min: number };
  /** Training pairs per second of the step (batch / median step time). */
  stepPairsPerSecond: number;
  loader: LoaderBench;
  /** Conv GFLOP/s of a step, counting forward + dX + dW as 3x the forward conv FLOPs. */
  stepGflops: number;
  memoryFirstStep: MemorySnapshot;
  memoryLastStep: MemorySnapshot;
  /** wasm heap size after the last step (its high-water mark; the limit is 4 GiB), null on other backends. */
  wasmHeapBytes: number | null;
  losses: number[];
  profile?: StepProfile;
}

/** Nearest-rank quantile of a non-empty list. */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function spreadOf(values: number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf: no values');
  return { median: quantile(values, 0.5), p10: quantile(values, 0.1), p90: quantile(values, 0.9), min: Math.min(...values), max: Math.max(...values) };
}

/** Counts the conv FLOPs of one forward pass by profiling the kernels it runs. */
async function countForwardConvFlops(run: () => tf.Tensor[]): Promise<number> {
  const info = await tf.profile(() => run());
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

/** Per-step kernel times of `steps` profiled runs of `run`, largest first. */
async function profileSteps(run: () => void, steps: number): Promise<StepProfile> {
  const byName = new Map<string, KernelTime>();
  let wall = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const info = await tf.profile(() => {
      run();
    });
    wall += performance.now() - t0;
    for (const k of info.kernels) {
      const entry = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
      entry.calls += 1 / steps;
      entry.ms += (Number(k.kernelTimeMs) || 0) / steps;
      byName.set(k.name, entry);
    }
  }
  const kernels = [...byName.values()].map((k) => ({ ...k, calls: Math.round(k.calls) })).sort((a, b) => b.ms - a.ms);
  const stepMs = wall / steps;
  return { stepMs, outsideKernelsMs: stepMs - kernels.reduce((a, k) => a + k.ms, 0), kernels };
}

/** Benchmarks the training step of `parts` (built from a config by src/run); disposes the networks when done. */
export async function benchConfigStep(parts: TrainingParts, name: string, opts: ConfigBenchOptions): Promise<ConfigBench> {
  if (opts.steps < 1 || opts.warmup < 0) throw new Error(`benchConfigStep: steps must be >= 1 and warmup >= 0 (got ${opts.steps}, ${opts.warmup})`);
  const { config, net } = parts;
  const stepper = stepperOf(parts);
  const { loader } = stepper;
  let stepNumber = 0;
  const runner = {
    step: (batch: Batch, lr: number) => {
      checkBatch(config, batch);
      return optimiseOn(stepper, batch, lr, ++stepNumber);
    },
  };
  const lr = config.optim.lr;
  const { height: h, width: w, batch_size: b } = config.data;
  try {
    const loaderBench = await timeLoader(loader, opts.loaderBatches);
    const forwardFlops = await countForwardConvFlops(() =>
      tf.tidy(() => {
        const o = net.apply(tf.zeros([b, h, w, 3]) as tf.Tensor4D, { training: false });
        return [...o.disparities, ...o.features];
      }),
    );
    for (let i = 0; i < opts.warmup; i++) runner.step(await loader.next(), lr);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const losses: number[] = [];
    let first: MemorySnapshot | undefined;
    let last: MemorySnapshot | undefined;
    for (let i = 0; i < opts.steps; i++) {
      // The batch is taken (its tfjs augmentation runs) outside the timed step, as the loader's own work.
      const batch = await loader.next();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      losses.push(runner.step(batch, lr).loss);
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
      const m = tf.memory();
      last = { numTensors: m.numTensors, numBytes: m.numBytes };
      first ??= last;
    }
    let profile: StepProfile | undefined;
    if (opts.profileSteps > 0) {
      const batches: Batch[] = [];
      for (let i = 0; i < opts.profileSteps; i++) batches.push(await loader.next());
      profile = await profileSteps(() => void runner.step(batches.shift()!, lr), opts.profileSteps);
    }
    const fwd: number[] = [];
    const input = tf.randomUniform([b, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    for (let i = 0; i < opts.forwardRuns; i++) {
      const t0 = performance.now();
      const o = net.apply(input, { training: false });
      o.disparities[0]!.dataSync();
      tf.dispose([...o.disparities, ...o.features]);
      fwd.push(performance.now() - t0);
    }
    input.dispose();
    const stepMs = spreadOf(times);
    return {
      config: name,
      model: config.model.name,
      loss: `${config.loss.kind} ${config.loss.mode}`,
      height: h,
      width: w,
      batchSize: b,
      microBatches: config.optim.micro_batches,
      parameters: net.parameterCount(),
      forwardConvGflop: forwardFlops / 1e9,
      stepMs: { ...stepMs, all: times },
      cpuMs: { median: spreadOf(cpuTimes).median },
      forwardMs: { median: fwd.length ? spreadOf(fwd).median : NaN, min: fwd.length ? Math.min(...fwd) : NaN },
      stepPairsPerSecond: (b * 1000) / stepMs.median,
      loader: loaderBench,
      stepGflops: (3 * forwardFlops) / (stepMs.median * 1e6),
      memoryFirstStep: first!,
      memoryLastStep: last!,
      wasmHeapBytes: wasmHeapBytes(),
      losses,
      ...(profile ? { profile } : {}),
    };
  } finally {
    loader.close();
    stepper.optimizer.dispose();
    net.dispose();
    parts.poseNet?.dispose();
    parts.distillation?.dispose();
  }
}
