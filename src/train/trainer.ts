/**
 * The training loop. It orchestrates only: batches from the loader, the objective from src/losses, one optimiser
 * step from src/train/step, logging, validation and checkpoints. No maths lives here.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { configToYaml } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { Loader, type Batch } from '../data/loader.js';
import { monoObjective, stereoObjective, temporalPoses, type ObjectiveSettings } from '../losses/objective.js';
import type { PoseNet } from '../models/pose.js';
import type { LossResult } from '../losses/monodepth2.js';
import { loadInto } from '../models/weights.js';
import type { DepthNet } from '../models/types.js';
import type { Rig } from '../models/output_convention.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ProgressBar, formatDuration } from '../util/progress.js';
import { checkpointsDir, loadCheckpoint, markBest, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { Adam } from './optimizer.js';
import { learningRateAt, type ScheduleSpec } from './schedule.js';
import { augmentFromConfig, datasetFromConfig, modelFromConfig, objectiveFromConfig, outputConventionFromConfig, poseNetFromConfig } from './setup.js';
import { trainStep } from './step.js';
import { Distillation, disposeSignal, withTeacherMaps, type TeacherSignal } from './distill.js';
import { loadValSamples, validate, type ValSample, type ValidationResult } from './validate.js';
import { RunLogger } from './logging.js';

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

const HIGHER_IS_BETTER = new Set(['a1', 'a2', 'a3']);

function isBetter(metric: string, value: number, best: CheckpointState['best']): boolean {
  if (!Number.isFinite(value)) return false;
  if (!best) return true;
  return HIGHER_IS_BETTER.has(metric) ? value > best.value : value < best.value;
}

function sliceBatch(t: tf.Tensor4D, start: number, size: number, total: number): tf.Tensor4D {
  return start === 0 && size === total ? t : tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]);
}

/** Initialises `net` from a checkpoint's weights for fine-tuning (fresh optimiser and schedule). */
export async function initFromCheckpoint(net: DepthNet, path: string, models: ('encoder' | 'depth')[]): Promise<string[]> {
  const ckpt = await loadCheckpoint(path, { optimizer: false });
  try {
    const prefixes = models.map((m) => `${m}/`);
    return loadInto(net.allVariables(), ckpt.model, { strict: true, prefixes });
  } catch (err) {
    throw new Error(`init.checkpoint ${ckpt.dir}: ${(err as Error).message}`);
  } finally {
    ckpt.dispose();
  }
}

