/**
 * What a training run is made of, built from its config in one place: the training set and its loader, the depth
 * network (and pose network, and distillation), the optimiser and the objective; and the one training step on a
 * batch. `train` and `stereodepth bench --config` both run this, so the bench times exactly the step training runs.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { RunConfig } from '../config/schema.js';
import { Loader, type Batch } from '../data/loader.js';
import type { Dataset } from '../data/types.js';
import { monoObjective, stereoObjective, temporalPoses, type ObjectiveSettings } from '../losses/objective.js';
import type { LossResult } from '../losses/monodepth2.js';
import type { PoseNet } from '../models/pose.js';
import type { DepthNet } from '../models/types.js';
import { Distillation, disposeSignal, withTeacherMaps, type TeacherSignal } from './distill.js';
import { Adam } from './optimizer.js';
import { augmentFromConfig, datasetFromConfig, modelFromConfig, objectiveFromConfig, poseNetFromConfig } from './setup.js';
import { trainStep, type StepResult } from './step.js';

export interface TrainingSession {
  trainSet: Dataset;
  loader: Loader;
  net: DepthNet;
  poseNet: PoseNet | null;
  distillation: Distillation | null;
  /** Everything the optimiser updates (student, pose net, hint adapters). */
  variables: Record<string, tf.Variable>;
  optimizer: Adam;
  objective: ObjectiveSettings;
  /**
   * One optimisation step on `batch` at learning rate `lr` (forward, the config's loss, backward with the config's
   * micro-batches and gradient clipping, Adam). Disposes the batch.
   */
  step(batch: Batch, lr: number): StepResult;
  /** Releases the networks and the optimiser state, and stops the loader. */
  dispose(): void;
}

function sliceBatch(t: tf.Tensor4D, start: number, size: number, total: number): tf.Tensor4D {
  return start === 0 && size === total ? t : tf.slice(t, [start, 0, 0, 0], [size, -1, -1, -1]);
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

/** A batch the config's loss cannot use is an error naming the sample and the config key. */
export function checkBatch(config: RunConfig, batch: Batch): void {
  if (!batch.right && config.loss.mode !== 'mono') {
    throw new Error(`sample ${batch.ids[0]} has no right view: loss.mode ${config.loss.mode} needs stereo pairs`);
  }
  if (config.loss.mode !== 'stereo' && !batch.neighbours) {
    throw new Error(`batch ${batch.ids.join(', ')} has no temporal neighbours: loss.mode ${config.loss.mode} needs frames ${config.loss.neighbours.join(', ')} (a swap flip drops them: use data.augment.flip.mode negate_baseline)`);
  }
}

/** Builds the training set, loader, networks, optimiser and objective of `config` (the data of data.train). */
export async function createTrainingSession(config: RunConfig, log?: (line: string) => void): Promise<TrainingSession> {
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
  const net = modelFromConfig(config.model, config.loss, config.seed);
  const poseNet = temporal ? poseNetFromConfig(config.model, config.seed) : null;
  let distillation: Distillation | null = null;
  try {
    distillation = (await Distillation.create(config, net, log ?? (() => undefined))) ?? null;
  } catch (err) {
    loader.close();
    net.dispose();
    poseNet?.dispose();
    throw err;
  }
  // Adapters train with the student but are saved apart (adapters.sdt).
  const variables = { ...net.trainableVariables(), ...(poseNet?.trainableVariables() ?? {}), ...(distillation?.variables() ?? {}) };
  const optimizer = new Adam({ beta1: config.optim.beta1, beta2: config.optim.beta2 });
  const objective = objectiveFromConfig(config.loss);
  const step = (batch: Batch, lr: number): StepResult => {
    let signal: TeacherSignal = {};
    try {
      checkBatch(config, batch);
      // A batch that does not split evenly (the last one of an epoch) runs whole.
      const micro = batch.size % config.optim.micro_batches === 0 ? config.optim.micro_batches : 1;
      if (distillation) signal = distillation.signal(batch);
      return trainStep(
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
  };
  return {
    trainSet,
    loader,
    net,
    poseNet,
    distillation,
    variables,
    optimizer,
    objective,
    step,
    dispose: () => {
      loader.close();
      optimizer.dispose();
      net.dispose();
      poseNet?.dispose();
      distillation?.dispose();
    },
  };
}
