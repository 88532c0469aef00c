import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { Rng } from '../../src/util/random.js';

/**
 * The wasm data-movement / reduction kernels of src/backend/wasm_array_kernels.ts against the cpu backend: each case
 * runs the same ops on both and compares every output (values and shape). Shapes are chosen to hit both the
 * project's paths (broadcasting, leading-axis reductions, short runs) and the stock fallbacks.
 */
interface Result {
  shape: number[];
  dtype: string;
  values: number[];
}

async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Result[]> {
  await initBackend(backend);
  return tf.tidy(fn).map((t) => {
    const r = { shape: [...t.shape], dtype: t.dtype, values: Array.from(t.dataSync() as Float32Array) };
    t.dispose();
    return r;
  });
}

function randomTensor(shape: number[], seed: number, dtype: 'float32' | 'int32' | 'bool' = 'float32'): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') return tf.tensor(Float32Array.from({ length: n }, () => rng.uniform(-1, 1)), shape);
  if (dtype === 'int32') return tf.tensor(Int32Array.from({ length: n }, () => Math.floor(rng.uniform(-3, 3))), shape, 'int32');
  return tf.tensor(Uint8Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.5 ? 1 : 0)), shape, 'bool');
}

/** Outputs agree in shape and dtype, and in value to `tol` relative to the largest cpu magnitude (0 = exactly). */
async function compare(fn: () => tf.Tensor[], tol = 0): Promise<void> {
  const ref = await on('cpu', fn);
  const got = await on('wasm', fn);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, k) => {
    const g = got[k]!;
    expect(g.shape).toEqual(r.shape);
    expect(g.dtype).toBe(r.dtype);
    if (tol === 0) {
      expect(g.values).toEqual(r.values);
    } else {
      const scale = Math.max(1e-12, ...r.values.map(Math.abs));
      const err = Math.max(0, ...r.values.map((v, i) => Math.abs(v - g.values[i]!)));
      expect(err / scale).toBeLessThanOrEqual(tol);
    }
  });
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('Tile on wasm', () => {
  const cases: [number[], number[], 'float32' | 'int32' | 'bool'][] = [
    [[3], [4], 'float32'],
    [[4, 1, 1], [1, 6, 5], 'float32'],
    [[1, 3, 7], [4, 1, 1], 'float32'],
    [[2, 3], [3, 2], 'int32'],
    [[2, 1, 3, 1], [2, 3, 1, 4], 'bool'],
    [[2, 2, 1, 2, 3], [1, 2, 3, 1, 2], 'float32'],
    [[5, 1], [1, 20], 'float32'],
  ];
  for (const [shape, reps, dtype] of cases) {
    it(`${dtype} [${shape}] x [${reps}] matches cpu`, async () => {
      await compare(() => [tf.tile(randomTensor(shape, shape.length + reps[0]!, dtype), reps)]);
    });
  }
});

