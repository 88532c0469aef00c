/**
 * The build layer: config -> objects (the dataset adapters, the network, the augmentation, the loss settings, the
 * output convention, a trained net from a checkpoint). One place, so train, test, eval, predict and export build the
 * same things from the same config; the layers below take the objects and never read the config to build them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AugmentSettings, DatasetConfig, LossConfig, ModelConfig, RunConfig } from '../config/schema.js';
import { MONODEPTH2_COLOUR_RANGES, MONODEPTH_COLOUR_RANGES, type AugmentConfig } from '../data/augment_config.js';
import { FASTDEPTH_CENTRE_CROP, type RgbdAugmentConfig } from '../data/augment_rgbd.js';
import { createDataset } from '../data/registry.js';
import { generateWorld } from '../data/synthetic/writer.js';
import type { Dataset } from '../data/types.js';
import { depthNetFromSpec, poseNetFromSpec } from '../models/build.js';
import type { DepthNet } from '../models/types.js';
import type { PoseNet } from '../models/pose.js';
import { loadInto } from '../models/weights.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import type { ObjectiveSettings } from '../losses/objective.js';
import { outputConventionOf, type OutputConvention, type Rig } from '../models/output_convention.js';

/** Renders the synthetic world a dataset entry asks for, unless a complete one is already there. */
export async function ensureSynthetic(d: DatasetConfig, log: (l: string) => void = () => undefined): Promise<void> {
  const s = d.synthesize;
  if (!s) return;
  const manifest = join(d.path, 'synth_manifest.json');
  if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { complete?: boolean }).complete) return;
  log(`rendering the synthetic ${s.world} world (${s.count} frames) into ${d.path} ...`);
  await generateWorld({ world: s.world, out: d.path, count: s.count, height: s.height, width: s.width, seed: String(s.seed), framesPerScene: s.frames_per_scene });
}

/** Builds the adapter of one dataset entry; a missing root or split file is an error naming the config key. */
export async function datasetFromConfig(d: DatasetConfig, key: string, log?: (l: string) => void): Promise<Dataset> {
  await ensureSynthetic(d, log);
  if (!existsSync(d.path)) throw new Error(`${key}.path: dataset root ${d.path} does not exist (generate the synthetic world with \`stereodepth synth\`, or fix the path)`);
  if (d.split !== undefined && !existsSync(d.split)) throw new Error(`${key}.split: split file ${d.split} does not exist`);
  return createDataset(d.dataset, { path: d.path, ...(d.split !== undefined ? { split: { file: d.split, allowOutsideRoot: d.allow_outside_root } } : {}), options: d.options }, key);
}

export function augmentFromConfig(a: AugmentSettings): AugmentConfig {
  return {
    flip: { probability: a.flip.probability, mode: a.flip.mode },
    colour: { probability: a.colour.probability, mode: a.colour.mode, v1: { ...MONODEPTH_COLOUR_RANGES }, v2: { ...MONODEPTH2_COLOUR_RANGES } },
    crop: { probability: a.crop.probability, minScale: a.crop.min_scale, maxScale: a.crop.max_scale },
    rgbd: rgbdAugmentFromConfig(a),
  };
}

/** The RGB-D augmentation of a config (also gives validation/test their deterministic transform). */
export function rgbdAugmentFromConfig(a: AugmentSettings): RgbdAugmentConfig {
  const { fastdepth: f, mai_crop: m } = a.rgbd;
  return {
    mode: a.rgbd.mode,
    fastdepth: { scale: f.scale, rotationDegrees: f.rotation_degrees, centreCrop: FASTDEPTH_CENTRE_CROP, flipProbability: f.flip_probability, jitter: f.jitter },
    maiCrop: { probability: m.probability, minScale: m.min_scale, maxScale: m.max_scale, flipProbability: m.flip_probability },
  };
}

/** The depth network of a config (monodepth v1 losses: two output channels). */
export function modelFromConfig(m: ModelConfig, loss: Pick<LossConfig, 'kind'>, seed: number): DepthNet {
  return depthNetFromSpec(m, loss.kind, seed);
}

/** monodepth2's pose network for the temporal modes. */
export function poseNetFromConfig(m: ModelConfig, seed: number): PoseNet {
  return poseNetFromSpec(m, seed);
}

export function objectiveFromConfig(l: LossConfig): ObjectiveSettings {
  return {
    kind: l.kind,
    minDepth: l.min_depth,
    maxDepth: l.max_depth,
    trainingBaseline: l.training_baseline,
    smoothnessWeight: l.smoothness_weight,
    scales: l.scales,
    monodepth2: {
      alignCorners: l.monodepth2.align_corners,
      automask: l.monodepth2.automask,
      avgReprojection: l.monodepth2.avg_reprojection,
      noSsim: l.monodepth2.no_ssim,
    },
    monodepth: {
      alpha: l.monodepth.alpha,
      lrWeight: l.monodepth.lr_weight,
      samplerMode: l.monodepth.sampler_mode,
      ssimPadding: l.monodepth.ssim_padding,
      smoothnessTerms: l.monodepth.smoothness_terms,
    },
  };
}

/** The output convention of a net trained with `config` on `rig` (models/output_convention.ts converts with it). */
export function outputConventionFromConfig(config: RunConfig, rig?: Rig): OutputConvention {
  return outputConventionOf({
    lossKind: config.loss.kind,
    mode: config.loss.mode,
    minDepth: config.loss.min_depth,
    maxDepth: config.loss.max_depth,
    trainingBaseline: config.loss.training_baseline,
    scaleFactor: config.eval.scale_factor,
    inputHeight: config.data.height,
    inputWidth: config.data.width,
    ...(rig ? { rig } : {}),
  });
}

export interface TrainedNet {
  net: DepthNet;
  config: RunConfig;
  /** What the net outputs, its rig and input size (from the checkpoint; derived from its config for older ones). */
  output: OutputConvention;
  dir: string;
  step: number;
}

/** A trained depth network from a checkpoint (or run directory), with the config it was trained with. */
export async function netFromCheckpoint(path: string): Promise<TrainedNet> {
  const ckpt = await loadCheckpoint(path, { optimizer: false });
  try {
    const config = ckpt.state.config;
    const net = modelFromConfig(config.model, config.loss, config.seed);
    try {
      loadInto(net.allVariables(), ckpt.model, { strict: true, prefixes: ['encoder/', 'depth/'] });
    } catch (err) {
      net.dispose();
      throw new Error(`checkpoint ${ckpt.dir}: ${(err as Error).message}`);
    }
    const output = ckpt.state.output ?? outputConventionFromConfig(config, ckpt.state.rig);
    return { net, config, output, dir: ckpt.dir, step: ckpt.state.step };
  } finally {
    ckpt.dispose();
  }
}
