/**
 * `stereodepth bench`: times a ResNet18 + monodepth2 training step (forward, stereo photometric loss against the
 * horizontally warped right view, backward, Adam) and the forward pass on every available backend, with a matmul
 * GFLOP/s probe and tf.memory() at the first and last step. Each backend runs in its own child process (a clean heap
 * and a fair start). The pure-JS cpu backend is far too slow for a whole step: its step time is extrapolated from one
 * conv layer's forward + dX + dW GFLOP/s applied to the model's conv FLOPs, and labelled as such.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';

import { initBackend, shutdownBackend, type BackendName } from '../backend/index.js';
import { benchConvLayer, benchMatMul } from '../backend/bench_ops.js';
import { writeFileAtomic } from '../util/atomic.js';
import { benchTrainStep, profileTrainStep, type KernelTime, type TrainStepBench } from '../train/bench.js';
import { benchLoader, type LoaderBench } from '../data/loader_bench.js';
import { runInferBench, withInferOptions, type InferBenchArgs } from './bench_infer.js';
import { benchForward, formatForwardBench, type ForwardBenchRow } from '../export/bench_forward.js';
import { parseSize } from '../export/depth_graph.js';
import { createModel, findPreset } from '../models/registry.js';

interface BenchArgs extends InferBenchArgs {
  infer: boolean;
  backends: string;
  quick: boolean;
  profile: boolean;
  json: boolean;
  out?: string;
  child?: string;
  threads?: number;
  loader: boolean;
  train: boolean;
  forward?: string;
  forwardSize: string;
  forwardRuns: number;
}

/** `--forward a,b`: the presets' forward passes at one size on wasm, side by side in this process. */
async function runForwardSection(args: BenchArgs): Promise<{ text: string; rows: ForwardBenchRow[] }> {
  const names = args.forward!.split(',').map((s) => s.trim()).filter(Boolean);
  names.forEach((n) => findPreset(n));
  const size = parseSize(args.forwardSize, '--forward-size');
  const info = await initBackend('wasm', args.threads ? { threads: args.threads } : {});
  const nets = names.map((n) => createModel(n));
  try {
    const rows = benchForward(nets, size, { runs: args.forwardRuns, log: (l) => process.stderr.write(l + '\n') });
    return { text: formatForwardBench(rows, info.chosen, info.threads), rows };
  } finally {
    nets.forEach((n) => n.dispose());
    shutdownBackend();
  }
}

interface BackendReport {
  backend: string;
  threads: number;
  build?: string;
  matmulGflops: number;
  steps: TrainStepBench[];
  /** --profile: kernel times of one 96x320 step. */
  profile?: { stepMs: number; kernels: KernelTime[] };
  /** cpu only: estimated step time from one layer's GFLOP/s. */
  extrapolated?: { layerGflops: { forward: number; inputGrad: number; filterGrad: number }; stepMsEstimate: Record<string, number> };
  error?: string;
}

const SIZES_FULL = [
  { height: 96, width: 320, steps: 50, microBatches: 1 },
  { height: 192, width: 640, steps: 3, microBatches: 2 },
];
const SIZES_QUICK = [{ height: 96, width: 320, steps: 3, microBatches: 1 }];
/** Forward conv GFLOP of ResNet18 + monodepth2 at batch 4, measured by the bench itself (used for the cpu estimate). */
const FORWARD_GFLOP_96x320_B4 = 16.0;

async function runChild(backend: string, quick: boolean, threads?: number, profile = false): Promise<BackendReport> {
  const info = await initBackend(backend as BackendName, threads ? { threads } : {});
  const report: BackendReport = {
    backend: info.chosen,
    threads: info.threads,
    build: info.versions['wasm-build'],
    matmulGflops: benchMatMul(backend === 'cpu' ? 256 : 1024, 3).gflops,
    steps: [],
  };
  if (backend === 'cpu') {
    // One small mid-network layer (3x3, 32->32 at 24x80, batch 2; 71 MFLOP) stands for the whole net: the cpu
    // filter gradient runs at ~0.01 GFLOP/s, so a full-size layer alone would take about a minute.
    const layer = benchConvLayer({ inputShape: [2, 24, 80, 32], filterShape: [3, 3, 32, 32], stride: 1, pad: 'same' }, 1);
    const g = { forward: layer.forward.gflops, inputGrad: layer.inputGrad.gflops, filterGrad: layer.filterGrad.gflops };
    const perKind = (gflop: number) => (gflop / g.forward + gflop / g.inputGrad + gflop / g.filterGrad) * 1000;
    report.extrapolated = { layerGflops: g, stepMsEstimate: { '96x320': perKind(FORWARD_GFLOP_96x320_B4) } };
  } else {
    for (const size of quick ? SIZES_QUICK : SIZES_FULL) {
      const micro = backend === 'wasm' ? size.microBatches : 1;
      report.steps.push(await benchTrainStep({ ...size, batchSize: 4, microBatches: micro, forwardRuns: 3 }));
    }
    if (profile) report.profile = await profileTrainStep({ height: 96, width: 320, batchSize: 4, microBatches: 1 });
  }
  shutdownBackend();
  return report;
}

