/** Option interfaces and the DepthNet contract for src/models. Defaults are stated per field. */
import type * as tf from '@tensorflow/tfjs-core';

export interface ResnetEncoderOptions {
  /** 18 (basic blocks) or 50 (bottleneck blocks). Default 18. */
  numLayers?: 18 | 50;
  /** Frames stacked on channels (pose encoder: 2 -> 6 channels). Default 1. */
  numInputImages?: number;
  /** BatchNorm after every conv (torchvision ResNet). false replaces each BN by a plain per-channel bias. Default true. */
  useBatchNorm?: boolean;
  /** Seed for the Rng that draws the weights. Default 0. */
  seed?: number | string;
}

export interface DepthDecoderOptions {
  /** Channels per output map: 1 (monodepth2) or 2 (monodepth v1: left and right disparity). Default 1. */
  numOutputChannels?: number;
  /** Scales that get a disparity head, 0 = full resolution. Default [0,1,2,3]. */
  scales?: number[];
  /**
   * Disparity = outputScale * sigmoid(conv). Default 1: the raw sigmoid as monodepth2, losses scale it
   * (monodepth v1 uses 0.3, the fraction of the image width).
   */
  outputScale?: number;
  /** Initial bias of the disparity heads (sigmoid(b) is the starting disparity, away from collapse). Default: torch init. */
  dispBiasInit?: number;
  /** Decoder channels per stage. Default [16,32,64,128,256] (monodepth2). */
  numChDec?: number[];
  /** Seed for the weights. Default 1. */
  seed?: number | string;
}

export interface DepthNetConfig {
  encoder?: ResnetEncoderOptions;
  decoder?: DepthDecoderOptions;
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
