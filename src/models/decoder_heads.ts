/**
 * The disparity heads every small decoder shares: at each requested scale a conv -> sigmoid (x outputScale), and the
 * DepthOutput assembly (disparities + a copy of the feature map each head read).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random.js';
import { ParamStore, conv2d, createConv2d, type Conv2dParams } from './layers.js';
import type { Decoder, DecoderCommonOptions, DepthOutput } from './types.js';

export interface DispHeads {
  scales: number[];
  numOutputChannels: number;
  outputScale: number;
  convs: Map<number, Conv2dParams>;
  kernel: number;
}

/** 1x1 (or k x k) conv with torch default init per scale; dispBiasInit overrides the bias. */
export function createDispHeads(store: ParamStore, prefix: string, numChDec: number[], common: DecoderCommonOptions,
  rng: Rng, kernel = 1): DispHeads {
  const scales = common.scales ?? [0, 1, 2, 3];
  const numOutputChannels = common.numOutputChannels ?? 1;
  const convs = new Map<number, Conv2dParams>();
  for (const s of scales) {
    if (!(Number.isInteger(s) && s >= 0 && s <= 3)) throw new Error(`${prefix}: scale ${s} out of range 0..3`);
    const c = createConv2d(store, `${prefix}/dispconv_${s}`, numChDec[s]!, numOutputChannels, kernel, rng, { bias: true, init: 'torch' });
    if (common.dispBiasInit !== undefined) c.bias!.assign(tf.fill([numOutputChannels], common.dispBiasInit));
    convs.set(s, c);
  }
  return { scales, numOutputChannels, outputScale: common.outputScale ?? 1, convs, kernel };
}

/** stageOutputs[s]: the decoder map at H/2^s (owned by the caller, not disposed). */
export function applyDispHeads(heads: DispHeads, stageOutputs: tf.Tensor4D[]): DepthOutput {
  const disparities: tf.Tensor4D[] = [];
  const features: tf.Tensor4D[] = [];
  for (const [s, conv] of heads.convs) {
    const feat = stageOutputs[s]!;
    disparities[s] = tf.tidy(() => {
      const d = tf.sigmoid(conv2d(feat, conv, 1, (heads.kernel - 1) >> 1, 'zero'));
      return heads.outputScale === 1 ? d : tf.mul(d, heads.outputScale);
    });
    features[s] = tf.clone(feat);
  }
  return { disparities, features };
}

/** The 5 decoder widths: the given ones (checked), else the default. */
export function decoderWidths(name: string, given: number[] | undefined, fallback: number[]): number[] {
  const w = given ?? fallback;
  if (w.length !== 5 || w.some((c) => !(Number.isInteger(c) && c > 0))) {
    throw new Error(`${name}: numChDec needs 5 positive integers (scales 0..4), got [${w.join(', ')}]`);
  }
  return [...w];
}

/**
 * A decoder of five stages (i = 4..0: `stage(i, x)` turns the previous stage's map, features[4] first, into the map at
 * H/2^i) followed by the disparity heads. Each stage runs in its own tidy; the maps are disposed after the heads.
 */
export function stagedDecoder(name: string, store: ParamStore, prefix: string, numChDec: number[], heads: DispHeads,
  stage: (i: number, x: tf.Tensor4D, features: tf.Tensor4D[], training: boolean) => tf.Tensor4D): Decoder {
  return {
    name, scales: heads.scales, numOutputChannels: heads.numOutputChannels, outputScale: heads.outputScale, numChDec,
    apply(features, training) {
      const maps: tf.Tensor4D[] = [];
      let x = features[4]!;
      for (let i = 4; i >= 0; i--) {
        const input = x;
        x = tf.tidy(() => stage(i, input, features, training));
        maps[i] = x;
      }
      try {
        return applyDispHeads(heads, maps);
      } finally {
        tf.dispose(maps);
      }
    },
    dispose: () => store.disposePrefix(`${prefix}/`),
  };
}
