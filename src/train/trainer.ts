/**
 * The training loop. It orchestrates only: batches from the loader, the objective from src/losses, one optimiser
 * step from src/train/step, and the periodic hooks (hooks.ts: log, validate, checkpoint). The objects it trains come
 * built from the config by the build layer (src/run); no maths and no config -> object building live here.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import type { RunConfig } from '../config/schema.js';
import { Loader, type Batch } from '../data/loader.js';
import type { AugmentConfig } from '../data/augment_config.js';
import type { Dataset } from '../data/types.js';
import { monoObjective, stereoObjective, temporalPoses, type ObjectiveSettings } from '../losses/objective.js';
import type { LossResult } from '../losses/monodepth2.js';
import type { OutputConvention } from '../models/output_convention.js';
import type { PoseNet } from '../models/pose.js';
import type { DepthNet } from '../models/types.js';
import { loadInto } from '../models/weights.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ProgressBar } from '../util/progress.js';
import { checkpointsDir, type CheckpointState, type LoadedCheckpoint } from './checkpoint.js';
import { withBatchContext } from './finite_guard.js';
import { disposeSignal, type Distillation, type TeacherSignal } from './distill.js';
import { closeEpoch, logStep, saveState, testAtEnd, validateAndCheckpoint, type Session } from './hooks.js';
import { RunLogger } from './logging.js';
import { Adam } from './optimizer.js';
import { learningRateAt, type ScheduleSpec } from './schedule.js';
import { supervisedObjective, supervisedSettingsOf } from '../losses/supervised_objective.js';
import { trainStep, type StepResult } from './step.js';
import type { ValSample } from './validate.js';

export { formatMetricsTable } from './hooks.js';

/** Everything a run trains with, built from its config by src/run. The trainer disposes the networks when done. */
export interface TrainingParts {
  config: RunConfig;
  runDir: string;
  trainSet: Dataset;
  valSamples: ValSample[];
  /** Reads data.test's samples for the final evaluation (null: no test set). */
  testSamples: (() => Promise<ValSample[]>) | null;
  net: DepthNet;
  poseNet: PoseNet | null;
  distillation: Distillation | null;
  objective: ObjectiveSettings;
  augment: AugmentConfig;
  /** What the net outputs, with the training rig (stored in every checkpoint). */
  output: OutputConvention;
  /** Continue this checkpoint exactly (optimizer, loader position, step, best). */
  resumeFrom: LoadedCheckpoint | null;
}

export interface TrainOptions {
  /** Continue from the run directory's latest checkpoint (exact: same batches, same losses). */
  resume?: boolean;
  /** Stop after this many steps of THIS invocation (tests, debugging); the run can be resumed later. */
  stopAfter?: number;
  /** Console output (default stderr). */
  log?: (line: string) => void;
  /** Set to true (e.g. by a SIGINT handler) to save a checkpoint and stop after the current step. */
  interrupt?: { requested: boolean };
  /** Progress bar stream (default stderr). */
  progressStream?: NodeJS.WriteStream;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  lastLoss: number;
  metrics?: Record<string, number>;
  /** Metrics on data.test at the end of the run. */
  testMetrics?: Record<string, number>;
  best: CheckpointState['best'];
  interrupted: boolean;
  badSamples: number;
}

export function runDirOf(config: RunConfig): string {
  return config.run_dir ?? join('runs', config.name);
}

function scheduleOf(config: RunConfig, batchesPerEpoch: number): ScheduleSpec {
  const s = config.optim.schedule;
  switch (s.kind) {
    case 'constant':
      return { kind: 'constant' };
    case 'piecewise':
      return { kind: 'piecewise', boundaries: s.boundaries, factors: s.factors };
    case 'step':
      return { kind: 'step', stepSize: Math.max(1, Math.round(s.step_size_epochs * batchesPerEpoch)), gamma: s.gamma };
    case 'cosine':
      return { kind: 'cosine', minLr: s.min_lr };
  }
}

