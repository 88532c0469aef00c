import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { ParamStore } from '../../src/models/layers.js';
import {
  createDepthwiseConv, createSqueezeExcite, depthwiseConv2d, hardSigmoid, hardSwish, makeDivisible, resizeBilinear, squeezeExcite,
} from '../../src/models/mobile_layers.js';
import { Rng } from '../../src/util/random.js';
import { testBackends } from '../helpers/backends.js';

/**
 * The small networks' layers (depthwise conv with the explicit torch padding the models use: 3x3 and 5x5 kernels at
 * stride 1 and 2, on odd and even sizes, channel multiplier 1 as every MobileNet and NNConv5 layer has; hard-swish,
 * hard-sigmoid, squeeze-excite, bilinear resize up, down and mixed on non-square maps) on every test backend against
 * the cpu backend, batch 2: values and the gradients of the input and of every variable, relative error <= 1e-4
 * (max diff / max |cpu value|). test/backend/kernels.test.ts covers the depthwise kernels' other paths (multiplier 2,
 * 'same'/'valid' padding, dilation).
 */
/** build creates the layer's variables (channels C) and returns the function to differentiate and those variables;
 *  the input is [2, 9, 11, 6] unless `inputHW` says otherwise. */
interface Case {
  name: string;
  inputHW?: [number, number];
  build: (store: ParamStore, rng: Rng, channels: number) => { run: (x: tf.Tensor4D) => tf.Tensor; vars: tf.Variable[] };
}

/** A k x k depthwise conv case with the given stride and padding. */
function depthwiseCase(name: string, k: number, stride: number, pad: number, inputHW?: [number, number]): Case {
  return {
    name,
    inputHW,
    build: (store, rng, c) => {
      const p = createDepthwiseConv(store, 'dw', c, k, rng);
      return { run: (x) => depthwiseConv2d(x, p, stride, pad), vars: [p.kernel] };
    },
  };
}

const CASES: Case[] = [
  depthwiseCase('depthwise 3x3 stride 1 pad 1', 3, 1, 1),
  depthwiseCase('depthwise 5x5 stride 2 pad 2 (odd sizes)', 5, 2, 2),
  depthwiseCase('depthwise 3x3 stride 2 pad 1 (odd sizes)', 3, 2, 1),
  depthwiseCase('depthwise 3x3 stride 2 pad 1 (even sizes: the last row and column are read by one tap only)', 3, 2, 1, [8, 10]),
  depthwiseCase('depthwise 5x5 stride 1 pad 2 (bneck 5x5, NNConv5)', 5, 1, 2),
  { name: 'hard-swish (kinks at -3 and 3 inside the range)', build: () => ({ run: (x) => hardSwish(tf.mul(x, 5)), vars: [] }) },
  { name: 'hard-sigmoid', build: () => ({ run: (x) => hardSigmoid(tf.mul(x, 5)), vars: [] }) },
  {
    name: 'squeeze-excite (mean pool, 1x1 convs, ReLU, hard-sigmoid gate, scale)',
    build: (store, rng, c) => {
      const se = createSqueezeExcite(store, 'se', c, 8, rng);
      for (const v of [se.reduce.bias!, se.expand.bias!]) v.assign(tf.randomUniform(v.shape, -1, 1, 'float32', 5));
      return { run: (x) => squeezeExcite(x, se), vars: [se.reduce.kernel, se.reduce.bias!, se.expand.kernel, se.expand.bias!] };
    },
  },
  { name: 'bilinear resize up x2 + 1 (half-pixel centres)', build: () => ({ run: (x) => resizeBilinear(x, [2 * x.shape[1] + 1, 2 * x.shape[2]]), vars: [] }) },
  { name: 'bilinear resize down to 3x4', build: () => ({ run: (x) => resizeBilinear(x, [3, 4]), vars: [] }) },
  { name: 'bilinear resize up in height, down in width (as 48x80 -> 64x64)', build: () => ({ run: (x) => resizeBilinear(x, [13, 7]), vars: [] }) },
];

async function caseOn(backend: string, c: Case): Promise<Float32Array[]> {
  await initBackend(backend as 'cpu');
  const rng = new Rng(7);
  const store = new ParamStore();
  const [h, w] = c.inputHW ?? [9, 11];
  const x = tf.variable(tf.tensor4d(Float32Array.from({ length: 2 * h * w * 6 }, () => rng.uniform(-1, 1)), [2, h, w, 6]));
  const weights = tf.tensor(Float32Array.from({ length: 8192 }, () => rng.uniform(-1, 1)));
  const { run, vars } = c.build(store, rng, x.shape[3]);
  const { value, grads } = tf.variableGrads(() => {
    const flat = tf.reshape(run(x as tf.Tensor4D), [-1]);
    // a weighted sum so every output element has its own gradient
    return tf.sum(tf.mul(flat, tf.slice(weights, 0, flat.size))) as tf.Scalar;
  }, [x, ...vars]);
  const out = [value, grads[x.name]!, ...vars.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose([value, x, weights, ...Object.values(grads)]);
  store.dispose();
  return out;
}

describe('small-network layers on every test backend match cpu (values and gradients)', () => {
  for (const backend of testBackends().filter((b) => b !== 'cpu')) {
    for (const c of CASES) {
      it(`${backend}: ${c.name}`, async () => {
        const ref = await caseOn('cpu', c);
        const got = await caseOn(backend, c);
        expect(got.length).toBe(ref.length);
        ref.forEach((r, k) => {
          const scale = Math.max(1e-6, ...Array.from(r, Math.abs));
          const err = Math.max(...Array.from(r, (v, i) => Math.abs(v - got[k]![i]!)));
          expect(err / scale, `output ${k}`).toBeLessThanOrEqual(1e-4);
          expect(scale, `output ${k} is not all zeros`).toBeGreaterThan(1e-5);
        });
      });
    }
  }
});

describe('makeDivisible (torchvision _make_divisible)', () => {
  it('rounds to the nearest multiple of 8, never below 90% of the value', () => {
    expect([16, 24, 40, 112, 960].map((c) => makeDivisible(c * 0.75))).toEqual([16, 24, 32, 88, 720]);
    expect(makeDivisible(3)).toBe(8);
    expect(makeDivisible(36)).toBe(40);
    expect(makeDivisible(1280)).toBe(1280);
  });
});
