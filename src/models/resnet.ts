/**
 * ImageNet ResNet18/50 encoders (He et al. 2016; torchvision resnet topology, v1.5 stride on the 3x3 of bottlenecks),
 * used as monodepth2's ResnetEncoder without the fc layer: returns 5 feature maps at H/2..H/32.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

import { relu } from '../backend/relu.js';
import { Rng } from '../util/random.js';
import {
  ParamStore, createConv2d, conv2d, createBatchNorm, batchNorm, maxPool3x3s2Torch,
  type Conv2dParams, type BatchNormParams,
} from './layers.js';
import { runStages } from './encoder_stages.js';
import type { Encoder, EncoderDescriptor, ResnetEncoderOptions } from './types.js';

type Norm = { bn: BatchNormParams } | { bias: tf.Variable };

function createNorm(store: ParamStore, name: string, ch: number, useBn: boolean): Norm {
  return useBn ? { bn: createBatchNorm(store, name, ch) } : { bias: store.add(`${name}/bias`, tf.zeros([ch])) };
}
function applyNorm(x: tf.Tensor4D, n: Norm, training: boolean): tf.Tensor4D {
  return 'bn' in n ? batchNorm(x, n.bn, training) : tf.add(x, n.bias);
}

interface ConvNorm { conv: Conv2dParams; norm: Norm; stride: number; pad: number }
interface Block { convs: ConvNorm[]; downsample?: ConvNorm }

export class ResnetEncoder implements Encoder {
  readonly name = 'resnet';
  readonly numChEnc: number[];
  readonly numStages = 5;
  private readonly stem: ConvNorm;
  private readonly stages: Block[][];

  constructor(readonly store: ParamStore, readonly prefix: string, opts: ResnetEncoderOptions = {}) {
    const numLayers = opts.numLayers ?? 18;
    if (numLayers !== 18 && numLayers !== 50) throw new Error(`ResnetEncoder: numLayers must be 18 or 50, got ${String(numLayers)}`);
    const useBn = opts.useBatchNorm ?? true;
    const rng = new Rng(opts.seed ?? 0);
    const numInputImages = opts.numInputImages ?? 1;
    const expansion = numLayers === 50 ? 4 : 1;
    const blocks = numLayers === 50 ? [3, 4, 6, 3] : [2, 2, 2, 2];
    const widths = [64, 128, 256, 512];
    this.numChEnc = [64, ...widths.map((w) => w * expansion)];
    const mk = (name: string, inC: number, outC: number, k: number, stride: number): ConvNorm => ({
      conv: createConv2d(store, `${prefix}/${name}`, inC, outC, k, rng, { bias: false, init: 'kaiming' }),
      norm: createNorm(store, `${prefix}/${name.replace(/conv(\d)$/, 'bn$1').replace(/\/0$/, '/1')}`, outC, useBn),
      stride, pad: (k - 1) / 2,
    });
    this.stem = { ...mk('conv1', 3 * numInputImages, 64, 7, 2), pad: 3 };
    let inC = 64;
    this.stages = widths.map((w, si) => {
      const stage: Block[] = [];
      for (let b = 0; b < blocks[si]; b++) {
        const stride = b === 0 && si > 0 ? 2 : 1;
        const base = `layer${si + 1}/${b}`;
        const convs = expansion === 1
          ? [mk(`${base}/conv1`, inC, w, 3, stride), mk(`${base}/conv2`, w, w, 3, 1)]
          : [mk(`${base}/conv1`, inC, w, 1, 1), mk(`${base}/conv2`, w, w, 3, stride), mk(`${base}/conv3`, w, w * expansion, 1, 1)];
        const outC = w * expansion;
        const downsample = stride !== 1 || inC !== outC ? {
          conv: createConv2d(store, `${prefix}/${base}/downsample/0`, inC, outC, 1, rng, { bias: false, init: 'kaiming' }),
          norm: createNorm(store, `${prefix}/${base}/downsample/1`, outC, useBn), stride, pad: 0,
        } : undefined;
        stage.push({ convs, downsample });
        inC = outC;
      }
      return stage;
    });
  }

  private convNorm(x: tf.Tensor4D, c: ConvNorm, training: boolean): tf.Tensor4D {
    return tf.tidy(() => applyNorm(conv2d(x, c.conv, c.stride, c.pad, 'zero'), c.norm, training));
  }

  /** x: [B,H,W,3*numInputImages] in [0,1]; normalised (x-0.45)/0.225 as monodepth2's ResnetEncoder.
   *  Returns features [H/2 (64), H/4, H/8, H/16, H/32] with torch floor sizes for odd inputs. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
    return this.applyStages(x, 0, this.numStages, training);
  }

  /** Stage 0: normalise + stem conv/BN/ReLU (H/2); stage 1: max pool + layer1 (H/4); stages 2..4: layer2..4. */
  applyStages(input: tf.Tensor4D, from: number, to: number, training: boolean): tf.Tensor4D[] {
    return runStages(this.name, this.numStages, input, from, to, (k, x) => this.stage(k, x, training));
  }

  private stage(k: number, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (k === 0) {
      return tf.tidy(() => {
        const xn = tf.div(tf.sub(x, 0.45), 0.225) as tf.Tensor4D;
        return relu(this.convNorm(xn, this.stem, training));
      });
    }
    let h = k === 1 ? maxPool3x3s2Torch(x) : x;
    for (const block of this.stages[k - 1]!) {
      const next = tf.tidy(() => {
        let y = h;
        block.convs.forEach((c, i) => {
          y = this.convNorm(y, c, training);
          if (i < block.convs.length - 1) y = relu(y);
        });
        const id = block.downsample ? this.convNorm(h, block.downsample, training) : h;
        return relu(tf.add(y, id)) as tf.Tensor4D;
      });
      if (h !== x) h.dispose();
      h = next;
    }
    return h;
  }

  dispose(): void {
    this.store.disposePrefix(`${this.prefix}/`);
  }
}

const resnetOptions = z.object({
  /** 18 (basic blocks) or 50 (bottleneck blocks). */
  numLayers: z.union([z.literal(18), z.literal(50)]).default(18),
  /** false replaces each batch norm by a per-channel bias. */
  useBatchNorm: z.boolean().default(true),
}).strict();

export const resnetEncoder: EncoderDescriptor<typeof resnetOptions> = {
  name: 'resnet',
  describe: 'ImageNet ResNet18/50 (monodepth2 ResnetEncoder)',
  optionsSchema: resnetOptions,
  create: (store, prefix, options, common) => new ResnetEncoder(store, prefix, { ...options, ...common }),
};
