/**
 * The trainer's periodic hooks: scalars and throughput every `log_every` steps, validation every `val_every`, checkpoints
 * every `checkpoint_every` (and the best one), the end-of-epoch line and the test-set evaluation at the end.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import type { Loader } from '../data/loader.js';
import type { ProgressBar } from '../util/progress.js';
import { formatDuration } from '../util/progress.js';
import { writeFileAtomic } from '../util/atomic.js';
import { markBest, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import type { RunLogger } from './logging.js';
import type { Adam } from './optimizer.js';
import type { ScheduleSpec } from './schedule.js';
import type { StepResult } from './step.js';
import type { TrainingParts } from './trainer.js';
import { validate, type ValidationResult } from './validate.js';

/** The state of one training invocation, shared by the loop and its hooks. */
export interface Session {
  parts: TrainingParts;
  loader: Loader;
  optimizer: Adam;
  variables: Record<string, tf.Variable>;
  allVariables: () => Record<string, tf.Variable>;
  log: (line: string) => void;
  totalSteps: number;
  schedule: ScheduleSpec;
  runLog: RunLogger;
  bar: ProgressBar;
  step: number;
  best: CheckpointState['best'];
  lastMetrics?: Record<string, number>;
  lastLoss: number;
  stepsThisRun: number;
  epoch: { current: number; lossSum: number; steps: number; startedAt: number };
  throughput: { images: number; since: number };
}

const HIGHER_IS_BETTER = new Set(['a1', 'a2', 'a3']);

function isBetter(metric: string, value: number, best: CheckpointState['best']): boolean {
  if (!Number.isFinite(value)) return false;
  if (!best) return true;
  return HIGHER_IS_BETTER.has(metric) ? value > best.value : value < best.value;
}

function prefixed(prefix: string, record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [`${prefix}/${k}`, v]));
}

/** Logs the mean loss of the epoch that ended (a batch of epoch `next` arrived; null = the run ended). */
export function closeEpoch(s: Session, next: number | null): void {
  if (next === s.epoch.current) return;
  if (s.epoch.steps > 0) {
    const elapsed = next === null ? '' : `, elapsed ${formatDuration((Date.now() - s.epoch.startedAt) / 1000)}`;
    s.log(`epoch ${s.epoch.current + 1} done: mean loss ${(s.epoch.lossSum / s.epoch.steps).toFixed(4)} over ${s.epoch.steps} steps${elapsed}`);
  }
  if (next !== null) s.epoch = { ...s.epoch, current: next, lossSum: 0, steps: 0 };
}

/** Training scalars every log_every steps (and at the last), and the progress bar. */
export function logStep(s: Session, result: StepResult, lr: number): void {
  const { config } = s.parts;
  if (s.step % config.train.log_every === 0 || s.step === s.totalSteps) {
    const now = Date.now();
    const imagesPerSec = s.throughput.images / Math.max(1e-3, (now - s.throughput.since) / 1000);
    s.throughput = { images: 0, since: now };
    const mem = tf.memory();
    s.runLog.scalars('train', {
      loss: result.loss, lr, ...prefixed('loss_parts', result.parts), ...(Number.isFinite(result.gradNorm) ? { grad_norm: result.gradNorm } : {}),
      images_per_sec: imagesPerSec, 'memory/num_tensors': mem.numTensors, 'memory/mib': mem.numBytes / 2 ** 20, 'memory/rss_mib': process.memoryUsage().rss / 2 ** 20,
    }, s.step);
  }
  s.bar.tick(1, { loss: result.loss.toFixed(4), lr: lr.toExponential(1), ...(s.lastMetrics ? { abs_rel: s.lastMetrics.absRel!.toFixed(3) } : {}) });
}

/** Saves a step checkpoint of the whole training state (model, optimiser, loader, adapters); returns its directory. */
export async function saveState(s: Session): Promise<string> {
  const { config, runDir, distillation, output } = s.parts;
  const state: CheckpointState = {
    format: 'stereodepth-checkpoint/1',
    step: s.step,
    optimizerStep: s.optimizer.step,
    loader: s.loader.state(),
    best: s.best,
    ...(s.lastMetrics ? { metrics: s.lastMetrics } : {}),
    config,
    ...(output.rig ? { rig: output.rig } : {}),
    output,
    savedAt: new Date().toISOString(),
  };
  return saveCheckpoint(runDir, s.allVariables(), s.optimizer.stateTensors(), state, config.train.keep_last, distillation?.variables() ?? null);
}

async function runValidation(s: Session): Promise<ValidationResult | null> {
  const { net, valSamples, output, config } = s.parts;
  if (valSamples.length === 0) return null;
  const r = await validate(net, valSamples, output, config.eval, config.data.batch_size);
  s.lastMetrics = { ...r.metrics };
  s.runLog.scalars('val', prefixed('metrics', r.metrics as unknown as Record<string, number>), s.step);
  s.runLog.disparityImages('val', r.preview, s.step);
  return r;
}

/** Validation every val_every steps (and at the last), checkpoints every checkpoint_every, best copied to checkpoints/best. */
export async function validateAndCheckpoint(s: Session): Promise<void> {
  const { config, runDir } = s.parts;
  const valNow = config.train.val_every > 0 && s.step % config.train.val_every === 0;
  const ckptNow = s.step % config.train.checkpoint_every === 0 || s.step === s.totalSteps;
  const validated = valNow || s.step === s.totalSteps ? await runValidation(s) : null;
  if (!ckptNow && !validated) return;
  const metric = config.train.best_metric;
  const value = validated ? validated.metrics[metric] : NaN;
  const improved = validated !== null && isBetter(metric, value, s.best);
  if (improved) s.best = { metric, value, step: s.step };
  if (ckptNow || improved) {
    const dir = await saveState(s);
    if (improved) await markBest(runDir, dir);
  }
  s.runLog.flush();
}

/** data.test evaluated once with the eval protocol: <run>/test_metrics.json and the metric table. */
export async function testAtEnd(s: Session): Promise<Record<string, number> | undefined> {
  const { config, net, output, runDir, testSamples } = s.parts;
  if (!testSamples) return undefined;
  const r = await validate(net, await testSamples(), output, config.eval, config.data.batch_size, 0);
  s.runLog.scalars('test', prefixed('metrics', r.metrics as unknown as Record<string, number>), s.step);
  await writeFileAtomic(join(runDir, 'test_metrics.json'), JSON.stringify({ step: s.step, count: r.count, protocol: config.eval, metrics: r.metrics }, null, 1));
  const ev = config.eval;
  s.log(formatMetricsTable(`test (${r.count} images, ${ev.protocol} protocol, ${ev.crop} crop, ${ev.median_scaling ? 'median scaling' : 'no median scaling'})`, { ...r.metrics }));
  return { ...r.metrics };
}

/** The references' metric table: abs_rel sq_rel rmse rmse_log a1 a2 a3. */
export function formatMetricsTable(title: string, m: Record<string, number>): string {
  const names: [string, string][] = [['abs_rel', 'absRel'], ['sq_rel', 'sqRel'], ['rmse', 'rmse'], ['rmse_log', 'rmseLog'], ['a1', 'a1'], ['a2', 'a2'], ['a3', 'a3']];
  const head = names.map(([n]) => n.padStart(9)).join(' ');
  const row = names.map(([, k]) => (m[k] ?? NaN).toFixed(4).padStart(9)).join(' ');
  return `${title}\n${head}\n${row}`;
}
