/** Option interfaces and the DepthNet contract for src/models. Defaults are stated per field. */
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { ParamStore } from './layers.js';

/** Options every encoder takes, besides its own. */
export interface EncoderCommonOptions {
  /** Frames stacked on channels (pose encoder: 2 -> 6 channels). Default 1. */
  numInputImages?: number;
  /** Seed for the Rng that draws the weights. Default 0. */
  seed?: number | string;
}

export interface ResnetEncoderOptions extends EncoderCommonOptions {
  /** 18 (basic blocks) or 50 (bottleneck blocks). Default 18. */
  numLayers?: 18 | 50;
  /** BatchNorm after every conv (torchvision ResNet). false replaces each BN by a plain per-channel bias. Default true. */
  useBatchNorm?: boolean;
}

/** Options every decoder takes (what the losses and the output convention need), besides its own. */
export interface DecoderCommonOptions {
  /** Channels per output map: 1 (monodepth2) or 2 (monodepth v1: left and right disparity). Default 1. */
  numOutputChannels?: number;
  /** Scales that get a disparity head, 0 = full resolution. Default [0,1,2,3]. */
  scales?: number[];
  /**
   * Disparity = outputScale * sigmoid(head). Default 1: the raw sigmoid as monodepth2, losses scale it
   * (monodepth v1 uses 0.3, the fraction of the image width).
   */
  outputScale?: number;
  /** Initial bias of the disparity heads (sigmoid(b) is the starting disparity, away from collapse). Default: torch init. */
  dispBiasInit?: number;
  /** Decoder channels per stage, index s = the map at H/2^s (DepthOutput.features[s]). Default: the decoder's own. */
  numChDec?: number[];
  /** Seed for the weights. Default 1. */
  seed?: number | string;
}

/** monodepth2's decoder: numChDec default [16,32,64,128,256]. */
export type DepthDecoderOptions = DecoderCommonOptions;

/** A component choice: the registry name plus that component's own options (camelCase, as its optionsSchema). */
export type ComponentSpec = { name?: string } & Record<string, unknown>;

export interface DepthNetConfig {
  /** Encoder name (default 'resnet') and options; without a name, ResnetEncoderOptions. */
  encoder?: ResnetEncoderOptions | ComponentSpec;
  /** Decoder name (default 'monodepth2') and options; without a name, DepthDecoderOptions. */
  decoder?: DepthDecoderOptions | ComponentSpec;
  /**
   * [H, W] the encoder and decoder run at: the input is resized (bilinear) to it and every disparity map back to the
   * input size over 2^s (the MAI 2021 recipe: 480x640 in and out, 128x160 inside). Default: the input size.
   */
  internalSize?: [number, number] | null;
}

/**
 * A feature extractor: 5 maps at H/2 .. H/32 (stage k makes features[k]). Stages can be run apart so a caller can
 * stop after the cheap early stages and resume later from a stored intermediate (video keyframe feature reuse).
 */
export interface Encoder {
  readonly name: string;
  /** Channels of features[k], k = 0..numStages-1. */
  readonly numChEnc: number[];
  /** Number of stages (= feature maps), 5. */
  readonly numStages: number;
  /** All stages on the image x ([B,H,W,3*numInputImages] in [0,1]); the caller owns the returned maps. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D[];
  /**
   * Stages from .. to-1. `input` is the image when from = 0, else features[from-1] (left undisposed). Returns the
   * to-from maps produced (features[from .. to-1]); the caller owns them.
   */
  applyStages(input: tf.Tensor4D, from: number, to: number, training: boolean): tf.Tensor4D[];
  /** Disposes this encoder's variables. */
  dispose(): void;
}

/** Encoder features -> disparities at scales + decoder features (DepthOutput). */
export interface Decoder {
  readonly name: string;
  readonly scales: number[];
  readonly numOutputChannels: number;
  readonly outputScale: number;
  /** Channels of DepthOutput.features[s] for s = 0..4. */
  readonly numChDec: number[];
  /** features: the encoder's maps (not disposed). */
  apply(features: tf.Tensor4D[], training: boolean): DepthOutput;
  /** Disposes this decoder's variables. */
  dispose(): void;
}

export interface DepthOutput {
  /** Index s = scale s (s=0 full resolution), each [B, H/2^s, W/2^s, numOutputChannels]. */
  disparities: tf.Tensor4D[];
  /** Decoder feature map at each scale s: the tensor the disparity head reads (hint KD, issue 7). */
  features: tf.Tensor4D[];
}

export interface ApplyOptions { training: boolean }

export interface DepthNet {
  readonly name: string;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  /** [H, W] the encoder/decoder run at inside apply (input resized to it and outputs back), or null: the input size. */
  readonly internalSize: [number, number] | null;
  apply(x: tf.Tensor4D, opts: ApplyOptions): DepthOutput;
  /** Trainable variables by hierarchical name, e.g. `encoder/layer1/0/conv1/kernel`. */
  trainableVariables(): Record<string, tf.Variable>;
  /** Trainable plus non-trainable (BN running mean/var). */
  allVariables(): Record<string, tf.Variable>;
  /** Number of trainable scalars (torch `parameters()` count: BN running stats excluded). */
  parameterCount(): number;
  summary(): string;
  dispose(): void;
}

/**
 * One encoder adapter: its registry name, its own options (camelCase keys, strict, with defaults; the config schema is
 * derived from it) and a builder that registers the variables under `prefix/` in the store.
 */
export interface EncoderDescriptor<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly describe: string;
  readonly optionsSchema: S;
  create(store: ParamStore, prefix: string, options: z.output<S>, common: EncoderCommonOptions): Encoder;
}

/** One decoder adapter (see EncoderDescriptor); `numChEnc` are the channels of the encoder it reads. */
export interface DecoderDescriptor<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly describe: string;
  readonly optionsSchema: S;
  create(store: ParamStore, prefix: string, numChEnc: number[], options: z.output<S>, common: DecoderCommonOptions): Decoder;
}
