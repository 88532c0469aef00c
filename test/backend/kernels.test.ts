import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setSimdSplit, setSimdThreads, simdHelpers } from '../../src/backend/simd_kernels.js';
import { setWasmConvFormulation, type ConvFormulation } from '../../src/backend/wasm_kernels.js';
import { maxPool3x3s2Torch } from '../../src/models/layers.js';
import { Rng } from '../../src/util/random.js';
import { relErr } from '../helpers/compare.js';

/** Runs fn on a backend and returns the flattened outputs as plain arrays. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  return tf.tidy(fn).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
}


function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

async function compare(fn: () => tf.Tensor[]): Promise<void> {
  const ref = await on('cpu', fn);
  const got = await on('wasm', fn);
  for (let k = 0; k < ref.length; k++) expect(relErr(got[k]!, ref[k]!)).toBeLessThanOrEqual(1e-4);
}

beforeAll(async () => {
  await initBackend('cpu');
});

type ConvPad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Explicit [top, bottom] x [left, right] padding in tfjs's NHWC form. */
function explicit(t: number, b: number, l: number, r: number): ConvPad {
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

/** conv2d of x by the filter, then its gradients w.r.t. both for a random dy (seeded by `dySeed`): [y, dx, dW]. */
function convAndGradients(xv: Float32Array, xShape: [number, number, number, number], wv: Float32Array,
  filterShape: [number, number, number, number], stride: number, pad: ConvPad, dySeed: number): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(xv, xShape);
    const f = tf.tensor4d(wv, filterShape);
    const y = tf.conv2d(x, f, stride, pad);
    const dyv = tf.tensor(randomArray(new Rng(dySeed), y.size), y.shape);
    const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, stride, pad), dyv)));
    return [y, ...g([x, f])];
  };
}

// Each case runs under every input-gradient formulation of src/backend/wasm_kernels.ts ('auto' picks per layer; 'conv'
// and 'gemm' force the flipped-filter convolution and the matrix product; the forward and the filter gradient are the
// direct kernels in all three), always against the cpu backend.
describe.each(['auto', 'conv', 'gemm'] as ConvFormulation[])('wasm conv2d and its gradients vs cpu (%s)', (formulation) => {
  const cases: [number, number, number, number, number, number, number, ConvPad][] = [
    // batch, H, W, Ci, Co, k, stride, pad
    [1, 5, 7, 3, 4, 3, 1, 'same'],
    [2, 7, 6, 2, 3, 3, 2, 'same'],
    [2, 9, 8, 3, 2, 5, 1, 'valid'],
    [1, 9, 11, 2, 3, 7, 2, 3],
    [3, 6, 5, 4, 5, 1, 1, 'valid'],
    [1, 8, 8, 3, 2, 1, 2, 'same'],
    [2, 10, 7, 2, 2, 3, 2, 'valid'],
    [1, 11, 9, 2, 3, 5, 2, 2],
    [2, 6, 8, 5, 4, 3, 1, explicit(1, 1, 1, 1)],
    [2, 8, 6, 3, 6, 3, 2, explicit(1, 1, 1, 1)],
    [1, 7, 9, 4, 3, 3, 2, explicit(0, 2, 2, 1)],
    [2, 3, 5, 6, 4, 3, 1, explicit(1, 1, 1, 1)],
    // one output channel (the direct forward's dot-product path), 4 + 2 input channels
    [2, 9, 10, 6, 1, 3, 1, 'same'],
  ];
  beforeAll(() => setWasmConvFormulation(formulation));
  afterAll(() => setWasmConvFormulation('auto'));
  for (const [b, h, w, ci, co, k, s, pad] of cases) {
    it(`B${b} ${h}x${w} ${ci}->${co} k${k} s${s} pad ${JSON.stringify(pad)}`, async () => {
      const rng = new Rng(b * 1000 + h * 100 + k * 10 + s);
      const xv = randomArray(rng, b * h * w * ci);
      const wv = randomArray(rng, k * k * ci * co);
      await compare(convAndGradients(xv, [b, h, w, ci], wv, [k, k, ci, co], s, pad, 7));
    });
  }

  it('forward with dilation 2 matches cpu', async () => {
    const rng = new Rng(5);
    const xv = randomArray(rng, 2 * 9 * 8 * 3);
    const wv = randomArray(rng, 3 * 3 * 3 * 4);
    await compare(() => [tf.conv2d(tf.tensor4d(xv, [2, 9, 8, 3]), tf.tensor4d(wv, [3, 3, 3, 4]), 1, 'same', 'NHWC', 2)]);
  });
});

