/**
 * A training run from its config: resume or start (run directory, resolved config), every object the trainer needs
 * (datasets, validation samples, networks, distillation, objective, augmentation, output convention), then the loop.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { configToYaml } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { HintAdapters } from '../losses/hint.js';
import type { Rig } from '../models/output_convention.js';
import type { DepthNet } from '../models/types.js';
import { loadInto } from '../models/weights.js';
import { checkpointsDir, loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.js';
import { Distillation, withTeacherMaps, type TeacherNet } from '../train/distill.js';
import { runDirOf, train, type TrainingParts, type TrainOptions, type TrainResult } from '../train/trainer.js';
import { loadValSamples } from '../train/validate.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Rng } from '../util/random.js';
import { augmentFromConfig, datasetFromConfig, modelFromConfig, netFromCheckpoint, objectiveFromConfig, outputConventionFromConfig, poseNetFromConfig } from './build.js';
import { withRunLock } from '../train/run_lock.js';

type Log = (line: string) => void;

/** Initialises `net` from a checkpoint's weights for fine-tuning (fresh optimiser and schedule). */
export async function initFromCheckpoint(net: DepthNet, path: string, models: ('encoder' | 'depth')[]): Promise<string[]> {
  const ckpt = await loadCheckpoint(path, { optimizer: false });
  try {
    return loadInto(net.allVariables(), ckpt.model, { strict: true, prefixes: models.map((m) => `${m}/`) });
  } catch (err) {
    throw new Error(`init.checkpoint ${ckpt.dir}: ${(err as Error).message}`);
  } finally {
    ckpt.dispose();
  }
}

/** Channels of a net's decoder features per scale (one small forward pass). */
function featureChannels(net: DepthNet): number[] {
  const out = net.apply(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, { training: false });
  const channels = out.features.map((f) => f.shape[3]);
  tf.dispose([...out.disparities, ...out.features]);
  return channels;
}

/** The teacher and hint adapters of `config.distill` for `student`; null when the run has no distillation. */
export async function distillationFromConfig(config: RunConfig, student: DepthNet, log: Log = () => undefined): Promise<Distillation | null> {
  const d = config.distill;
  if (!d) return null;
  let teacher: TeacherNet | null = null;
  if (d.teacher.source === 'checkpoint') {
    const loaded = await netFromCheckpoint(d.teacher.path).catch((err: Error) => {
      throw new Error(`distill.teacher.path: ${err.message}`);
    });
    teacher = { net: loaded.net, output: loaded.output };
    log(`distill ${d.kind}: teacher ${loaded.config.model.name} from ${loaded.dir} (step ${loaded.step}), frozen`);
  } else {
    log(`distill ${d.kind}: teacher maps (${d.teacher.map_kind}) from ${d.teacher.path}`);
  }
  let adapters: HintAdapters | null = null;
  if (d.kind === 'hint') {
    const s = featureChannels(student);
    const t = featureChannels(teacher!.net);
    if (s.length !== t.length) {
      teacher?.net.dispose();
      throw new Error(`distill hint: the student has ${s.length} decoder feature scales, the teacher ${t.length}`);
    }
    adapters = new HintAdapters(s, t, new Rng(`${config.seed}:hint_adapters`));
    log(`distill hint: 1x1 adapters ${s.map((c, r) => `${c}->${t[r]}`).join(', ')}, weights ${d.weights.join(', ')}${d.schedule === 'cosine' ? ' decaying to 0 on a cosine' : ''}`);
  }
  return new Distillation(d, objectiveFromConfig(config.loss), teacher, adapters);
}

/** The training set of a config: temporal neighbours for the mono modes, teacher maps for map distillation. */
async function trainSetOf(config: RunConfig, log: Log): Promise<Dataset> {
  const temporal = config.loss.mode !== 'stereo';
  const entry = temporal ? { ...config.data.train, options: { neighbours: config.loss.neighbours, ...config.data.train.options } } : config.data.train;
  return withTeacherMaps(config, await datasetFromConfig(entry, 'data.train', log));
}

/** The run's config and checkpoint when resuming (the checkpoint's own config is authoritative), else `config`. */
async function startOrResume(config: RunConfig, resume: boolean, log: Log): Promise<{ config: RunConfig; resumeFrom: LoadedCheckpoint | null; runDir: string }> {
  const runDir = runDirOf(config);
  mkdirSync(runDir, { recursive: true });
  if (!resume) {
    await writeFileAtomic(join(runDir, 'config.resolved.yaml'), configToYaml(config));
    return { config, resumeFrom: null, runDir };
  }
  if (!existsSync(join(checkpointsDir(runDir), 'latest'))) throw new Error(`--resume: no checkpoint in ${runDir} (expected ${join(checkpointsDir(runDir), 'latest')})`);
  const resumeFrom = await loadCheckpoint(runDir);
  log(`resuming ${runDir} from ${resumeFrom.dir} (step ${resumeFrom.state.step})`);
  return { config: resumeFrom.state.config, resumeFrom, runDir };
}

/** Builds everything one training run needs from its config (see TrainingParts). */
export async function buildTraining(requested: RunConfig, opts: { resume?: boolean; log?: Log } = {}): Promise<TrainingParts> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { config, resumeFrom, runDir } = await startOrResume(requested, Boolean(opts.resume), log);
  const trainSet = await trainSetOf(config, log);
  const first = await trainSet.get(0);
  const rig: Rig = { baseline: Math.abs(first.camera.baseline), focalOverWidth: first.camera.focal / first.camera.width };
  const val = config.data.val;
  const valSamples = val ? await loadValSamples(await datasetFromConfig(val, 'data.val', log), config.eval.max_samples ?? val.max_samples) : [];
  const test = config.data.test;
  const testSamples = test ? async () => loadValSamples(await datasetFromConfig(test, 'data.test', log), test.max_samples) : null;
  const net = modelFromConfig(config.model, config.loss, config.seed);
  const poseNet = config.loss.mode !== 'stereo' ? poseNetFromConfig(config.model, config.seed) : null;
  try {
    const distillation = await distillationFromConfig(config, net, log);
    if (!resumeFrom && config.init) {
      const loaded = await initFromCheckpoint(net, config.init.checkpoint, config.init.models);
      log(`initialised ${loaded.length} variables (${config.init.models.join(', ')}) from ${config.init.checkpoint}`);
    }
    return {
      config, runDir, trainSet, valSamples, testSamples, net, poseNet, distillation, resumeFrom,
      objective: objectiveFromConfig(config.loss),
      augment: augmentFromConfig(config.data.augment),
      output: outputConventionFromConfig(config, rig),
    };
  } catch (err) {
    net.dispose();
    poseNet?.dispose();
    resumeFrom?.dispose();
    throw err;
  }
}

/**
 * One training run of `config` (no stages): build, then train, holding the run directory's lock (one training per
 * directory) after the crash leftovers of earlier processes were recovered / removed.
 */
export async function runTraining(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  return withRunLock(runDirOf(config), options.log ?? ((l: string) => process.stderr.write(l + '\n')), async () => {
    const parts = await buildTraining(config, { ...(options.resume ? { resume: true } : {}), ...(options.log ? { log: options.log } : {}) });
    return train(parts, options);
  });
}