/** The config's self-supervised loss on batch samples [start, start + size): stereo, or temporal (+ stereo) with the pose net. */
function selfSupervisedLoss(config: RunConfig, objective: ObjectiveSettings, batch: Batch, disparities: tf.Tensor4D[], poseNet: PoseNet | null, start: number, size: number): LossResult {
  const sl = (t: tf.Tensor4D): tf.Tensor4D => sliceBatch(t, start, size, batch.size);
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

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = runDirOf(config);
  mkdirSync(runDir, { recursive: true });
  const interrupt = options.interrupt ?? { requested: false };

  // Resume: the checkpoint's own config is authoritative (the run continues exactly as it started).
  let resumeFrom: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  if (options.resume) {
    if (!existsSync(join(checkpointsDir(runDir), 'latest'))) throw new Error(`--resume: no checkpoint in ${runDir} (expected ${join(checkpointsDir(runDir), 'latest')})`);
    resumeFrom = await loadCheckpoint(runDir);
    config = resumeFrom.state.config;
    log(`resuming ${runDir} from ${resumeFrom.dir} (step ${resumeFrom.state.step})`);
  } else {
    await writeFileAtomic(join(runDir, 'config.resolved.yaml'), configToYaml(config));
  }

  const temporal = config.loss.mode !== 'stereo';
  if (temporal && config.data.augment.crop.probability > 0) {
    throw new Error(`data.augment.crop.probability must be 0 with loss.mode ${config.loss.mode}: the temporal warp uses one intrinsic matrix per batch`);
  }
  const trainEntry = temporal ? { ...config.data.train, options: { neighbours: config.loss.neighbours, ...config.data.train.options } } : config.data.train;
  const trainSet = withTeacherMaps(config, await datasetFromConfig(trainEntry, 'data.train', log));
  const loader = new Loader(trainSet, {
    batchSize: config.data.batch_size,
    height: config.data.height,
    width: config.data.width,
    seed: config.seed,
    shuffle: config.data.shuffle,
    dropLast: config.data.drop_last,
    augment: augmentFromConfig(config.data.augment),
    prefetch: config.data.prefetch,
    onBadSample: config.data.on_bad_sample,
    maxSamples: config.data.train.max_samples,
  });
  const first = await trainSet.get(0);
  const rig: Rig = { baseline: Math.abs(first.camera.baseline), focalOverWidth: first.camera.focal / first.camera.width };
  let valSamples: ValSample[] = [];
  if (config.data.val) {
    const valSet = await datasetFromConfig(config.data.val, 'data.val', log);
    valSamples = await loadValSamples(valSet, config.eval.max_samples ?? config.data.val.max_samples);
  }

  const net = modelFromConfig(config.model, config.loss, config.seed);
  const poseNet = temporal ? poseNetFromConfig(config.model, config.seed) : null;
  const distillation = await Distillation.create(config, net, log);
  // Adapters train with the student but are saved apart (adapters.sdt): allVariables() is the deployable model only.
  const variables = { ...net.trainableVariables(), ...(poseNet?.trainableVariables() ?? {}), ...(distillation?.variables() ?? {}) };
  const allVariables = (): Record<string, tf.Variable> => ({ ...net.allVariables(), ...(poseNet?.allVariables() ?? {}) });
  const optimizer = new Adam({ beta1: config.optim.beta1, beta2: config.optim.beta2 });
  let logger: RunLogger | undefined;
  try {
    const objective = objectiveFromConfig(config.loss);
    const totalSteps = config.train.steps ?? config.train.epochs * loader.batchesPerEpoch;
    const schedule = scheduleOf(config, loader.batchesPerEpoch);

    let step = 0;
    let best: CheckpointState['best'] = null;
    let lastMetrics: Record<string, number> | undefined;
    if (resumeFrom) {
      loadInto(allVariables(), resumeFrom.model);
      if (distillation?.adapters) {
        if (!resumeFrom.adapters) throw new Error(`--resume: ${resumeFrom.dir} has no adapters.sdt for the hint-KD adapters`);
        loadInto(distillation.variables(), resumeFrom.adapters);
      }
      if (resumeFrom.optimizer) optimizer.loadState(resumeFrom.optimizer, resumeFrom.state.optimizerStep);
      loader.restore(resumeFrom.state.loader);
      step = resumeFrom.state.step;
      best = resumeFrom.state.best;
      lastMetrics = resumeFrom.state.metrics;
      resumeFrom.dispose();
    } else if (config.init) {
      const loaded = await initFromCheckpoint(net, config.init.checkpoint, config.init.models);
      log(`initialised ${loaded.length} variables (${config.init.models.join(', ')}) from ${config.init.checkpoint}`);
    }

    const runLog = new RunLogger(runDir, { resumed: Boolean(options.resume) });
    logger = runLog;
    log(`${net.summary()}`);
    log(`run ${runDir}: ${trainSet.name} ${loader.numSamples} samples, ${loader.batchesPerEpoch} batches/epoch, ${totalSteps} steps, ${config.data.height}x${config.data.width} batch ${config.data.batch_size}`);

    const state = (): CheckpointState => ({
      format: 'stereodepth-checkpoint/1',
      step,
      optimizerStep: optimizer.step,
      loader: loader.state(),
      best,
      ...(lastMetrics ? { metrics: lastMetrics } : {}),
      config,
      rig,
      output: outputConventionFromConfig(config, rig),
      savedAt: new Date().toISOString(),
    });
    const save = async (): Promise<string> => saveCheckpoint(runDir, allVariables(), optimizer.stateTensors(), state(), config.train.keep_last, distillation?.variables() ?? null);

    const runValidation = async (): Promise<ValidationResult | null> => {
      if (valSamples.length === 0) return null;
      const r = await validate(net, valSamples, config, config.data.batch_size);
      lastMetrics = { ...r.metrics };
      runLog.scalars('val', Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [`metrics/${k}`, v])), step);
      runLog.disparityImages('val', r.preview, step);
      return r;
    };

    const bar = new ProgressBar({ label: config.name, total: totalSteps, unit: 'step', initial: step, stream: options.progressStream });
    const microBatches = config.optim.micro_batches;
    const startedAt = Date.now();
    let lastLoss = NaN;
    let stepsThisRun = 0;
    let epochLossSum = 0;
    let epochSteps = 0;
    let currentEpoch = loader.state().epoch;
    let imagesSinceLog = 0;
    let lastLogTime = Date.now();

    while (step < totalSteps) {
      if (interrupt.requested) break;
      if (options.stopAfter !== undefined && stepsThisRun >= options.stopAfter) break;
      const batch: Batch = await loader.next();
      if (batch.epoch !== currentEpoch) {
        if (epochSteps > 0) log(`epoch ${currentEpoch + 1} done: mean loss ${(epochLossSum / epochSteps).toFixed(4)} over ${epochSteps} steps, elapsed ${formatDuration((Date.now() - startedAt) / 1000)}`);
        currentEpoch = batch.epoch;
        epochLossSum = 0;
        epochSteps = 0;
      }
      if (!batch.right && config.loss.mode !== 'mono') {
        batch.dispose();
        throw new Error(`sample ${batch.ids[0]} has no right view: loss.mode ${config.loss.mode} needs stereo pairs`);
      }
      if (temporal && !batch.neighbours) {
        batch.dispose();
        throw new Error(`batch ${batch.ids.join(', ')} has no temporal neighbours: loss.mode ${config.loss.mode} needs frames ${config.loss.neighbours.join(', ')} (a swap flip drops them: use data.augment.flip.mode negate_baseline)`);
      }
      if (config.train.image_every > 0 && (step + 1) % config.train.image_every === 0) {
        await runLog.trainImages(net, batch, step + 1, objective);
        if (distillation) await runLog.mapImages('train', 'distill', distillation.previews(net, batch), step + 1);
      }
      const lr = learningRateAt(step, totalSteps, config.optim.lr, schedule, config.optim.warmup_steps);
      const micro = batch.size % microBatches === 0 ? microBatches : 1;
      let result;
      let signal: TeacherSignal = {};
      try {
        if (distillation) signal = distillation.signal(batch);
        result = trainStep(
          variables,
          optimizer,
          (start, size) => {
            const sl = (t: tf.Tensor4D): tf.Tensor4D => sliceBatch(t, start, size, batch.size);
            const out = net.apply(sl(batch.leftInput), { training: true });
            if (distillation?.config.kind !== 'hint') for (const f of out.features) f.dispose();
            const selfSupervised = selfSupervisedLoss(config, objective, batch, out.disparities, poseNet, start, size);
            return distillation ? distillation.loss(selfSupervised, out, signal, sl) : selfSupervised;
          },
          batch.size,
          lr,
          { microBatches: micro, ...(config.optim.grad_clip !== null ? { gradClip: config.optim.grad_clip } : {}) },
        );
      } finally {
        disposeSignal(signal);
        batch.dispose();
      }
      if (!Number.isFinite(result.loss)) {
        throw new Error(
          `loss is ${result.loss} at step ${step + 1} (batch ${batch.ids.join(', ')}); stopped without saving this state. ` +
            `The last good checkpoint is in ${checkpointsDir(runDir)}; lower optim.lr or set optim.grad_clip`,
        );
      }
      step += 1;
      stepsThisRun += 1;
      lastLoss = result.loss;
      epochLossSum += result.loss;
      epochSteps += 1;
      imagesSinceLog += batch.size;

      if (step % config.train.log_every === 0 || step === totalSteps) {
        const now = Date.now();
        const imagesPerSec = imagesSinceLog / Math.max(1e-3, (now - lastLogTime) / 1000);
        imagesSinceLog = 0;
        lastLogTime = now;
        const mem = tf.memory();
        runLog.scalars('train', { loss: result.loss, lr, ...prefixed('loss_parts', result.parts), ...(Number.isFinite(result.gradNorm) ? { grad_norm: result.gradNorm } : {}), images_per_sec: imagesPerSec, 'memory/num_tensors': mem.numTensors, 'memory/mib': mem.numBytes / 2 ** 20, 'memory/rss_mib': process.memoryUsage().rss / 2 ** 20 }, step);
      }
      bar.tick(1, { loss: result.loss.toFixed(4), lr: lr.toExponential(1), ...(lastMetrics ? { abs_rel: lastMetrics.absRel!.toFixed(3) } : {}) });

      const valNow = config.train.val_every > 0 && step % config.train.val_every === 0;
      const ckptNow = step % config.train.checkpoint_every === 0 || step === totalSteps;
      let validated: ValidationResult | null = null;
      if (valNow || step === totalSteps) validated = await runValidation();
      if (ckptNow || validated) {
        const metricValue = validated ? validated.metrics[config.train.best_metric] : NaN;
        const improved = validated !== null && isBetter(config.train.best_metric, metricValue, best);
        if (improved) best = { metric: config.train.best_metric, value: metricValue, step };
        if (ckptNow || improved) {
          const dir = await save();
          if (improved) await markBest(runDir, dir);
        }
        runLog.flush();
      }
    }
    bar.finish({ loss: Number.isFinite(lastLoss) ? lastLoss.toFixed(4) : '-' });

    const interrupted = step < totalSteps;
    if (interrupted && stepsThisRun > 0) {
      const dir = await save();
      log(`${interrupt.requested ? 'interrupted' : 'stopped'} at step ${step}: checkpoint ${dir}; continue with --resume`);
    }
    if (!interrupted && epochSteps > 0) log(`epoch ${currentEpoch + 1} done: mean loss ${(epochLossSum / epochSteps).toFixed(4)} over ${epochSteps} steps`);
    if (loader.badSamples.length > 0) {
      log(`skipped ${loader.badSamples.length} bad sample(s):`);
      for (const b of loader.badSamples.slice(0, 20)) log(`  ${b.id}: ${b.message}`);
      await writeFileAtomic(join(runDir, 'bad_samples.json'), JSON.stringify(loader.badSamples, null, 1));
    }
    loader.close();
    let testMetrics: Record<string, number> | undefined;
    if (!interrupted && config.data.test) {
      const testSet = await datasetFromConfig(config.data.test, 'data.test', log);
      const samples = await loadValSamples(testSet, config.data.test.max_samples);
      const r = await validate(net, samples, config, config.data.batch_size, 0);
      testMetrics = { ...r.metrics };
      runLog.scalars('test', Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [`metrics/${k}`, v])), step);
      await writeFileAtomic(join(runDir, 'test_metrics.json'), JSON.stringify({ step, count: r.count, protocol: config.eval, metrics: r.metrics }, null, 1));
      log(formatMetricsTable(`test (${r.count} images, ${config.eval.protocol} protocol, ${config.eval.crop} crop, ${config.eval.median_scaling ? 'median scaling' : 'no median scaling'})`, { ...r.metrics }));
    }
    await runLog.writeReport(config, { steps: step, totalSteps, best, metrics: lastMetrics });
    if (lastMetrics) log(`final validation: ${Object.entries(lastMetrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
    log(`run directory: ${runDir} (TensorBoard: tensorboard --logdir ${runDir}; report: ${join(runDir, 'report.html')})`);
    return { runDir, steps: step, lastLoss, ...(lastMetrics ? { metrics: lastMetrics } : {}), ...(testMetrics ? { testMetrics } : {}), best, interrupted, badSamples: loader.badSamples.length };
  } finally {
    logger?.close();
    optimizer.dispose();
    net.dispose();
    poseNet?.dispose();
    distillation?.dispose();
  }
}

/** The references' metric table: abs_rel sq_rel rmse rmse_log a1 a2 a3. */
export function formatMetricsTable(title: string, m: Record<string, number>): string {
  const names: [string, string][] = [['abs_rel', 'absRel'], ['sq_rel', 'sqRel'], ['rmse', 'rmse'], ['rmse_log', 'rmseLog'], ['a1', 'a1'], ['a2', 'a2'], ['a3', 'a3']];
  const head = names.map(([n]) => n.padStart(9)).join(' ');
  const row = names.map(([, k]) => (m[k] ?? NaN).toFixed(4).padStart(9)).join(' ');
  return `${title}\n${head}\n${row}`;
}

function prefixed(prefix: string, record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [`${prefix}/${k}`, v]));
}