describe('wasm conv passes split across threads', () => {
  // 11 MFLOP: above the split threshold, so the helper threads compute shares of y's rows and of dW's rows. 30 input
  // channels put dW's split points (row 136 for 2 threads; 92 and 180 for 3) inside taps; 44 outputs add a 4-channel
  // block to the 8s.
  const [b, h, w, ci, co] = [2, 12, 20, 30, 44];
  const rng = new Rng(11);
  const xv = randomArray(rng, b * h * w * ci);
  const wv = randomArray(rng, 9 * ci * co);
  const fn = convAndGradients(xv, [b, h, w, ci], wv, [3, 3, ci, co], 1, 'same', 12);
  afterAll(async () => {
    setSimdSplit(true);
    setSimdThreads((await initBackend('wasm')).threads);
  });

  for (const threads of [2, 3]) {
    it(`give the one-thread results bit for bit on ${threads} threads, and cpu within 1e-4`, async () => {
      await initBackend('wasm');
      setSimdThreads(threads);
      expect(simdHelpers(tf.backend())).toHaveLength(threads - 1);
      setSimdSplit(true);
      const split = await on('wasm', fn);
      setSimdSplit(false);
      const single = await on('wasm', fn);
      setSimdSplit(true);
      for (let k = 0; k < split.length; k++) expect(split[k]).toEqual(single[k]);
      const ref = await on('cpu', fn);
      for (let k = 0; k < ref.length; k++) expect(relErr(split[k]!, ref[k]!)).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe('wasm depthwise gradients vs reference', () => {
  const cases: [number, number, number, number, number, number, number, 'same' | 'valid'][] = [
    // batch, H, W, C, multiplier, k, stride, pad
    [1, 6, 7, 3, 1, 3, 1, 'same'],
    [2, 7, 6, 2, 2, 3, 2, 'same'],
    [2, 8, 9, 3, 2, 5, 1, 'valid'],
    [1, 9, 8, 2, 1, 3, 2, 'valid'],
  ];
  for (const [b, h, w, c, m, k, s, pad] of cases) {
    it(`B${b} ${h}x${w} C${c} M${m} k${k} s${s} ${pad}`, async () => {
      const rng = new Rng(b * 31 + h * 7 + m + k);
      const xv = randomArray(rng, b * h * w * c);
      const wv = randomArray(rng, k * k * c * m);
      const fn = (): tf.Tensor[] => {
        const x = tf.tensor4d(xv, [b, h, w, c]);
        const f = tf.tensor4d(wv, [k, k, c, m]);
        const y = tf.depthwiseConv2d(x, f, s, pad);
        const dyv = tf.tensor(randomArray(new Rng(3), y.size), y.shape);
        const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, s, pad), dyv)));
        return [y, ...g([x, f])];
      };
      await compare(fn);
    });
  }

  it('honours dilation 2 (checked against the same conv with a zero-dilated filter)', async () => {
    const rng = new Rng(11);
    const [b, h, w, c, m, k, d] = [1, 9, 8, 2, 2, 3, 2];
    const xv = randomArray(rng, b * h * w * c);
    const wv = randomArray(rng, k * k * c * m);
    const ke = (k - 1) * d + 1;
    const dilated = new Float32Array(ke * ke * c * m);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let e = 0; e < c * m; e++) {
      dilated[((i * d) * ke + j * d) * c * m + e] = wv[(i * k + j) * c * m + e]!;
    }
    await initBackend('wasm');
    // tfjs's gradient function refuses dilation > 1, so the kernels are called directly.
    const [dxDil, dwDil, dxRef, dwRefFull] = tf.tidy(() => {
      const x = tf.tensor4d(xv, [b, h, w, c]);
      const dy = tf.tensor4d(randomArray(new Rng(5), b * h * w * c * m), [b, h, w, c * m]);
      const run = (name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor =>
        tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
      const common = { strides: [1, 1], pad: 'same', dimRoundingMode: undefined };
      const filt = tf.tensor4d(wv, [k, k, c, m]);
      const filtDil = tf.tensor4d(dilated, [ke, ke, c, m]);
      return [
        run(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: filt }, { ...common, dilations: [d, d], inputShape: x.shape }),
        run(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...common, dilations: [d, d], filterShape: filt.shape }),
        run(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: filtDil }, { ...common, dilations: [1, 1], inputShape: x.shape }),
        run(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...common, dilations: [1, 1], filterShape: filtDil.shape }),
      ].map((t) => Float32Array.from(t.dataSync() as Float32Array));
    });
    expect(relErr(dxDil!, dxRef!)).toBeLessThanOrEqual(1e-4);
    const dwRef = new Float32Array(k * k * c * m);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let e = 0; e < c * m; e++) {
      dwRef[(i * k + j) * c * m + e] = dwRefFull![((i * d) * ke + j * d) * c * m + e]!;
    }
    expect(relErr(dwDil!, dwRef)).toBeLessThanOrEqual(1e-4);
  });
});

