/**
 * `stereodepth bench`: times the training step `train` runs, on every available backend, with a matmul GFLOP/s probe,
 * the loader's pairs/s beside the step's, tf.memory() at the first and last step and (--profile) per-kernel times.
 * `--config C.yaml` benches that recipe (its data, size, model, loss, warp and micro-batches); without it, the
 * published monodepth2 stereo recipe (configs/kitti_eigen_md2_stereo.yaml: ResNet18, batch 4) at 96x320 and 192x640
 * on a small rendered KITTI-layout JPEG world. Each backend runs in its own child process (a clean heap and a fair
 * start). The pure-JS cpu backend is far too slow for a whole step: its step time is extrapolated from one conv
 * layer's forward + dX + dW GFLOP/s applied to the model's conv FLOPs, and labelled as such.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';

import { initBackend, shutdownBackend, type BackendName } from '../backend/index.js';
import { benchConvLayer, benchMatMul } from '../backend/bench_ops.js';
import { loadConfig } from '../config/load.js';
import { renderBenchWorld } from '../data/loader_bench.js';
import { benchRecipe } from '../run/bench.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ConfigBench } from '../train/bench.js';
import { withOptions } from './options.js';
import { runInferBench, withInferOptions, type InferBenchArgs } from './bench_infer.js';
import { benchForward, formatForwardBench, type ForwardBenchRow } from '../export/bench_forward.js';
import { parseSize } from '../export/depth_graph.js';
import { createModel, findPreset } from '../models/registry.js';

interface BenchArgs extends InferBenchArgs {
  infer: boolean;
  train: boolean;
  forward?: string;
  forwardSize: string;
  forwardRuns: number;
  backends: string;
  config?: string;
  set?: string[];
  steps: number;
  quick: boolean;
  profile: boolean;
  json: boolean;
  out?: string;
  child?: string;
  cases?: string;
  threads?: number;
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

/** One config to bench: a recipe file plus --set overrides (what `train --config path --set ...` would run). */
interface BenchCase {
  name: string;
  path: string;
  sets: string[];
}

