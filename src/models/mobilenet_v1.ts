/**
 * MobileNet v1 (Howard et al. 2017) as FastDepth uses it (dwofk/fast-depth imagenet/mobilenet.py, first 14 layers,
 * no pooling/fc): a 3x3 stride-2 conv then 13 depthwise-separable layers (3x3 depthwise + 1x1 pointwise, each with
 * batch norm and ReLU6). Feature taps as FastDepth's skips: after layers 1 (H/2), 3 (H/4), 5 (H/8), 11 (H/16) and
 * 13 (H/32) -> [64, 128, 256, 512, 1024] channels at width 1.
 */
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { applyConvUnit, createConvUnit, makeDivisible } from './mobile_layers.js';
import { SequentialEncoder, type Unit } from './sequential_encoder.js';
import type { EncoderDescriptor } from './types.js';

/** [output channels, stride] of the 13 depthwise-separable layers. */
const LAYERS: [number, number][] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];
const TAPS = [1, 3, 5, 11, 13];

const optionsSchema = z.object({
  /** Width multiplier alpha: every layer's channels x alpha (rounded to a multiple of 8). FastDepth: 1. */
  widthMultiplier: z.number().positive().max(4).default(1),
}).strict();

export const mobilenetV1Encoder: EncoderDescriptor<typeof optionsSchema> = {
  name: 'mobilenet_v1',
  describe: 'MobileNet v1 (FastDepth encoder), ReLU6, width multiplier',
  optionsSchema,
  create(store, prefix, options, common) {
    const rng = new Rng(common.seed ?? 0);
    const ch = (c: number) => makeDivisible(c * options.widthMultiplier);
    const units: Unit[] = [];
    let inC = ch(32);
    const stem = createConvUnit(store, `${prefix}/layers/0`, 3 * (common.numInputImages ?? 1), inC, 3, rng, { stride: 2, act: 'relu6' });
    units.push((x, training) => applyConvUnit(x, stem, training));
    LAYERS.forEach(([c, stride], i) => {
      const name = `${prefix}/layers/${i + 1}`;
      const outC = ch(c);
      const dw = createConvUnit(store, `${name}/dw`, inC, inC, 3, rng, { stride, act: 'relu6', depthwise: true });
      const pw = createConvUnit(store, `${name}/pw`, inC, outC, 1, rng, { act: 'relu6' });
      units.push((x, training) => applyConvUnit(applyConvUnit(x, dw, training), pw, training));
      inC = outC;
    });
    return new SequentialEncoder('mobilenet_v1', store, prefix, units, TAPS, TAPS.map((t) => ch(LAYERS[t - 1]![0])));
  },
};