function sliceBatch(t: tf.Tensor4D, start: number, size: number, total: number): tf.Tensor4D {
  return start === 0 && size === total ? t : tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]);
}

/**
 * The config's base loss on batch samples [start, start + size): supervised against the batch's GT depth, or self-supervised
 * (stereo, or temporal (+ stereo) with the pose net).
 */
function baseLoss(config: RunConfig, objective: ObjectiveSettings, batch: Batch, disparities: tf.Tensor4D[], poseNet: PoseNet | null, start: number, size: number): LossResult {
  const sl = (t: tf.Tensor4D): tf.Tensor4D => sliceBatch(t, start, size, batch.size);
  if (config.loss.kind === 'supervised') return supervisedObjective(disparities, sl(batch.gtDepth!), supervisedSettingsOf(config.loss));
  const cameras = { K: batch.K.slice(start, start + size), focal: batch.focal.slice(start, start + size), baseline: batch.baseline.slice(start, start + size) };
  if (poseNet && batch.neighbours) {
    const offsets = Object.keys(batch.neighbours).map(Number);
    const inputs = Object.fromEntries(offsets.map((f) => [f, sl(batch.neighbours![f]!.inputs)]));
    const images = Object.fromEntries(offsets.map((f) => [f, sl(batch.neighbours![f]!.images)]));
    const poses = temporalPoses(poseNet, sl(batch.leftInput), inputs, true);
    return monoObjective(
      { left: sl(batch.left), ...(config.loss.mode === 'mono_stereo' ? { right: sl(batch.right!) } : {}), ...cameras, disparities, neighbours: images, poses },
      objective,
    );
  }
  return stereoObjective({ left: sl(batch.left), right: sl(batch.right!), ...cameras, disparities }, objective);
}

/** What a run steps with: its loader, everything the optimiser updates, and the optimiser. */
export interface Stepper {
  parts: TrainingParts;
  loader: Loader;
  variables: Record<string, tf.Variable>;
  optimizer: Adam;
  /** The run's length: train.steps, or its epochs in batches. */
  totalSteps: number;
}

/** The loader, trainable variables and Adam of `parts`: `train` steps with these, and `stereodepth bench` times them. */
export function stepperOf(parts: TrainingParts): Stepper {
  const { config, net, poseNet, distillation } = parts;
  const loader = new Loader(parts.trainSet, {
    batchSize: config.data.batch_size,
    height: config.data.height,
    width: config.data.width,
    seed: config.seed,
    shuffle: config.data.shuffle,
    dropLast: config.data.drop_last,
    augment: parts.augment,
    prefetch: config.data.prefetch,
    onBadSample: config.data.on_bad_sample,
    maxSamples: config.data.train.max_samples,
  });
  // Adapters train with the student but are saved apart (adapters.sdt): allVariables() is the deployable model only.
  const variables = { ...net.trainableVariables(), ...(poseNet?.trainableVariables() ?? {}), ...(distillation?.variables() ?? {}) };
  const totalSteps = config.train.steps ?? config.train.epochs * loader.batchesPerEpoch;
  return { parts, loader, variables, optimizer: new Adam({ beta1: config.optim.beta1, beta2: config.optim.beta2 }), totalSteps };
}

