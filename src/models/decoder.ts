/**
 * monodepth2 DepthDecoder (Godard et al. 2019, networks/depth_decoder.py): per stage i=4..0 a 3x3 conv+ELU, nearest x2
 * upsample, concat the encoder skip (i>0), 3x3 conv+ELU; at each requested scale a 3x3 conv -> sigmoid. All convs use
 * reflection padding. Output choice: disparity = outputScale * sigmoid (outputScale 1 = raw sigmoid as monodepth2, the
 * losses do the depth scaling; 0.3 reproduces monodepth v1's 0.3*sigmoid).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { ParamStore, createConv2d, conv2d, elu, upsampleNearest2x, type Conv2dParams } from './layers.js';
import type { Decoder, DecoderDescriptor, DepthDecoderOptions, DepthOutput } from './types.js';

export class DepthDecoder implements Decoder {
  readonly name = 'monodepth2';
  readonly numChDec: number[];
  readonly scales: number[];
  readonly numOutputChannels: number;
  readonly outputScale: number;
  private readonly upconv: { a: Conv2dParams; b: Conv2dParams }[] = [];
  private readonly dispconv = new Map<number, Conv2dParams>();

  constructor(private readonly store: ParamStore, private readonly prefix: string, numChEnc: number[], opts: DepthDecoderOptions = {}) {
    const rng = new Rng(opts.seed ?? 1);
    const dec = opts.numChDec ?? [16, 32, 64, 128, 256];
    if (dec.length !== 5) throw new Error(`DepthDecoder: numChDec needs 5 channel counts (scales 0..4), got [${dec.join(', ')}]`);
    this.numChDec = [...dec];
    this.scales = opts.scales ?? [0, 1, 2, 3];
    this.numOutputChannels = opts.numOutputChannels ?? 1;
    this.outputScale = opts.outputScale ?? 1;
    for (let i = 4; i >= 0; i--) {
      const inA = i === 4 ? numChEnc[4] : dec[i + 1];
      const a = createConv2d(store, `${prefix}/upconv_${i}_0`, inA, dec[i], 3, rng, { bias: true, init: 'torch' });
      const inB = dec[i] + (i > 0 ? numChEnc[i - 1] : 0);
      const b = createConv2d(store, `${prefix}/upconv_${i}_1`, inB, dec[i], 3, rng, { bias: true, init: 'torch' });
      this.upconv[i] = { a, b };
    }
    for (const s of this.scales) {
      if (!(s >= 0 && s <= 3)) throw new Error(`DepthDecoder: scale ${s} out of range 0..3`);
      const name = `${prefix}/dispconv_${s}`;
      const c = createConv2d(store, name, dec[s], this.numOutputChannels, 3, rng, { bias: true, init: 'torch' });
      if (opts.dispBiasInit !== undefined) c.bias!.assign(tf.fill([this.numOutputChannels], opts.dispBiasInit));
      this.dispconv.set(s, c);
    }
  }

  /** features: encoder maps [H/2..H/32]. The full-resolution scale 0 is 2x the first encoder map. No batch norm:
   *  training and inference are the same maths. */
  apply(features: tf.Tensor4D[], _training = false): DepthOutput {
    const disparities: tf.Tensor4D[] = [];
    const outFeatures: tf.Tensor4D[] = [];
    let x = features[4];
    for (let i = 4; i >= 0; i--) {
      const next = tf.tidy(() => {
        let y = upsampleNearest2x(elu(conv2d(x, this.upconv[i].a, 1, 1, 'reflect')));
        if (i > 0) {
          const skip = features[i - 1];
          // odd encoder sizes: torch would fail on the concat; crop/pad-free sizes are required (H,W multiples of 32)
          if (y.shape[1] !== skip.shape[1] || y.shape[2] !== skip.shape[2]) {
            throw new Error(`DepthDecoder: upsampled ${y.shape[1]}x${y.shape[2]} at stage ${i} does not match skip ` +
              `${skip.shape[1]}x${skip.shape[2]}; input H and W must be multiples of 32`);
          }
          y = tf.concat([y, skip], 3);
        }
        return elu(conv2d(y, this.upconv[i].b, 1, 1, 'reflect'));
      });
      if (x !== features[4]) x.dispose();
      x = next;
      const head = this.dispconv.get(i);
      if (head) {
        const feat = x;
        disparities[i] = tf.tidy(() => {
          const d = tf.sigmoid(conv2d(feat, head, 1, 1, 'reflect'));
          return this.outputScale === 1 ? d : tf.mul(d, this.outputScale);
        });
        outFeatures[i] = tf.clone(x);
      }
    }
    x.dispose();
    return { disparities, features: outFeatures };
  }

  dispose(): void {
    this.store.disposePrefix(`${this.prefix}/`);
  }
}

const monodepth2Options = z.object({}).strict();

export const monodepth2Decoder: DecoderDescriptor<typeof monodepth2Options> = {
  name: 'monodepth2',
  describe: 'monodepth2 DepthDecoder: 3x3 convs + ELU, nearest x2, concat skips, reflection padding',
  optionsSchema: monodepth2Options,
  create: (store, prefix, numChEnc, _options, common) => new DepthDecoder(store, prefix, numChEnc, common),
};
