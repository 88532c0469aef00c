/**
 * A kernel profile of one config's training step (wasm by default) that a loaded machine distorts less than `bench --profile`'s
 * mean: each kernel call (matched by its position in the step, which runs the same kernels every time) gets its
 * MINIMUM time over R profiled steps, so a call that lost the CPU in one step is timed from another.
 * Usage: npx tsx scripts/profile_step_min.ts [config.yaml] [R=8] [backend=wasm]   (2 warm-up steps; prints per-kernel sums and the
 * 40 slowest non-conv calls with their input shapes; PROFILE_TOP=N lists N kernels instead of 45)
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, shutdownBackend } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { buildTraining } from '../src/run/training.js';
import { optimiseOn, stepperOf } from '../src/train/trainer.js';

async function main() {
  const path = process.argv[2] ?? 'configs/synthetic/quickstart.yaml';
  const R = Number(process.argv[3] ?? 8);
  const backend = process.argv[4] ?? 'wasm';
  await initBackend(backend as 'wasm', { threads: 2 });
  const { config } = loadConfig(path, []);
  const runDir = mkdtempSync(join(tmpdir(), 'sd-profile-'));
  const parts = await buildTraining({ ...config, run_dir: runDir, data: { ...config.data, val: null, test: null } }, { log: () => undefined });
  const stepper = stepperOf(parts);
  let k = 0;
  const step = async () => { const b = await stepper.loader.next(); optimiseOn(stepper, b, config.optim.lr, ++k); };
  for (let i = 0; i < 2; i++) await step();
  let mins: number[] | null = null; let names: string[] = []; let shapes: string[] = [];
  for (let r = 0; r < R; r++) {
    const b = await stepper.loader.next();
    const info = await tf.profile(() => { optimiseOn(stepper, b, config.optim.lr, ++k); });
    const ks = info.kernels.filter((x) => x.name !== 'unnamed scope');
    const t = ks.map((x) => Number(x.kernelTimeMs) || 0);
    if (!mins) { mins = t; names = ks.map((x) => x.name); shapes = ks.map((x) => JSON.stringify(x.inputShapes)); } else { if (t.length !== mins.length) throw new Error('kernel count differs'); mins = mins.map((m, i) => Math.min(m, t[i]!)); }
  }
  const by = new Map<string, { ms: number; calls: number }>();
  names.forEach((n, i) => { const e = by.get(n) ?? { ms: 0, calls: 0 }; e.ms += mins![i]!; e.calls++; by.set(n, e); });
  const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`sum of per-call min kernel times: ${total.toFixed(1)} ms over ${names.length} kernels (${R} profiled steps)`);
  for (const [n, e] of [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.PROFILE_TOP ?? 45))) console.log(`  ${n.padEnd(34)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls`);
  const calls = names.map((n, i) => ({ n, ms: mins![i]!, s: shapes[i] })).filter((c) => !c.n.startsWith('Conv2D')).sort((a, b) => b.ms - a.ms).slice(0, 40);
  for (const c of calls) console.log(`    ${c.n.padEnd(30)} ${c.ms.toFixed(2)} ms ${c.s}`);
  shutdownBackend();
  rmSync(runDir, { recursive: true, force: true });
}
main();
