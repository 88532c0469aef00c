/**
 * Forward pass of depth networks in the process's own tfjs backend (what `stereodepth bench --forward` prints): batch 1,
 * eval mode, the full-resolution disparity downloaded. The models are timed round-robin (one run of each in turn), so
 * on a machine shared with other jobs every model sees the same load and their ratio is meaningful.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { DepthNet } from '../models/types.js';
import { benchInput, percentile } from './bench_infer.js';
import { modelCost, type ModelCost } from './model_cost.js';
import type { Size } from './depth_graph.js';

export interface ForwardBenchRow {
  cost: ModelCost;
  medianMs: number;
  minMs: number;
  p90Ms: number;
  /** Median of the first model / median of this one (how many times faster than the first). */
  speedupVsFirst: number;
}

/** Times `runs` forward passes of each net at `size` after `warmup` passes. The nets are not disposed. */
export function benchForward(nets: DepthNet[], size: Size, opts: { warmup?: number; runs?: number; log?: (l: string) => void } = {}): ForwardBenchRow[] {
  const runs = opts.runs ?? 5;
  const x = tf.tensor4d(benchInput([1, size.height, size.width, 3]), [1, size.height, size.width, 3]);
  try {
    const once = (net: DepthNet): number => {
      const t0 = performance.now();
      const out = net.apply(x, { training: false });
      out.disparities[0]!.dataSync();
      tf.dispose([...out.disparities, ...out.features]);
      return performance.now() - t0;
    };
    for (let i = 0; i < (opts.warmup ?? 1); i++) for (const net of nets) once(net);
    const times: number[][] = nets.map(() => []);
    for (let r = 0; r < runs; r++) {
      nets.forEach((net, k) => times[k]!.push(once(net)));
      opts.log?.(`bench --forward: run ${r + 1}/${runs}: ${nets.map((n, k) => `${n.name} ${times[k]![r]!.toFixed(0)} ms`).join(', ')}`);
    }
    const medians = times.map((t) => percentile([...t].sort((a, b) => a - b), 0.5));
    return nets.map((net, k) => {
      const sorted = [...times[k]!].sort((a, b) => a - b);
      return {
        cost: modelCost(net, size), medianMs: medians[k]!, minMs: sorted[0]!, p90Ms: percentile(sorted, 0.9),
        speedupVsFirst: medians[0]! / medians[k]!,
      };
    });
  } finally {
    x.dispose();
  }
}

export function formatForwardBench(rows: ForwardBenchRow[], backend: string, threads: number): string {
  const lines = [`forward, batch 1, ${backend} (${threads} threads), models timed in turn:`,
    'model                 in/out     inside     params M  GMACs    MFLOPs    median ms  min ms   p90 ms   speed-up vs first'];
  for (const r of rows) {
    const c = r.cost;
    lines.push(`${c.model.padEnd(21)} ${`${c.size.height}x${c.size.width}`.padEnd(10)} ${`${c.internalSize.height}x${c.internalSize.width}`.padEnd(10)} ` +
      `${(c.trainableParameters / 1e6).toFixed(2).padStart(8)}  ${(c.macs / 1e9).toFixed(3).padStart(6)} ${(c.flops / 1e6).toFixed(0).padStart(9)} ` +
      `${r.medianMs.toFixed(1).padStart(10)} ${r.minMs.toFixed(1).padStart(7)} ${r.p90Ms.toFixed(1).padStart(8)}   ${r.speedupVsFirst.toFixed(2)}x`);
  }
  return lines.join('\n');
}
