/**
 * Config -> objects: the dataset adapters, the network, the augmentation, the loss settings and the prediction
 * convention of a run. One place, so train, test, eval and predict build the same things from the same config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AugmentSettings, DatasetConfig, LossConfig, ModelConfig, RunConfig } from '../config/schema.js';
import { MONODEPTH2_COLOUR_RANGES, MONODEPTH_COLOUR_RANGES, type AugmentConfig } from '../data/augment.js';
import { createDataset } from '../data/registry.js';
import { generateWorld } from '../data/synthetic/writer.js';
import type { Dataset } from '../data/types.js';
import { createModel } from '../models/registry.js';
import type { DepthNet } from '../models/types.js';
import { PoseNet } from '../models/pose.js';
import { loadInto } from '../models/weights.js';
import { loadCheckpoint } from './checkpoint.js';
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
  const split = d.split !== undefined ? { file: d.split } : undefined;
  const common = { dataPath: d.path, ...(split ? { split } : {}), ...d.options };
  switch (d.dataset) {
    case 'nyu_labeled':
      return createDataset('nyu_labeled', { path: d.path, ...d.options } as never);
    default:
      if (!split && d.dataset !== 'cityscapes' && d.dataset !== 'folder_pairs') throw new Error(`${key}.split: dataset ${d.dataset} needs a split file`);
      return createDataset(d.dataset, common as never);
  }
}

export function augmentFromConfig(a: AugmentSettings): AugmentConfig {
  return {
    flip: { probability: a.flip.probability, mode: a.flip.mode },
    colour: { probability: a.colour.probability, mode: a.colour.mode, v1: { ...MONODEPTH_COLOUR_RANGES }, v2: { ...MONODEPTH2_COLOUR_RANGES } },
    crop: { probability: a.crop.probability, minScale: a.crop.min_scale, maxScale: a.crop.max_scale },
  };
}

/** The depth network of a config; monodepth (v1) losses need two output channels (left and right disparity). */
export function modelFromConfig(m: ModelConfig, loss: LossConfig, seed: number): DepthNet {
  const twoChannels = loss.kind === 'monodepth';
  const base = m.seed ?? seed;
  // use_batch_norm: false is a ResNet option (other encoders reject it by name); true is every encoder's default
  return createModel(m.name, {
    encoder: { ...(m.encoder ?? {}), ...(m.use_batch_norm === false ? { useBatchNorm: false } : {}), seed: `${base}:encoder` },
    ...(m.internal_size != null ? { internalSize: m.internal_size === false ? null : m.internal_size } : {}),
    decoder: {
      ...(m.decoder ?? {}),
      seed: `${base}:depth`,
      ...(m.disp_bias_init !== null ? { dispBiasInit: m.disp_bias_init } : {}),
      ...(m.num_ch_dec !== null ? { numChDec: m.num_ch_dec } : {}),
      ...(twoChannels ? { numOutputChannels: 2, outputScale: 0.3 } : {}),
    },
  });
}

/** monodepth2's pose network (ResNet18 on stacked frame pairs) for the temporal modes. */
export function poseNetFromConfig(m: ModelConfig, seed: number): PoseNet {
  const base = m.seed ?? seed;
  return new PoseNet({ encoder: { numLayers: 18, useBatchNorm: m.use_batch_norm, seed: `${base}:pose_encoder` }, seed: `${base}:pose` });
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