describe('broadcasting binary ops on wasm', () => {
  const pairs: [number[], number[]][] = [
    [[2, 5, 4, 1], [2, 5, 4, 3]],
    [[2, 5, 4, 3], [2, 5, 4, 1]],
    [[3, 4, 6, 8], [8]],
    [[1, 1, 1, 8], [2, 3, 4, 8]],
    [[2, 1, 3], [4, 1]],
    [[], [2, 3]],
    [[2, 3], [1]],
    [[3, 1, 5], [3, 4, 5]],
    [[2, 4, 3], [2, 4, 3]],
  ];
  for (const [sa, sb] of pairs) {
    it(`add, sub, mul, div, maximum, squaredDifference of [${sa}] and [${sb}] match cpu`, async () => {
      await compare(() => {
        const a = randomTensor(sa, 1);
        const b = tf.add(randomTensor(sb, 2), 2); // away from 0 for the division
        return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.maximum(a, b), tf.squaredDifference(a, b)];
      }, 1e-6);
    });
  }

  it('comparisons and logical ops with same shapes or a one-element operand (either side, NaN, ties) match cpu', async () => {
    await compare(() => {
      const base = Float32Array.from([0.5, -1, NaN, 2, 0.5, 3, -0.25, 0.5, NaN, 1, 0, -2]);
      const a = tf.tensor3d(base, [2, 3, 2]);
      const b = tf.tensor3d(Float32Array.from(base).reverse(), [2, 3, 2]);
      const s = tf.scalar(0.5);
      const one = tf.tensor1d([0.5]);
      const ints = tf.tensor2d([1, 5, -3, 5, 0, 2], [2, 3], 'int32');
      const five = tf.scalar(5, 'int32');
      const p = tf.greater(a, 0);
      const q = tf.less(b, 1);
      const ops = [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual];
      return [
        ...ops.flatMap((op) => [op(a, b), op(a, s), op(s, a), op(a, one), op(ints, five), op(five, ints)]),
        tf.logicalAnd(p, q), tf.logicalOr(p, q), tf.logicalAnd(p, tf.scalar(true, 'bool')), tf.logicalOr(tf.scalar(false, 'bool'), q),
        tf.logicalAnd(p, tf.scalar(false, 'bool')), tf.logicalOr(p, tf.scalar(true, 'bool')),
      ];
    });
  });

  it('float32 comparisons and logical and in the SIMD module (16 per step and a tail; NaN, signed zeros, ties) match cpu', async () => {
    const n = 16 * 37 + 11;
    const rng = new Rng(n);
    const special = [NaN, 0, -0, 0.5, 1, -1, Infinity, -Infinity];
    const av = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? special[i % special.length]! : Math.round(rng.uniform(-2, 2) * 2) / 2));
    const bv = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? special[(i + 3) % special.length]! : Math.round(rng.uniform(-2, 2) * 2) / 2));
    await compare(() => {
      const a = tf.tensor2d(av, [n, 1]);
      const b = tf.tensor2d(bv, [n, 1]);
      const ops = [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual];
      const zero = tf.scalar(-0);
      return [
        ...ops.flatMap((op) => [op(a, b), op(a, 0.5), op(0.5, a), op(a, zero), op(a, NaN)]),
        tf.logicalAnd(tf.greater(a, 0), tf.lessEqual(b, 1)), tf.logicalAnd(tf.lessEqual(a, b), tf.notEqual(a, a)),
      ];
    });
  });

  it('comparisons and logical ops broadcast on int32 and bool', async () => {
    await compare(() => {
      const a = randomTensor([2, 3, 1], 3, 'int32');
      const b = tf.range(-2, 2, 1, 'int32');
      const p = randomTensor([2, 1, 4], 4, 'bool');
      const q = randomTensor([3, 1], 5, 'bool');
      return [tf.equal(a, b), tf.notEqual(a, b), tf.greater(a, b), tf.greaterEqual(a, b), tf.less(a, b), tf.lessEqual(a, b),
        tf.logicalAnd(p, q), tf.logicalOr(p, q), tf.mul(a, b)];
    });
  });
});

describe('GatherV2 on wasm', () => {
  it('rows of a [N,C] table by a rank-3 index, an inner axis, and int32 data match cpu', async () => {
    await compare(() => {
      const table = randomTensor([10, 3], 6);
      const idx = tf.tensor3d(Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 10), [2, 3, 4], 'int32');
      const x = randomTensor([2, 5, 4], 7);
      const ints = randomTensor([6, 2], 8, 'int32');
      return [tf.gather(table, idx), tf.gather(x, tf.tensor1d([4, 0, 0, 2], 'int32'), 1), tf.gather(ints, tf.tensor1d([5, 1], 'int32'))];
    });
  });

  it('rejects an index out of range', async () => {
    await initBackend('wasm');
    expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32')).dataSync())).toThrow(/index value 3 is not in \[0, 2\]/);
  });
});

describe('Sum and Mean on wasm', () => {
  const cases: [number[], number[], boolean][] = [
    [[2, 6, 5, 8], [0, 1, 2], false],
    [[2, 6, 5, 8], [0, 1, 2], true],
    [[4, 3, 20], [1], false],
    [[7, 5], [0], true],
    [[3, 4, 5], [2], false],
    [[3, 4, 5], [0, 2], true],
    [[3, 4, 5], [0, 1, 2], false],
  ];
  for (const [shape, axes, keepDims] of cases) {
    it(`[${shape}] over [${axes}] keepDims ${keepDims} matches cpu`, async () => {
      await compare(() => {
        const x = randomTensor(shape, shape[0]! + axes.length);
        return [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)];
      }, 1e-6);
    });
  }

  it('int32 sums go to the stock kernel and match cpu', async () => {
    await compare(() => [tf.sum(randomTensor([4, 3, 2], 9, 'int32'), [0, 1])]);
  });
});