/** The loader, optimiser, logger and counters of a run (restored from `resumeFrom` when resuming). */
function startSession(parts: TrainingParts, options: TrainOptions, log: (l: string) => void): Session {
  const { config, net, poseNet, distillation, resumeFrom } = parts;
  const { loader, variables, optimizer, totalSteps } = stepperOf(parts);
  const s: Session = {
    parts, loader, optimizer, variables, log, totalSteps,
    allVariables: () => ({ ...net.allVariables(), ...(poseNet?.allVariables() ?? {}) }),
    schedule: scheduleOf(config, loader.batchesPerEpoch),
    runLog: null as unknown as RunLogger,
    bar: null as unknown as ProgressBar,
    step: 0, best: null, lastLoss: NaN, stepsThisRun: 0,
    epoch: { current: loader.state().epoch, lossSum: 0, steps: 0, startedAt: Date.now() },
    throughput: { images: 0, since: Date.now() },
  };
  if (resumeFrom) {
    loadInto(s.allVariables(), resumeFrom.model);
    if (distillation?.adapters) {
      if (!resumeFrom.adapters) throw new Error(`--resume: ${resumeFrom.dir} has no adapters.sdt for the hint-KD adapters`);
      loadInto(distillation.variables(), resumeFrom.adapters);
    }
    if (resumeFrom.optimizer) optimizer.loadState(resumeFrom.optimizer, resumeFrom.state.optimizerStep);
    loader.restore(resumeFrom.state.loader);
    s.step = resumeFrom.state.step;
    s.best = resumeFrom.state.best;
    s.lastMetrics = resumeFrom.state.metrics;
    resumeFrom.dispose();
  }
  s.runLog = new RunLogger(parts.runDir, { resumed: Boolean(options.resume), startStep: s.step, notice: log });
  log(`${net.summary()}`);
  log(`run ${parts.runDir}: ${parts.trainSet.name} ${loader.numSamples} samples, ${loader.batchesPerEpoch} batches/epoch, ${s.totalSteps} steps, ${config.data.height}x${config.data.width} batch ${config.data.batch_size}`);
  s.bar = new ProgressBar({ label: config.name, total: s.totalSteps, unit: 'step', initial: s.step, stream: options.progressStream });
  return s;
}

/** Optimisation step number `step` on `batch` (disposed here): forward, loss (+ distillation), gradients, update. */
export function optimiseOn(s: Stepper, batch: Batch, lr: number, step: number): StepResult {
  const { config, net, poseNet, distillation, objective } = s.parts;
  const micro = batch.size % config.optim.micro_batches === 0 ? config.optim.micro_batches : 1;
  let signal: TeacherSignal = {};
  try {
    if (distillation) signal = distillation.signal(batch);
    return trainStep(
      s.variables,
      s.optimizer,
      (start, size) => {
        const sl = (t: tf.Tensor4D): tf.Tensor4D => sliceBatch(t, start, size, batch.size);
        const out = net.apply(sl(batch.leftInput), { training: true });
        if (distillation?.config.kind !== 'hint') for (const f of out.features) f.dispose();
        const base = baseLoss(config, objective, batch, out.disparities, poseNet, start, size);
        return distillation ? distillation.loss(base, out, signal, sl, step - 1, s.totalSteps) : base;
      },
      batch.size,
      lr,
      { microBatches: micro, ...(config.optim.grad_clip !== null ? { gradClip: config.optim.grad_clip } : {}) },
    );
  } catch (err) {
    throw withBatchContext(err, step, batch.ids, checkpointsDir(s.parts.runDir));
  } finally {
    disposeSignal(signal);
    batch.dispose();
  }
}

/** What the data must give the loss (the dataset's samples, so it is checked on the batch, not in the config). */
export function checkBatch(config: RunConfig, batch: Batch): void {
  let problem: string | null = null;
  if (config.loss.kind === 'supervised') {
    if (!batch.gtDepth) problem = `batch ${batch.ids.join(', ')} has no GT depth: loss.kind supervised needs a dataset that yields depth (nyu_h5, nyu_labeled, mai, or a depth option such as simsin loadDepth)`;
  } else if (!batch.right && config.loss.mode !== 'mono') problem = `sample ${batch.ids[0]} has no right view: loss.mode ${config.loss.mode} needs stereo pairs`;
  else if (config.loss.mode !== 'stereo' && !batch.neighbours) problem = `batch ${batch.ids.join(', ')} has no temporal neighbours: loss.mode ${config.loss.mode} needs frames ${config.loss.neighbours.join(', ')}`;
  if (problem === null) return;
  batch.dispose();
  throw new Error(problem);
}