describe('end-to-end and memory', () => {
  it('tf.grad through conv + depthwise + gather matches cpu', async () => {
    const rng = new Rng(99);
    const xv = randomArray(rng, 2 * 6 * 5 * 3);
    const wv = randomArray(rng, 3 * 3 * 3 * 4);
    const dv = randomArray(rng, 3 * 3 * 4 * 2);
    const fn = (): tf.Tensor[] => {
      const x = tf.tensor4d(xv, [2, 6, 5, 3]);
      const idx = tf.tensor1d([0, 2, 2, 1], 'int32');
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, dd: tf.Tensor) => {
        const y = tf.relu(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'));
        const z = tf.depthwiseConv2d(y, dd as tf.Tensor4D, 1, 'same');
        return tf.sum(tf.square(tf.gather(z, idx, 2)));
      });
      return g([x, tf.tensor4d(wv, [3, 3, 3, 4]), tf.tensor4d(dv, [3, 3, 4, 2])]);
    };
    await compare(fn);
  });

  it('repeated gradients leak no tensors on wasm', async () => {
    await initBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const grad = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same')));
    tf.dispose(grad([x, w]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(grad([x, w]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

describe('cpu resize gradient fixes', () => {
  for (const kind of ['bilinear', 'nearest'] as const) {
    for (const [alignCorners, halfPixelCenters] of [[false, false], [true, false], [false, true]] as const) {
      it(`${kind} adjoint <Rx,dy> = <x,R^T dy> (non-square, align ${alignCorners}, half ${halfPixelCenters})`, async () => {
        const rng = new Rng(kind.length * 10 + Number(alignCorners) * 2 + Number(halfPixelCenters));
        const xv = randomArray(rng, 2 * 3 * 5 * 2);
        const dv = randomArray(rng, 2 * 6 * 10 * 2);
        const fn = (): tf.Tensor[] => {
          const x = tf.tensor4d(xv, [2, 3, 5, 2]);
          const dy = tf.tensor4d(dv, [2, 6, 10, 2]);
          const resize = (t: tf.Tensor4D): tf.Tensor4D => kind === 'bilinear'
            ? tf.image.resizeBilinear(t, [6, 10], alignCorners, halfPixelCenters)
            : tf.image.resizeNearestNeighbor(t, [6, 10], alignCorners, halfPixelCenters);
          const vjp = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(resize(t as tf.Tensor4D), dy)))(x);
          return [tf.sum(tf.mul(resize(x), dy)), tf.sum(tf.mul(x, vjp)), vjp];
        };
        const [lhs, rhs, vjpCpu] = await on('cpu', fn);
        expect(Math.abs(lhs![0]! - rhs![0]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(lhs![0]!)));
        const [lhsW, rhsW, vjpWasm] = await on('wasm', fn);
        expect(Math.abs(lhsW![0]! - rhsW![0]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(lhsW![0]!)));
        expect(relErr(vjpCpu!, vjpWasm!)).toBeLessThanOrEqual(1e-4);
      });
    }
  }
});

describe('UnsortedSegmentSum on wasm', () => {
  it('matches cpu, dropping out-of-range ids', async () => {
    const fn = (): tf.Tensor[] => [
      tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([2, 0, 2, 1], 'int32'), 3),
    ];
    const ref = await on('cpu', fn);
    const got = await on('wasm', fn);
    expect(Array.from(got[0]!)).toEqual(Array.from(ref[0]!));
    expect(Array.from(got[0]!)).toEqual([3, 4, 7, 8, 6, 8]);
  });
});

describe('Slice and SplitV on wasm', () => {
  const shapes: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [[3, 5], [1, 0], [2, 5]],
    [[3, 5], [0, 2], [3, 2]],
    [[2, 4, 5, 3], [1, 1, 2, 0], [1, 3, 2, 3]],
    [[2, 4, 5, 3], [0, 1, 0, 1], [2, 2, 5, 1]],
    [[2, 3, 2, 3, 2, 2], [1, 0, 1, 1, 0, 1], [1, 3, 1, 2, 2, 1]],
  ];
  for (const [shape, begin, size] of shapes) {
    it(`slice ${shape.join('x')} at ${begin.join(',')} size ${size.join('x')} matches cpu`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => i);
      const fn = (): tf.Tensor[] => [tf.slice(tf.tensor(values, shape), begin, size)];
      const [ref] = await on('cpu', fn);
      const [got] = await on('wasm', fn);
      expect(Array.from(got!)).toEqual(Array.from(ref!));
    });
  }

  it('split along an inner axis and int32 slices match cpu', async () => {
    const fn = (): tf.Tensor[] => {
      const x = tf.tensor(Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => i), [2, 5, 3]);
      return [...tf.split(x, [1, 3, 1], 1), tf.cast(tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [0, 1], [2, 2]), 'float32')];
    };
    const ref = await on('cpu', fn);
    const got = await on('wasm', fn);
    expect(got.map((a) => Array.from(a))).toEqual(ref.map((a) => Array.from(a)));
  });
});

