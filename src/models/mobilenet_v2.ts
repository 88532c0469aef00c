/**
 * MobileNetV2 (Sandler et al. 2018; torchvision mobilenet_v2 `features`): 3x3 stride-2 conv (32), 17 inverted
 * residual blocks (ReLU6), 1x1 conv to 1280. Taps after the last block at each resolution: H/2 (16), H/4 (24),
 * H/8 (32), H/16 (96) and the final 1x1 conv at H/32 (1280) at width 1.
 */
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { applyConvUnit, createConvUnit, makeDivisible } from './mobile_layers.js';
import { createInvertedResidual } from './inverted_residual.js';
import { SequentialEncoder, type Unit } from './sequential_encoder.js';
import type { EncoderDescriptor } from './types.js';

/** torchvision's (expansion t, channels c, repeats n, first stride s). */
const SETTINGS: [number, number, number, number][] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

const optionsSchema = z.object({
  /** Width multiplier: channels x it, rounded to a multiple of 8 (torchvision); the last conv never narrows below 1280. */
  widthMultiplier: z.number().positive().max(4).default(1),
}).strict();

export const mobilenetV2Encoder: EncoderDescriptor<typeof optionsSchema> = {
  name: 'mobilenet_v2',
  describe: 'MobileNetV2 (inverted residuals, ReLU6), width multiplier',
  optionsSchema,
  create(store, prefix, options, common) {
    const rng = new Rng(common.seed ?? 0);
    const w = options.widthMultiplier;
    const units: Unit[] = [];
    let inC = makeDivisible(32 * w);
    const stem = createConvUnit(store, `${prefix}/features/0`, 3 * (common.numInputImages ?? 1), inC, 3, rng, { stride: 2, act: 'relu6' });
    units.push((x, training) => applyConvUnit(x, stem, training));
    const groupEnd: number[] = [];
    const groupC: number[] = [];
    for (const [t, c, n, s] of SETTINGS) {
      const outC = makeDivisible(c * w);
      for (let i = 0; i < n; i++) {
        const spec = { inC, expandedC: Math.round(inC * t), outC, k: 3, stride: i === 0 ? s : 1, act: 'relu6' as const, se: false };
        units.push(createInvertedResidual(store, `${prefix}/features/${units.length}`, spec, rng));
        inC = outC;
      }
      groupEnd.push(units.length - 1);
      groupC.push(outC);
    }
    const lastC = makeDivisible(1280 * Math.max(1, w));
    const last = createConvUnit(store, `${prefix}/features/${units.length}`, inC, lastC, 1, rng, { act: 'relu6' });
    units.push((x, training) => applyConvUnit(x, last, training));
    // settings groups 0 (H/2), 1 (H/4), 2 (H/8), 4 (H/16, after the stride-1 96-wide group), then the last conv (H/32)
    const taps = [groupEnd[0]!, groupEnd[1]!, groupEnd[2]!, groupEnd[4]!, units.length - 1];
    return new SequentialEncoder('mobilenet_v2', store, prefix, units, taps, [groupC[0]!, groupC[1]!, groupC[2]!, groupC[4]!, lastC]);
  },
};