/** Fetches the next batch, logs training images when due, runs one step, then the periodic hooks. */
async function runStep(s: Session): Promise<void> {
  const { config, net, distillation, objective } = s.parts;
  const batch: Batch = await s.loader.next();
  closeEpoch(s, batch.epoch);
  checkBatch(config, batch);
  if (config.train.image_every > 0 && (s.step + 1) % config.train.image_every === 0) {
    await s.runLog.trainImages(net, batch, s.step + 1, objective);
    if (distillation) await s.runLog.mapImages('train', 'distill', distillation.previews(net, batch), s.step + 1);
  }
  const lr = learningRateAt(s.step, s.totalSteps, config.optim.lr, s.schedule, config.optim.warmup_steps);
  const { ids, size } = batch;
  const result = optimiseOn(s, batch, lr, s.step + 1);
  if (!Number.isFinite(result.loss)) {
    throw new Error(
      `loss is ${result.loss} at step ${s.step + 1} (batch ${ids.join(', ')}); stopped without saving this state. ` +
        `The last good checkpoint is in ${join(s.parts.runDir, 'checkpoints')}; lower optim.lr or set optim.grad_clip`,
    );
  }
  s.step += 1;
  s.stepsThisRun += 1;
  s.lastLoss = result.loss;
  s.epoch.lossSum += result.loss;
  s.epoch.steps += 1;
  s.throughput.images += size;
  logStep(s, result, lr);
  await validateAndCheckpoint(s);
}

/** Bad samples, the final checkpoint of an interrupted run, the test-set evaluation and the report. */
async function finish(s: Session, interrupt: { requested: boolean }): Promise<TrainResult> {
  const { runDir } = s.parts;
  s.bar.finish({ loss: Number.isFinite(s.lastLoss) ? s.lastLoss.toFixed(4) : '-' });
  const interrupted = s.step < s.totalSteps;
  if (interrupted && s.stepsThisRun > 0) {
    const dir = await saveState(s);
    s.log(`${interrupt.requested ? 'interrupted' : 'stopped'} at step ${s.step}: checkpoint ${dir}; continue with --resume`);
  }
  if (!interrupted) closeEpoch(s, null);
  const bad = s.loader.badSamples;
  if (bad.length > 0) {
    s.log(`skipped ${bad.length} bad sample(s):`);
    for (const b of bad.slice(0, 20)) s.log(`  ${b.id}: ${b.message}`);
    await writeFileAtomic(join(runDir, 'bad_samples.json'), JSON.stringify(bad, null, 1));
  }
  s.loader.close();
  const testMetrics = interrupted ? undefined : await testAtEnd(s);
  await s.runLog.writeReport(s.parts.config, { steps: s.step, totalSteps: s.totalSteps, best: s.best, ...(s.lastMetrics ? { metrics: s.lastMetrics } : {}), ...(testMetrics ? { testMetrics } : {}) });
  if (s.lastMetrics) s.log(`final validation: ${Object.entries(s.lastMetrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
  s.log(`run directory: ${runDir} (TensorBoard: tensorboard --logdir ${runDir}; report: ${join(runDir, 'report.html')})`);
  return {
    runDir, steps: s.step, lastLoss: s.lastLoss, best: s.best, interrupted, badSamples: bad.length,
    ...(s.lastMetrics ? { metrics: s.lastMetrics } : {}), ...(testMetrics ? { testMetrics } : {}),
  };
}

/** Trains `parts` (built by src/run) until the configured steps, an interrupt or `stopAfter`; disposes the networks. */
export async function train(parts: TrainingParts, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const interrupt = options.interrupt ?? { requested: false };
  let session: Session | null = null;
  try {
    const s = startSession(parts, options, log);
    session = s;
    while (s.step < s.totalSteps) {
      if (interrupt.requested) break;
      if (options.stopAfter !== undefined && s.stepsThisRun >= options.stopAfter) break;
      await runStep(s);
    }
    return await finish(s, interrupt);
  } finally {
    session?.runLog?.close();
    session?.optimizer.dispose();
    parts.net.dispose();
    parts.poseNet?.dispose();
    parts.distillation?.dispose();
  }
}