describe('MaxPoolGrad on wasm', () => {
  const cases: [number[], number, number, 'same' | 'valid' | number][] = [
    [[2, 7, 6, 3], 3, 2, 'same'],
    [[1, 8, 9, 2], 2, 2, 'valid'],
    [[1, 5, 5, 1], 3, 1, 'same'],
    [[2, 8, 7, 5], 3, 2, 1],
  ];
  for (const [shape, k, s, pad] of cases) {
    it(`${shape.join('x')} k${k} s${s} ${pad} matches cpu (ties included)`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const rng = new Rng(n);
      // Quantised values create ties, where the first maximum must win as on cpu.
      const xv = Float32Array.from({ length: n }, () => Math.round(rng.uniform(0, 4)));
      const pool = (t: tf.Tensor4D): tf.Tensor4D => tf.maxPool(t, k, s, pad, typeof pad === 'number' ? 'floor' : undefined);
      const fn = (): tf.Tensor[] => {
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        const y = pool(x);
        const dy = tf.tensor(randomArray(new Rng(2), y.size), y.shape);
        return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t as tf.Tensor4D), dy)))(x)];
      };
      const [ref] = await on('cpu', fn);
      const [got] = await on('wasm', fn);
      expect(relErr(got!, ref!)).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('maxPool3x3s2Torch (explicit padding 1, floor)', () => {
  for (const shape of [[2, 8, 10, 3], [1, 7, 9, 2]] as [number, number, number, number][]) {
    it(`${shape.join('x')}: equals padding with -3.4e38 then a 'valid' pool, values and gradient, on cpu and wasm`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const xv = Float32Array.from({ length: n }, (_, i) => Math.round(new Rng(i).uniform(-4, 4)));
      const fn = (): tf.Tensor[] => {
        const x = tf.tensor4d(xv, shape);
        const padded = (t: tf.Tensor4D): tf.Tensor4D => tf.maxPool(tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]], -3.4e38), 3, 2, 'valid');
        const y = maxPool3x3s2Torch(x);
        const dy = tf.tensor(randomArray(new Rng(4), y.size), y.shape);
        const grad = (f: (t: tf.Tensor4D) => tf.Tensor4D): tf.Tensor => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), dy)))(x);
        return [y, padded(x), grad(maxPool3x3s2Torch), grad(padded)];
      };
      for (const backend of ['cpu', 'wasm'] as const) {
        const [y, yRef, g, gRef] = await on(backend, fn);
        expect(Array.from(y!)).toEqual(Array.from(yRef!));
        expect(Array.from(g!)).toEqual(Array.from(gRef!));
      }
    });
  }
});