function availableBackends(): string[] {
  const out = ['cpu', 'wasm'];
  for (const [name, pkg] of [['tensorflow', '@tensorflow/tfjs-node'], ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu']] as const) {
    try {
      import.meta.resolve(pkg);
      out.push(name);
    } catch {
      // not installed: skipped
    }
  }
  return out;
}

function formatTable(reports: BackendReport[]): string {
  const lines = ['backend        threads  size      ms/step (min)    cpu ms/step    img/s   step GFLOP/s  fwd ms   matmul GFLOP/s  tensors first->last'];
  for (const r of reports) {
    if (r.error) {
      lines.push(`${r.backend.padEnd(14)} failed: ${r.error}`);
      continue;
    }
    for (const s of r.steps) {
      lines.push(
        `${r.backend.padEnd(14)} ${String(r.threads).padEnd(8)} ${`${s.height}x${s.width}`.padEnd(9)} ` +
          `${s.stepMs.median.toFixed(0).padStart(7)} (${s.stepMs.min.toFixed(0)})`.padEnd(18) +
          `${s.cpuMs.median.toFixed(0).padStart(10)}  ` +
          `${s.imagesPerSecond.toFixed(2).padStart(7)} ${s.stepGflops.toFixed(1).padStart(13)} ${s.forwardMs.median.toFixed(0).padStart(7)} ` +
          `${r.matmulGflops.toFixed(1).padStart(15)}  ${s.memoryFirstStep.numTensors}->${s.memoryLastStep.numTensors} ` +
          `(${(s.memoryFirstStep.numBytes / 2 ** 20).toFixed(1)}->${(s.memoryLastStep.numBytes / 2 ** 20).toFixed(1)} MiB)` +
          (s.wasmHeapBytes ? ` heap ${(s.wasmHeapBytes / 2 ** 30).toFixed(2)} GiB` : '') +
          (s.microBatches > 1 ? ` [${s.microBatches} micro-batches]` : ''),
      );
    }
    if (r.profile) {
      const total = r.profile.kernels.reduce((a, k) => a + k.ms, 0);
      lines.push(`${r.backend} kernel profile of one 96x320 step (${r.profile.stepMs.toFixed(0)} ms under tf.profile, kernels ${total.toFixed(0)} ms):`);
      for (const k of r.profile.kernels.slice(0, 25)) {
        lines.push(`  ${k.kernel.padEnd(32)} ${k.ms.toFixed(1).padStart(8)} ms  ${String(k.calls).padStart(5)} calls  ${((100 * k.ms) / total).toFixed(1).padStart(5)}%`);
      }
    }
    if (r.extrapolated) {
      const e = r.extrapolated;
      lines.push(
        `${r.backend.padEnd(14)} ${String(r.threads).padEnd(8)} 96x320    ~${(e.stepMsEstimate['96x320']! / 1000).toFixed(0)} s/step (extrapolated from one layer: ` +
          `fwd ${e.layerGflops.forward.toFixed(2)}, dX ${e.layerGflops.inputGrad.toFixed(2)}, dW ${e.layerGflops.filterGrad.toFixed(3)} GFLOP/s)  matmul ${r.matmulGflops.toFixed(2)}`,
      );
    }
  }
  const wasm = reports.find((r) => r.backend === 'wasm')?.steps.find((s) => s.height === 96);
  const cpu = reports.find((r) => r.backend === 'cpu')?.extrapolated?.stepMsEstimate['96x320'];
  if (wasm && cpu) lines.push(`wasm vs stock cpu at 96x320 batch 4: ${(cpu / wasm.stepMs.median).toFixed(0)}x faster (cpu extrapolated)`);
  return lines.join('\n');
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'Time a ResNet18 + monodepth2 training step on every available backend; --forward times model presets side by side (inference)',
  builder: (y) =>
    withInferOptions(y)
      .option('backends', { type: 'string', default: 'all', describe: "Comma-separated backends, or 'all' available" })
      .option('quick', { type: 'boolean', default: false, describe: '96x320 only, 3 steps (under 2 minutes)' })
      .option('profile', { type: 'boolean', default: false, describe: 'Also print the kernel times of one 96x320 step' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON' })
      .option('out', { type: 'string', describe: 'Also write the JSON results to this file' })
      .option('threads', { type: 'number', describe: 'wasm threads (default: cores, max 8)' })
      .option('loader', { type: 'boolean', default: true, describe: 'also time the data loader (decode + augment + batch 192x640 JPEG pairs; --no-loader to skip)' })
      .option('train', { type: 'boolean', default: true, describe: 'time the training step per backend (--no-train: only the other sections)' })
      .option('forward', { type: 'string', describe: 'comma-separated model presets whose forward pass (batch 1, wasm) is timed side by side, e.g. monodepth2_resnet18,mai2021' })
      .option('forward-size', { type: 'string', default: '480x640', describe: 'input HxW of --forward (a preset with an internal size resizes inside)' })
      .option('forward-runs', { type: 'number', default: 5, describe: 'timed runs per model for --forward (after one warm-up)' })
      .option('child', { type: 'string', hidden: true }) as never,
  handler: async (args) => {
    if (args.infer) return runInferBench(args);
    if (args.child) {
      process.stdout.write(JSON.stringify(await runChild(args.child, args.quick, args.threads, args.profile)) + '\n');
      return;
    }
    const requested = !args.train ? [] : args.backends === 'all' ? availableBackends() : args.backends.split(',').map((s) => s.trim());
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'stereodepth.js');
    const reports: BackendReport[] = [];
    for (const backend of requested) {
      process.stderr.write(`bench: ${backend} ...\n`);
      const childArgs = [bin, 'bench', '--child', backend, ...(args.quick ? ['--quick'] : []), ...(args.profile ? ['--profile'] : []),
        ...(args.threads ? ['--threads', String(args.threads)] : [])];
      const res = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      const line = res.stdout.trim().split('\n').pop() ?? '';
      try {
        reports.push(JSON.parse(line) as BackendReport);
      } catch {
        const why = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
        reports.push({ backend, threads: 0, matmulGflops: NaN, steps: [], error: why || `exit ${res.status}` });
      }
    }
    let loader: LoaderBench | undefined;
    if (args.loader) {
      process.stderr.write('bench: loader (wasm) ...\n');
      await initBackend('wasm');
      loader = await benchLoader({ batches: args.quick ? 4 : 8 });
      shutdownBackend();
    }
    const forward = args.forward ? await runForwardSection(args) : undefined;
    const result = { date: new Date().toISOString(), quick: args.quick, reports, ...(loader ? { loader } : {}), ...(forward ? { forward: forward.rows } : {}) };
    if (args.out) await writeFileAtomic(args.out, JSON.stringify(result, null, 2) + '\n');
    let text = reports.length ? formatTable(reports) : '';
    if (loader) {
      const step = reports.find((r) => r.backend === 'wasm')?.steps.find((s) => s.height === 192) ?? reports.find((r) => r.backend === 'wasm')?.steps[0];
      const stepNote = step ? `; the wasm train step at ${step.height}x${step.width} batch 4 takes ${(step.stepMs.median / 1000).toFixed(2)} s, i.e. needs ${((4 * 1000) / step.stepMs.median).toFixed(2)} pairs/s` : '';
      text += `\nloader (wasm, decode JPEG ${loader.sourceHeight}x${loader.sourceWidth} + flip/crop/colour + batch to ${loader.height}x${loader.width}): ${loader.pairsPerSecond.toFixed(1)} pairs/s (${loader.msPerBatch.toFixed(0)} ms per batch of ${loader.batchSize})${stepNote}`;
    }
    if (forward) text += (text ? '\n' : '') + forward.text;
    process.stdout.write(args.json ? JSON.stringify(result, null, 2) + '\n' : text + '\n');
  },
};
