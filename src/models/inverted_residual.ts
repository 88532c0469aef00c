/**
 * The inverted residual block of MobileNetV2 (Sandler et al. 2018) and MobileNetV3's bneck (Howard et al. 2019):
 * 1x1 expansion (skipped when the expansion equals the input width) -> k x k depthwise -> optional squeeze-excite ->
 * 1x1 linear projection, with a residual add when the stride is 1 and the widths match (torchvision topology).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random.js';
import type { ParamStore } from './layers.js';
import {
  applyConvUnit, createConvUnit, createSqueezeExcite, makeDivisible, squeezeExcite, type Activation, type ConvUnit,
  type SqueezeExcite,
} from './mobile_layers.js';
import type { Unit } from './sequential_encoder.js';

export interface InvertedResidualSpec {
  inC: number; expandedC: number; outC: number; k: number; stride: number; act: Activation; se: boolean;
}

export function createInvertedResidual(store: ParamStore, name: string, spec: InvertedResidualSpec, rng: Rng): Unit {
  const { inC, expandedC, outC, k, stride, act } = spec;
  const expand: ConvUnit | null = expandedC !== inC ? createConvUnit(store, `${name}/expand`, inC, expandedC, 1, rng, { act }) : null;
  const dw = createConvUnit(store, `${name}/dw`, expandedC, expandedC, k, rng, { stride, act, depthwise: true });
  const se: SqueezeExcite | null = spec.se ? createSqueezeExcite(store, `${name}/se`, expandedC, makeDivisible(expandedC / 4), rng) : null;
  const project = createConvUnit(store, `${name}/project`, expandedC, outC, 1, rng, { act: 'none' });
  const residual = stride === 1 && inC === outC;
  return (x, training) => tf.tidy(() => {
    let y = expand ? applyConvUnit(x, expand, training) : x;
    y = applyConvUnit(y, dw, training);
    if (se) y = squeezeExcite(y, se);
    y = applyConvUnit(y, project, training);
    return residual ? tf.add(y, x) as tf.Tensor4D : y;
  });
}
