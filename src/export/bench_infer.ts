/**
 * Inference benchmark of exported models (what `stereodepth bench --infer` prints): for each exported file and each
 * runtime that can run it, latency after warm-up (median and p90 of `runs` timed predictions, input upload and
 * output download included: the user's call), frames/s from the median, and the graph's MFLOPs and parameters.
 */
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadInRuntime, runtimeFormat, type RuntimeName } from './runtimes.js';
import type { GraphCost } from './flops.js';
import type { ExportedModel } from './metadata.js';

export interface InferBenchRow {
  model: string;
  /** Model input size (io) and the network's size. */
  ioSize: string;
  netSize: string;
  runtime: RuntimeName;
  precision: string;
  medianMs: number;
  p90Ms: number;
  fps: number;
  mflops: number;
  paramsM: number;
  fileMiB: number;
}

export interface InferBenchSkip { runtime: RuntimeName; precision: string; reason: string }

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new Error('percentile of no values');
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Deterministic input pattern in [0, 1] (timing does not depend on values; a fixed input keeps runs comparable). */
export function benchInput(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 999);
}

export function folderMiB(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0) / 2 ** 20;
}

export interface BenchModelOptions {
  model: string;
  exported: ExportedModel[];
  cost: GraphCost;
  inputShape: number[];
  netSize: string;
  runtimes: readonly RuntimeName[];
  warmup: number;
  runs: number;
  threads?: number;
  log?: (line: string) => void;
}

/** Times every (exported file, runtime) pair; runtimes that cannot load are reported as skips with the reason. */
export async function benchExportedModels(o: BenchModelOptions): Promise<{ rows: InferBenchRow[]; skips: InferBenchSkip[] }> {
  const rows: InferBenchRow[] = [];
  const skips: InferBenchSkip[] = [];
  const input = benchInput(o.inputShape);
  for (const exported of o.exported) {
    const dir = join(exported.entry, '..');
    for (const runtime of o.runtimes.filter((r) => runtimeFormat(r) === exported.format)) {
      let loaded;
      try {
        loaded = await loadInRuntime(dir, runtime, o.threads ? { threads: o.threads } : {});
      } catch (err) {
        skips.push({ runtime, precision: exported.precision, reason: (err as Error).message.split('\n')[0]! });
        continue;
      }
      try {
        for (let i = 0; i < o.warmup; i++) await loaded.predict(input, o.inputShape);
        const times: number[] = [];
        for (let i = 0; i < o.runs; i++) {
          const t0 = performance.now();
          await loaded.predict(input, o.inputShape);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const medianMs = percentile(times, 0.5);
        const row: InferBenchRow = {
          model: o.model, ioSize: `${o.inputShape[1]}x${o.inputShape[2]}`, netSize: o.netSize, runtime, precision: exported.precision,
          medianMs, p90Ms: percentile(times, 0.9), fps: 1000 / medianMs,
          mflops: o.cost.flops / 1e6, paramsM: o.cost.parameters / 1e6, fileMiB: folderMiB(dir),
        };
        o.log?.(`${row.model} ${row.ioSize} ${runtime} ${row.precision}: median ${medianMs.toFixed(1)} ms, p90 ${row.p90Ms.toFixed(1)} ms`);
        rows.push(row);
      } finally {
        await loaded.dispose();
      }
    }
  }
  return { rows, skips };
}

/** One markdown table (MAI report style: model, resolution, runtime, precision, latency, fps, MFLOPs, params, size). */
export function inferBenchTable(rows: readonly InferBenchRow[], extra: Record<string, (r: InferBenchRow) => string> = {}): string {
  const head = ['model', 'in/out', 'net', 'runtime', 'precision', 'median ms', 'p90 ms', 'frames/s', 'MFLOPs', 'params M', 'MiB', ...Object.keys(extra)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.model, r.ioSize, r.netSize, r.runtime, r.precision, r.medianMs.toFixed(1), r.p90Ms.toFixed(1), r.fps.toFixed(1),
      r.mflops.toFixed(0), r.paramsM.toFixed(2), r.fileMiB.toFixed(1), ...Object.values(extra).map((f) => f(r))].join(' | ')} |`);
  }
  return lines.join('\n');
}
