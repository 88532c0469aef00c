/**
 * monodepth2 PoseDecoder for the "separate_resnet" pose net (networks/pose_decoder.py): squeeze 1x1 conv + ReLU,
 * two 3x3 convs (256) + ReLU, 1x1 conv to 6*numFramesToPredict, mean over H,W, x0.01 -> axis-angle and translation.
 * The pure pose geometry (Rodrigues, 4x4 transforms) lives in src/geometry/camera.ts (transformationFromParameters,
 * rotationFromAxisAngle) and is re-used, not duplicated, here.
 */
import * as tf from '@tensorflow/tfjs-core';

import { relu } from '../backend/relu.js';
import { Rng } from '../util/random.js';
import { ParamStore, createConv2d, conv2d, type Conv2dParams } from './layers.js';
import { ResnetEncoder } from './resnet.js';
import type { ResnetEncoderOptions } from './types.js';

export { transformationFromParameters, rotationFromAxisAngle } from '../geometry/camera.js';

export interface PoseNetOptions {
  /** Encoder options; numInputImages defaults to 2 (two stacked RGB frames). */
  encoder?: ResnetEncoderOptions;
  /** Poses predicted per input pair. Default 2 (monodepth2's trainer; it uses index 0). */
  numFramesToPredict?: number;
  /** Seed for the decoder weights. Default 2. */
  seed?: number | string;
}

export interface PoseOutput {
  /** [B, numFramesToPredict, 3] axis-angle (radians). */
  axisangle: tf.Tensor3D;
  /** [B, numFramesToPredict, 3] translation. */
  translation: tf.Tensor3D;
}

export class PoseNet {
  readonly store = new ParamStore();
  readonly encoder: ResnetEncoder;
  readonly numFramesToPredict: number;
  private readonly squeeze: Conv2dParams;
  private readonly pose: Conv2dParams[];

  constructor(opts: PoseNetOptions = {}) {
    this.encoder = new ResnetEncoder(this.store, 'pose_encoder', { numInputImages: 2, ...opts.encoder });
    this.numFramesToPredict = opts.numFramesToPredict ?? 2;
    const rng = new Rng(opts.seed ?? 2);
    const c = (n: string, i: number, o: number, k: number) => createConv2d(this.store, `pose/${n}`, i, o, k, rng, { bias: true, init: 'torch' });
    this.squeeze = c('squeeze', this.encoder.numChEnc[4], 256, 1);
    this.pose = [c('pose_0', 256, 256, 3), c('pose_1', 256, 256, 3), c('pose_2', 256, 6 * this.numFramesToPredict, 1)];
  }

  /** x: [B,H,W,6] = two frames concatenated on channels, in [0,1]. */
  apply(x: tf.Tensor4D, opts: { training: boolean }): PoseOutput {
    const feats = this.encoder.apply(x, opts.training);
    try {
      return tf.tidy(() => {
        let y = relu(conv2d(feats[4], this.squeeze, 1, 0, 'zero'));
        y = relu(conv2d(y, this.pose[0], 1, 1, 'zero'));
        y = relu(conv2d(y, this.pose[1], 1, 1, 'zero'));
        y = conv2d(y, this.pose[2], 1, 0, 'zero');
        const out = tf.mul(tf.reshape(tf.mean(y, [1, 2]), [-1, this.numFramesToPredict, 6]), 0.01) as tf.Tensor3D;
        const axisangle = tf.slice(out, [0, 0, 0], [-1, -1, 3]);
        const translation = tf.slice(out, [0, 0, 3], [-1, -1, 3]);
        return { axisangle, translation };
      });
    } finally {
      for (const f of feats) f.dispose();
    }
  }
  trainableVariables(): Record<string, tf.Variable> { return Object.fromEntries(this.store.trainable); }
  allVariables(): Record<string, tf.Variable> { return { ...Object.fromEntries(this.store.trainable), ...Object.fromEntries(this.store.nonTrainable) }; }
  parameterCount(): number { return countParams(this.store); }
  dispose(): void { this.store.dispose(); }
}

export function countParams(store: ParamStore): number {
  let n = 0;
  for (const v of store.trainable.values()) n += v.size;
  return n;
}