interface BackendReport {
  backend: string;
  threads: number;
  build?: string;
  matmulGflops: number;
  steps: ConfigBench[];
  /** cpu only: estimated step time from one layer's GFLOP/s. */
  extrapolated?: { layerGflops: { forward: number; inputGrad: number; filterGrad: number }; stepMsEstimate: Record<string, number> };
  error?: string;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The default case: monodepth2 stereo as published (ResNet18), batch 4. */
const DEFAULT_RECIPE = join(ROOT, 'configs', 'kitti_eigen_md2_stereo.yaml');
/** The wasm32 heap (4 GiB) holds 192x640 batch 4 only as 2 micro-batches of 2. */
const DEFAULT_SIZES = [
  { height: 96, width: 320, wasmMicroBatches: 1 },
  { height: 192, width: 640, wasmMicroBatches: 2 },
];
/** Frames of the default bench world (the loader cycles over them). */
const BENCH_WORLD_FRAMES = 24;
/** Forward conv GFLOP of ResNet18 + monodepth2 at batch 4, measured by the bench itself (used for the cpu estimate). */
const FORWARD_GFLOP_96x320_B4 = 16.0;

/** The default cases on `backend`, reading the rendered world at `world` (split file `split`). */
function defaultCases(backend: string, world: string, split: string, quick: boolean): BenchCase[] {
  return (quick ? DEFAULT_SIZES.slice(0, 1) : DEFAULT_SIZES).map((size) => ({
    name: `kitti_eigen_md2_stereo ${size.height}x${size.width} batch 4`,
    path: DEFAULT_RECIPE,
    sets: [
      `data.train.path=${JSON.stringify(world)}`,
      `data.train.split=${JSON.stringify(split)}`,
      `data.height=${size.height}`,
      `data.width=${size.width}`,
      'data.batch_size=4',
      `optim.micro_batches=${backend === 'wasm' ? size.wasmMicroBatches : 1}`,
    ],
  }));
}

async function runChild(backend: string, cases: BenchCase[], args: BenchArgs): Promise<BackendReport> {
  const info = await initBackend(backend as BackendName, args.threads ? { threads: args.threads } : {});
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
    for (const c of cases) {
      const { config } = loadConfig(c.path, c.sets);
      report.steps.push(await benchRecipe(config, c.name, { steps: args.steps, warmup: 2, forwardRuns: 3, loaderBatches: 8, profileSteps: args.profile ? 3 : 0 }));
    }
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
  const lines: string[] = [];
  for (const r of reports) {
    if (r.error) {
      lines.push(`${r.backend}: failed: ${r.error}`);
      continue;
    }
    for (const s of r.steps) {
      const t = s.stepMs;
      lines.push(
        `${r.backend} (${r.threads} thread${r.threads === 1 ? '' : 's'}${r.build ? `, ${r.build}` : ''}) | ${s.config}: ${s.model}, loss ${s.loss}, ` +
          `${s.height}x${s.width} batch ${s.batchSize}${s.microBatches > 1 ? ` in ${s.microBatches} micro-batches` : ''}`,
      );
      lines.push(
        `  step ms: median ${t.median.toFixed(0)}  p10 ${t.p10.toFixed(0)}  p90 ${t.p90.toFixed(0)}  min ${t.min.toFixed(0)}  max ${t.max.toFixed(0)}  ` +
          `(${t.all.length} steps; cpu ${s.cpuMs.median.toFixed(0)} ms/step)  ${s.stepPairsPerSecond.toFixed(2)} pairs/s (${(1000 / t.median).toFixed(2)} steps/s)`,
      );
      lines.push(
        `  loader: ${s.loader.pairsPerSecond.toFixed(1)} pairs/s (${s.loader.msPerBatch.toFixed(0)} ms/batch, cold ${s.loader.coldMsPerBatch.toFixed(0)} ms)  ` +
          `forward ${s.forwardMs.median.toFixed(0)} ms  conv ${s.forwardConvGflop.toFixed(1)} GFLOP fwd, step ${s.stepGflops.toFixed(1)} GFLOP/s  matmul ${r.matmulGflops.toFixed(1)} GFLOP/s`,
      );
      lines.push(
        `  tf.memory ${s.memoryFirstStep.numTensors}->${s.memoryLastStep.numTensors} tensors ` +
          `(${(s.memoryFirstStep.numBytes / 2 ** 20).toFixed(1)}->${(s.memoryLastStep.numBytes / 2 ** 20).toFixed(1)} MiB)` +
          (s.wasmHeapBytes ? `  wasm heap ${(s.wasmHeapBytes / 2 ** 30).toFixed(2)} GiB` : ''),
      );
      if (s.profile) {
        const p = s.profile;
        const total = p.kernels.reduce((a, k) => a + k.ms, 0);
        lines.push(`  kernel profile per step (${p.stepMs.toFixed(0)} ms under tf.profile: kernels ${total.toFixed(0)} ms, outside kernels ${p.outsideKernelsMs.toFixed(0)} ms):`);
        for (const k of p.kernels.slice(0, 30)) {
          lines.push(`    ${k.kernel.padEnd(36)} ${k.ms.toFixed(1).padStart(8)} ms  ${String(k.calls).padStart(5)} calls  ${((100 * k.ms) / p.stepMs).toFixed(1).padStart(5)}%`);
        }
      }
    }
    if (r.extrapolated) {
      const e = r.extrapolated;
      lines.push(
        `${r.backend} (${r.threads} thread) 96x320 batch 4: ~${(e.stepMsEstimate['96x320']! / 1000).toFixed(0)} s/step (extrapolated from one layer: ` +
          `fwd ${e.layerGflops.forward.toFixed(2)}, dX ${e.layerGflops.inputGrad.toFixed(2)}, dW ${e.layerGflops.filterGrad.toFixed(3)} GFLOP/s)  matmul ${r.matmulGflops.toFixed(2)} GFLOP/s`,
      );
    }
  }
  const wasm = reports.find((r) => r.backend === 'wasm')?.steps.find((s) => s.height === 96 && s.width === 320 && s.batchSize === 4);
  const cpu = reports.find((r) => r.backend === 'cpu')?.extrapolated?.stepMsEstimate['96x320'];
  if (wasm && cpu) lines.push(`wasm vs stock cpu at 96x320 batch 4: ${(cpu / wasm.stepMs.median).toFixed(0)}x faster (cpu extrapolated)`);
  return lines.join('\n');
}

/** Fewer timed steps than this give no usable median and spread. */
const MIN_STEPS = 10;

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'Time the training step `train` runs (a recipe, or ResNet18 + monodepth2 stereo) on every available backend; --infer times exported models per runtime, --forward model presets side by side',
  builder: (y) =>
    withOptions(
      withInferOptions(y)
        .option('backends', { type: 'string', default: 'all', describe: "Comma-separated backends, or 'all' available" })
        .option('steps', { type: 'number', default: 20, describe: `timed steps per case after 2 warm-up steps (at least ${MIN_STEPS})` })
        .option('quick', { type: 'boolean', default: false, describe: 'default case: 96x320 only' })
        .option('profile', { type: 'boolean', default: false, describe: 'also print per-kernel times (mean of 3 profiled steps) for each case' })
        .option('out', { type: 'string', describe: 'Also write the JSON results to this file' })
        .option('child', { type: 'string', hidden: true })
        .option('cases', { type: 'string', hidden: true })
        .option('train', { type: 'boolean', default: true, describe: 'time the training step per backend (--no-train: only the other sections)' })
        .option('forward', { type: 'string', describe: 'comma-separated model presets whose forward pass (batch 1, wasm) is timed side by side, e.g. monodepth2_resnet18,mai2021' })
        .option('forward-size', { type: 'string', default: '480x640', describe: 'input HxW of --forward (a preset with an internal size resizes inside)' })
        .option('forward-runs', { type: 'number', default: 5, describe: 'timed runs per model for --forward (after one warm-up)' }),
      {
        config: { describe: 'bench this recipe (e.g. configs/synthetic/quickstart.yaml): its data, size, model, loss and micro-batches' },
        set: {},
        threads: {},
        json: {},
      },
    ) as never,
  handler: async (args) => {
    if (args.infer) return runInferBench(args);
    if (args.child) {
      const cases = JSON.parse(args.cases ?? '[]') as BenchCase[];
      process.stdout.write(JSON.stringify(await runChild(args.child, cases, args)) + '\n');
      return;
    }
    if (!Number.isInteger(args.steps) || args.steps < MIN_STEPS) throw new Error(`--steps must be an integer >= ${MIN_STEPS} (got ${args.steps})`);
    if (args.set?.length && !args.config) throw new Error('--set needs --config (it overrides keys of that recipe)');
    const requested = !args.train ? [] : args.backends === 'all' ? availableBackends() : args.backends.split(',').map((s) => s.trim());
    const bin = join(ROOT, 'bin', 'stereodepth.js');
    // The default cases train on a small rendered KITTI-layout world of 192x640 JPEG pairs (like KITTI raw).
    const world = args.config || !requested.length ? null : mkdtempSync(join(tmpdir(), 'sd-bench-world-'));
    const reports: BackendReport[] = [];
    try {
      let split = '';
      if (world) {
        process.stderr.write(`bench: rendering ${BENCH_WORLD_FRAMES} KITTI-layout frames (192x640 JPEG) into ${world} ...\n`);
        split = await renderBenchWorld(world, { count: BENCH_WORLD_FRAMES, height: 192, width: 640 });
      }
      for (const backend of requested) {
        process.stderr.write(`bench: ${backend} ...\n`);
        const cases: BenchCase[] = args.config ? [{ name: args.config, path: args.config, sets: args.set ?? [] }] : defaultCases(backend, world!, split, args.quick);
        const childArgs = [bin, 'bench', '--child', backend, '--cases', JSON.stringify(cases), '--steps', String(args.steps),
          ...(args.profile ? ['--profile'] : []), ...(args.threads ? ['--threads', String(args.threads)] : [])];
        const res = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
        const line = res.stdout.trim().split('\n').pop() ?? '';
        try {
          reports.push(JSON.parse(line) as BackendReport);
        } catch {
          const why = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
          reports.push({ backend, threads: 0, matmulGflops: NaN, steps: [], error: why || `exit ${res.status}` });
        }
      }
    } finally {
      if (world) rmSync(world, { recursive: true, force: true });
    }
    const forward = args.forward ? await runForwardSection(args) : undefined;
    const result = { date: new Date().toISOString(), command: process.argv.slice(2).join(' '), reports, ...(forward ? { forward: forward.rows } : {}) };
    if (args.out) await writeFileAtomic(args.out, JSON.stringify(result, null, 2) + '\n');
    const text = [reports.length ? formatTable(reports) : '', forward?.text ?? ''].filter(Boolean).join('\n');
    process.stdout.write(args.json ? JSON.stringify(result, null, 2) + '\n' : text + '\n');
  },
};
