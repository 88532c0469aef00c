/**
 * A depth network from its stored description (a run config's `model:` section and the loss family it was trained
 * with), as training, checkpoints, exported models and the browser entry all rebuild it. tfjs-core only.
 */
import { createModel } from './registry.js';
import type { LossKind } from './output_convention.js';
import type { ComponentSpec, DepthNet } from './types.js';
import { PoseNet } from './pose.js';

/** The `model:` keys of a run config that decide the network (config/schema.ts modelSchema). */
export interface DepthNetSpec {
  name: string;
  use_batch_norm: boolean;
  disp_bias_init: number | null;
  num_ch_dec: number[] | null;
  seed: number | string | null;
  /** {name, ...options} replacing or adjusting the preset's encoder / decoder (absent in specs stored before them). */
  encoder?: ComponentSpec | null;
  decoder?: ComponentSpec | null;
  /** [H, W] the net runs at inside; null/absent = the preset's, false = none. */
  internal_size?: [number, number] | false | null;
}

/** The depth network of a spec; monodepth (v1) losses need two output channels (left and right disparity). */
export function depthNetFromSpec(m: DepthNetSpec, lossKind: LossKind, seed: number | string): DepthNet {
  const twoChannels = lossKind === 'monodepth';
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
export function poseNetFromSpec(m: Pick<DepthNetSpec, 'use_batch_norm' | 'seed'>, seed: number | string): PoseNet {
  const base = m.seed ?? seed;
  return new PoseNet({ encoder: { numLayers: 18, useBatchNorm: m.use_batch_norm, seed: `${base}:pose_encoder` }, seed: `${base}:pose` });
}