describe('Concat, PadV2, Cast and short-run slices on wasm', () => {
  it('concat along the last axis (1-channel runs), a middle axis, int32 and with an empty input match cpu', async () => {
    await compare(() => {
      const a = randomTensor([2, 4, 5, 1], 10);
      const b = randomTensor([2, 4, 5, 2], 11);
      const c = randomTensor([2, 3, 5, 1], 12);
      return [tf.concat([a, b, a], 3), tf.concat([a, c], 1), tf.concat([randomTensor([2, 2], 13, 'int32'), randomTensor([2, 1], 14, 'int32')], 1),
        tf.concat([a, tf.zeros([2, 4, 5, 0])], 3)];
    });
  });

  it('pad with zeros and a constant, unpadded trailing axes, and int32 match cpu', async () => {
    await compare(() => {
      const x = randomTensor([2, 3, 1, 3], 15);
      return [tf.pad(x, [[0, 0], [0, 0], [4, 1], [0, 0]]), tf.pad(x, [[1, 0], [2, 1], [0, 0], [0, 0]], -2.5),
        tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 2]]), tf.pad(randomTensor([3, 2], 16, 'int32'), [[1, 1], [0, 1]], 7)];
    });
  });

  it('cast to the same dtype shares the data and outlives its input', async () => {
    await initBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
  });

  it('slices with short runs (one channel of NHWC) and splits match cpu', async () => {
    await compare(() => {
      const x = randomTensor([2, 4, 6, 3], 17);
      return [tf.slice(x, [0, 1, 0, 1], [-1, 2, -1, 1]), ...tf.split(x, [1, 2], 3), tf.slice(x, [1, 0, 2, 0], [1, 4, 1, 3])];
    });
  });
});

describe('AvgPoolGrad on wasm', () => {
  const cases: [number[], number, number, 'same' | 'valid'][] = [
    [[2, 7, 9, 3], 3, 1, 'valid'],
    [[1, 6, 5, 2], 3, 1, 'same'],
    [[1, 6, 6, 2], 2, 1, 'same'],
    [[2, 8, 6, 3], 2, 2, 'valid'],
  ];
  for (const [shape, k, s, pad] of cases) {
    it(`${shape.join('x')} k${k} s${s} ${pad} matches cpu`, async () => {
      await compare(() => {
        const x = randomTensor(shape, 18);
        const y = tf.avgPool(x as tf.Tensor4D, k, s, pad);
        const dy = randomTensor(y.shape, 19);
        return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, k, s, pad), dy)))(x)];
      }, 1e-6);
    });
  }
});

describe('BatchMatMul on wasm', () => {
  // Left operands of more than 64 elements take the per-batch XNNPACK path, K <= 4 the thin loop, others the stock loop.
  const cases: [number[], number[], boolean, boolean][] = [
    [[4, 9, 11], [4, 11, 7], false, false],
    [[4, 11, 9], [4, 11, 7], true, false],
    [[4, 9, 11], [4, 7, 11], false, true],
    [[2, 11, 9], [2, 7, 11], true, true],
    [[1, 9, 11], [4, 11, 7], false, false],
    [[4, 9, 11], [1, 11, 7], false, false],
    [[13, 8], [13, 9], true, false],
    [[2, 3, 9, 10], [2, 3, 10, 2], false, false],
    [[4, 3, 4], [4, 3, 50], true, false],
    [[9, 10], [10, 4], false, false],
    // K <= 4 (camera projections): the thin-product loop, every transpose combination, K = 1..4, broadcast batch.
    [[4, 3, 4], [4, 4, 37], false, false],
    [[4, 3, 3], [4, 3, 37], false, false],
    [[2, 2, 5], [2, 29, 2], true, true],
    [[1, 1], [1, 13], false, false],
    [[3, 4], [1, 17, 3], true, true],
    [[1, 3, 4], [3, 4, 21], false, false],
    [[2, 6, 4], [1, 11, 4], false, true],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    it(`[${sa}]${ta ? '^T' : ''} x [${sb}]${tb ? '^T' : ''} matches cpu`, async () => {
      await compare(() => [tf.matMul(randomTensor(sa, 20), randomTensor(sb, 21), ta, tb)], 1e-6);
    });
  }
});
