/**
 * NNConv5 (FastDepth, Wofk et al. ICRA 2019; dwofk/fast-depth models.py MobileNetSkipAdd): five stages of a 5x5
 * depthwise conv + 1x1 pointwise conv (each batch norm + ReLU), then nearest-neighbour x2 upsampling, with the
 * encoder's map added (additive skip) after the upsampling of stages 3, 2 and 1. Stage i runs at H/2^(i+1) and
 * makes the map at H/2^i; a 1x1 conv -> sigmoid head reads the map of each requested scale (FastDepth's last layer
 * is a 1x1 conv at full resolution).
 * Widths default to the encoder's own (stage i = the width of the skip it meets, stage 0 half of stage 1): with
 * MobileNet v1 that is FastDepth's [32, 64, 128, 256, 512]. A skip whose width differs gets a 1x1 projection.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { kaimingNormalFanOut, upsampleNearest2x, conv2d, type Conv2dParams } from './layers.js';
import { applyConvUnit, createConvUnit, type ConvUnit } from './mobile_layers.js';
import { createDispHeads, decoderWidths, stagedDecoder } from './decoder_heads.js';
import type { DecoderDescriptor } from './types.js';

const optionsSchema = z.object({
  /** Depthwise kernel size (nnconv5: 5). */
  kernelSize: z.number().int().positive().refine((k) => k % 2 === 1, 'an odd kernel size').default(5),
  /** Stages whose upsampled output gets encoder map i-1 added (FastDepth: 1, 2, 3). */
  skips: z.array(z.number().int().min(1).max(4)).default([1, 2, 3]),
}).strict();

export const nnconv5Decoder: DecoderDescriptor<typeof optionsSchema> = {
  name: 'nnconv5',
  describe: 'FastDepth NNConv5: 5x5 depthwise-separable convs, nearest x2 upsampling, additive skips',
  optionsSchema,
  create(store, prefix, numChEnc, options, common) {
    const rng = new Rng(common.seed ?? 1);
    const dec = decoderWidths('nnconv5', common.numChDec, [Math.max(1, Math.round(numChEnc[0]! / 2)), numChEnc[0]!, numChEnc[1]!, numChEnc[2]!, numChEnc[3]!]);
    const stages: { dw: ConvUnit; pw: ConvUnit; skipProj: Conv2dParams | null }[] = [];
    for (let i = 4; i >= 0; i--) {
      const inC = i === 4 ? numChEnc[4]! : dec[i + 1]!;
      const dw = createConvUnit(store, `${prefix}/conv_${i}/dw`, inC, inC, options.kernelSize, rng, { act: 'relu', depthwise: true });
      const pw = createConvUnit(store, `${prefix}/conv_${i}/pw`, inC, dec[i]!, 1, rng, { act: 'relu' });
      const skipC = options.skips.includes(i) ? numChEnc[i - 1]! : dec[i]!;
      const skipProj = skipC === dec[i] ? null : { kernel: store.add(`${prefix}/skip_${i}/kernel`, kaimingNormalFanOut([1, 1, skipC, dec[i]!], rng)) };
      stages[i] = { dw, pw, skipProj };
    }
    const heads = createDispHeads(store, prefix, dec, common, rng);
    return stagedDecoder('nnconv5', store, prefix, dec, heads, (i, x, features, training) => {
      const st = stages[i]!;
      const y = upsampleNearest2x(applyConvUnit(applyConvUnit(x, st.dw, training), st.pw, training));
      if (!options.skips.includes(i)) return y;
      const skip = features[i - 1]!;
      if (y.shape[1] !== skip.shape[1] || y.shape[2] !== skip.shape[2]) {
        throw new Error(`nnconv5: upsampled ${y.shape[1]}x${y.shape[2]} at stage ${i} does not match skip ` +
          `${skip.shape[1]}x${skip.shape[2]}; input H and W must be multiples of 32`);
      }
      return tf.add(y, st.skipProj ? conv2d(skip, st.skipProj, 1, 0, 'zero') : skip) as tf.Tensor4D;
    });
  },
};
