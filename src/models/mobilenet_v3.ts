/**
 * MobileNetV3-Large and -Small (Howard et al. 2019; torchvision mobilenet_v3_* `features`): 3x3 stride-2 conv (16,
 * hard-swish), the bneck table of the paper (inverted residuals with ReLU or hard-swish, squeeze-excite with
 * hard-sigmoid gates, squeeze width = expansion/4 rounded to 8), 1x1 conv to 6x the last width (hard-swish).
 * Taps: the last block at each of H/2..H/16 and the final 1x1 conv at H/32 -> Large [16, 24, 40, 112, 960],
 * Small [16 (stem), 16, 24, 48, 576] at width 1.
 */
import { z } from 'zod';
import { Rng } from '../util/random.js';
import { applyConvUnit, createConvUnit, makeDivisible, type Activation } from './mobile_layers.js';
import { createInvertedResidual } from './inverted_residual.js';
import { SequentialEncoder, type Unit } from './sequential_encoder.js';
import type { EncoderDescriptor } from './types.js';

/** Paper Tables 1/2: kernel, expansion, output, squeeze-excite, activation, stride. */
type Row = [number, number, number, boolean, Activation, number];
const RE = 'relu' as const;
const HS = 'hswish' as const;
const LARGE: Row[] = [
  [3, 16, 16, false, RE, 1], [3, 64, 24, false, RE, 2], [3, 72, 24, false, RE, 1],
  [5, 72, 40, true, RE, 2], [5, 120, 40, true, RE, 1], [5, 120, 40, true, RE, 1],
  [3, 240, 80, false, HS, 2], [3, 200, 80, false, HS, 1], [3, 184, 80, false, HS, 1], [3, 184, 80, false, HS, 1],
  [3, 480, 112, true, HS, 1], [3, 672, 112, true, HS, 1],
  [5, 672, 160, true, HS, 2], [5, 960, 160, true, HS, 1], [5, 960, 160, true, HS, 1],
];
const SMALL: Row[] = [
  [3, 16, 16, true, RE, 2],
  [3, 72, 24, false, RE, 2], [3, 88, 24, false, RE, 1],
  [5, 96, 40, true, HS, 2], [5, 240, 40, true, HS, 1], [5, 240, 40, true, HS, 1], [5, 120, 48, true, HS, 1], [5, 144, 48, true, HS, 1],
  [5, 288, 96, true, HS, 2], [5, 576, 96, true, HS, 1], [5, 576, 96, true, HS, 1],
];
/** Unit index (0 = stem, i = bneck row i-1) that ends each of the stages H/2..H/16; H/32 ends with the last conv. */
const TAPS = { large: [1, 3, 6, 12], small: [0, 1, 3, 8] };

const optionsSchema = z.object({
  variant: z.enum(['large', 'small']).default('large'),
  /** Width multiplier: every width x it, rounded to a multiple of 8 (torchvision). */
  widthMultiplier: z.number().positive().max(4).default(1),
}).strict();

export const mobilenetV3Encoder: EncoderDescriptor<typeof optionsSchema> = {
  name: 'mobilenet_v3',
  describe: 'MobileNetV3 large/small (hard-swish, squeeze-excite), width multiplier',
  optionsSchema,
  create(store, prefix, options, common) {
    const rng = new Rng(common.seed ?? 0);
    const ch = (c: number) => makeDivisible(c * options.widthMultiplier);
    const rows = options.variant === 'large' ? LARGE : SMALL;
    const units: Unit[] = [];
    const widths: number[] = [];
    let inC = ch(16);
    const stem = createConvUnit(store, `${prefix}/features/0`, 3 * (common.numInputImages ?? 1), inC, 3, rng, { stride: 2, act: HS });
    units.push((x, training) => applyConvUnit(x, stem, training));
    widths.push(inC);
    for (const [k, exp, out, se, act, stride] of rows) {
      const spec = { inC, expandedC: ch(exp), outC: ch(out), k, stride, act, se };
      units.push(createInvertedResidual(store, `${prefix}/features/${units.length}`, spec, rng));
      inC = spec.outC;
      widths.push(inC);
    }
    const lastC = 6 * inC;
    const last = createConvUnit(store, `${prefix}/features/${units.length}`, inC, lastC, 1, rng, { act: HS });
    units.push((x, training) => applyConvUnit(x, last, training));
    const taps = [...TAPS[options.variant], units.length - 1];
    const channels = [...TAPS[options.variant].map((t) => widths[t]!), lastC];
    return new SequentialEncoder(`mobilenet_v3_${options.variant}`, store, prefix, units, taps, channels);
  },
};
