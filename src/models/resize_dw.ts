/**
 * Resize + depthwise decoder, the MAI 2021 recipe (upsampling by resizing followed by a depthwise conv instead of a
 * deconvolution). Stage i (i = 4..0): 1x1 conv to the stage width at the coarse resolution (cheap), bilinear resize
 * to the size of encoder map i-1 (any input size works, not only multiples of 32), concatenation with that map (skip),
 * k x k depthwise conv, 1x1 conv; each conv with batch norm + ReLU. A 1x1 conv -> sigmoid head per requested scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { applyConvUnit, createConvUnit, resizeBilinear, type ConvUnit } from './mobile_layers.js';
import { createDispHeads, decoderWidths, stagedDecoder } from './decoder_heads.js';
import type { DecoderDescriptor } from './types.js';

const optionsSchema = z.object({
  /** Depthwise kernel size after each resize. */
  kernelSize: z.number().int().positive().refine((k) => k % 2 === 1, 'an odd kernel size').default(3),
  /** Stages that concatenate encoder map i-1 after the resize. */
  skips: z.array(z.number().int().min(1).max(4)).default([1, 2, 3, 4]),
}).strict();

/** Widths per scale when the config gives none: small enough that MobileNetV3-Large + this decoder stay near the MAI
 *  budget (~90 M multiply-adds at 128x160; the encoder alone takes 88 M). */
const DEFAULT_WIDTHS = [8, 8, 16, 32, 64];

export const resizeDwDecoder: DecoderDescriptor<typeof optionsSchema> = {
  name: 'resize_dw',
  describe: 'MAI 2021-style decoder: 1x1 conv, bilinear resize, skip concat, depthwise + pointwise convs',
  optionsSchema,
  create(store, prefix, numChEnc, options, common) {
    const rng = new Rng(common.seed ?? 1);
    const dec = decoderWidths('resize_dw', common.numChDec, DEFAULT_WIDTHS);
    const stages: { reduce: ConvUnit; dw: ConvUnit; fuse: ConvUnit }[] = [];
    for (let i = 4; i >= 0; i--) {
      const inC = i === 4 ? numChEnc[4]! : dec[i + 1]!;
      const catC = dec[i]! + (options.skips.includes(i) ? numChEnc[i - 1]! : 0);
      stages[i] = {
        reduce: createConvUnit(store, `${prefix}/stage_${i}/reduce`, inC, dec[i]!, 1, rng, { act: 'relu' }),
        dw: createConvUnit(store, `${prefix}/stage_${i}/dw`, catC, catC, options.kernelSize, rng, { act: 'relu', depthwise: true }),
        fuse: createConvUnit(store, `${prefix}/stage_${i}/fuse`, catC, dec[i]!, 1, rng, { act: 'relu' }),
      };
    }
    const heads = createDispHeads(store, prefix, dec, common, rng);
    return stagedDecoder('resize_dw', store, prefix, dec, heads, (i, x, features, training) => {
      const st = stages[i]!;
      const skip = i > 0 ? features[i - 1]! : null;
      const size: [number, number] = skip ? [skip.shape[1], skip.shape[2]] : [2 * x.shape[1], 2 * x.shape[2]];
      let y = resizeBilinear(applyConvUnit(x, st.reduce, training), size);
      if (skip && options.skips.includes(i)) y = tf.concat([y, skip], 3);
      return applyConvUnit(applyConvUnit(y, st.dw, training), st.fuse, training);
    });
  },
};
