/**
 * The project's wasm SIMD kernels (native/wasm/kernels.c via src/backend/simd_kernels.ts and adam_kernel.ts) give
 * bit for bit the cpu backend's float32 results (IEEE operations rounded once each, in the same order), including
 * signed zeros, values on the clip bounds, odd lengths (the scalar tails) and the broadcasting fallback; the fused
 * Adam update equals the 13-op composition bit for bit; and the committed .wasm files are what the build script
 * makes from the committed C source (when clang and wasm-ld are installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { adamUpdate, adamUpdateOps, ADAM_UPDATE, type AdamCoefficients } from '../../src/backend/adam_kernel.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../src/backend/batchnorm_kernels.js';
import { nonFiniteFlags, NON_FINITE_FLAGS } from '../../src/backend/finite_kernel.js';
import { initBackend } from '../../src/backend/index.js';
import { stopSimdHelpers } from '../../src/backend/simd_helper.js';
import { offsetOf, simdHelpers } from '../../src/backend/simd_kernels.js';
import { stockWasmKernel } from '../../src/backend/wasm_kernels.js';
import { Rng } from '../../src/util/random.js';

/** Float32 values with the awkward ones mixed in: signed zeros, exact clip bounds, integers, tiny and large. */
function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const special = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 1e-30, -1e-30, 3e5, -3e5, 0.25, 7];
  return Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length]! : rng.uniform(-3, 3)));
}

/** Raw bits, so -0 and +0 (and every rounding) are told apart. */
function bits(t: tf.Tensor): number[] {
  return Array.from(new Int32Array((t.dataSync() as Float32Array).slice().buffer));
}

async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<number[][]> {
  await initBackend(backend);
  return tf.tidy(fn).map((t) => {
    const b = bits(t);
    t.dispose();
    return b;
  });
}

describe('wasm SIMD element-wise kernels equal cpu bit for bit', () => {
  for (const n of [1, 3, 4, 37, 4099]) {
    it(`Neg, Abs, Square, Sqrt, Floor, ClipByValue, Add, Sub, Multiply, RealDiv (equal, scalar, column, row and other broadcasts), n = ${n}`, async () => {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor(values(n, n), [n]);
        const y = tf.tensor(values(n, n + 1), [n]);
        return [
          tf.neg(x), tf.abs(x), tf.square(x), tf.sqrt(tf.abs(x)), tf.floor(x),
          tf.clipByValue(x, 0, 1), tf.clipByValue(x, -0.5, 2),
          tf.sub(x, y), tf.sub(x, 0.5), tf.sub(1, x), tf.sub(tf.reshape(x, [1, n]), tf.scalar(2)),
          tf.add(x, y), tf.mul(x, y), tf.div(x, y), tf.mul(tf.reshape(x, [n, 1]), tf.reshape(tf.tile(y, [2]), [n, 2])), tf.div(tf.reshape(tf.tile(x, [3]), [n, 3]), tf.tensor1d([3, -7, 0.1])),
          tf.sub(tf.reshape(x, [n, 1]), tf.slice(tf.reshape(y, [1, n]), [0, 0], [1, Math.min(n, 3)])),
        ];
      };
      const ref = await on('cpu', run);
      const got = await on('wasm', run);
      // Outputs 5, 6 (ClipByValue): cpu keeps clip(-0) = -0 where XNNPACK's clamp, and the stock wasm kernel, give +0.
      const zeroSign = (b: number[]): number[] => b.map((v) => (v === -2147483648 ? 0 : v));
      got.forEach((g, k) => expect(k === 5 || k === 6 ? zeroSign(g) : g, `output ${k}`).toEqual(k === 5 || k === 6 ? zeroSign(ref[k]!) : ref[k]));
    });
  }
});

/** Runs the stock tfjs-wasm kernel the project replaced. */
function stock(name: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): tf.Tensor {
  const f = stockWasmKernel(name);
  if (!f) throw new Error(`no stock kernel recorded for ${name}`);
  return tf.engine().makeTensorFromTensorInfo(f({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo);
}

describe('wasm SIMD element-wise kernels equal the stock tfjs-wasm kernels they replace, bit for bit', () => {
  it('on every op (Relu and Relu6 too), odd and even lengths, bounds and signed zeros', async () => {
    await initBackend('wasm');
    for (const n of [1, 3, 37, 4099]) {
      tf.tidy(() => {
        const x = tf.tensor(values(n, n), [n]);
        const y = tf.tensor(values(n, n + 1), [n]);
        const ax = tf.abs(x);
        const pairs: [string, tf.Tensor, tf.Tensor][] = [
          ['Neg', tf.neg(x), stock(tf.Neg, { x })],
          ['Abs', tf.abs(x), stock(tf.Abs, { x })],
          ['Square', tf.square(x), stock(tf.Square, { x })],
          ['Sqrt', tf.sqrt(ax), stock(tf.Sqrt, { x: ax })],
          ['Floor', tf.floor(x), stock(tf.Floor, { x })],
          ['ClipByValue 0..1', tf.clipByValue(x, 0, 1), stock(tf.ClipByValue, { x }, { clipValueMin: 0, clipValueMax: 1 })],
          ['ClipByValue -0.5..2', tf.clipByValue(x, -0.5, 2), stock(tf.ClipByValue, { x }, { clipValueMin: -0.5, clipValueMax: 2 })],
          ['Relu', tf.relu(x), stock(tf.Relu, { x })],
          ['Relu6', tf.relu6(tf.mul(x, 3)), stock(tf.Relu6, { x: tf.mul(x, 3) })],
          ['Sub', tf.sub(x, y), stock(tf.Sub, { a: x, b: y })],
          ['Sub scalar b', tf.sub(x, tf.scalar(0.5)), stock(tf.Sub, { a: x, b: tf.scalar(0.5) })],
          ['Sub scalar a', tf.sub(tf.scalar(1), x), stock(tf.Sub, { a: tf.scalar(1), b: x })],
        ];
        // Add, Sub, Multiply, RealDiv in every broadcast pattern the module has, both operand orders.
        const rows = tf.reshape(tf.concat([x, y]), [2 * n, 1]);
        const wide = tf.reshape(tf.tile(tf.concat([x, y]), [3]), [2 * n, 3]);
        const row = tf.tensor1d([0.75, -2, 3]);
        const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [[tf.Add, tf.add], [tf.Sub, tf.sub], [tf.Multiply, tf.mul], [tf.RealDiv, tf.div]];
        for (const [name, f] of ops) {
          for (const [what, a, b] of [['equal', x, y], ['scalar b', x, tf.scalar(-1.5)], ['scalar a', tf.scalar(0.3), y], ['column b', wide, rows], ['column a', rows, wide], ['row b', wide, row], ['row a', row, wide]] as [string, tf.Tensor, tf.Tensor][]) {
            pairs.push([`${name} ${what}`, f(a, b), stock(name, { a, b })]);
          }
        }
        // AvgPool 3x3 stride 1 valid (the module's), over images and feature maps, odd sizes, channel counts 1, 3, 5.
        for (const [hh, ww, cc] of [[5, 7, 3], [4, 9, 1], [6, 5, 5]] as const) {
          const img = tf.reshape(tf.tensor(values(2 * hh * ww * cc, n + hh)), [2, hh, ww, cc]) as tf.Tensor4D;
          pairs.push([`AvgPool ${hh}x${ww}x${cc}`, tf.avgPool(img, 3, 1, 'valid'), stock(tf.AvgPool, { x: img }, { filterSize: 3, strides: 1, pad: 'valid' })]);
        }
        for (const [name, got, want] of pairs) expect(bits(got), `${name} n=${n}`).toEqual(bits(want));
      });
    }
  });
});

describe('fused Adam update (wasm)', () => {
  it('is bit-identical to the op composition, over steps with changing coefficients', async () => {
    await initBackend('wasm');
    expect(tf.getKernel(ADAM_UPDATE, 'wasm')).toBeDefined();
    const n = 1031;
    let fused = [tf.tensor(values(n, 1)), tf.zeros([n]), tf.zeros([n])];
    let ops = fused.map((t) => tf.clone(t));
    for (let step = 1; step <= 3; step++) {
      const g = tf.tensor(values(n, 10 + step));
      const c: AdamCoefficients = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** step), sqrtBiasCorrection2: Math.sqrt(1 - 0.999 ** step) };
      const f = adamUpdate(fused[0]!, fused[1]!, fused[2]!, g, c);
      const o = adamUpdateOps(ops[0]!, ops[1]!, ops[2]!, g, c);
      tf.dispose([...fused, ...ops, g]);
      fused = f;
      ops = o;
      for (let k = 0; k < 3; k++) expect(bits(fused[k]!), `step ${step} output ${k}`).toEqual(bits(ops[k]!));
    }
    const p = Array.from(fused[0]!.dataSync());
    tf.dispose([...fused, ...ops]);
    expect(p.every(Number.isFinite)).toBe(true);
  });
});

describe('training batch norm in the SIMD module (wasm) equals the JS loops (cpu) bit for bit', () => {
  // Odd channel counts leave a scalar tail after the 2-wide float64 SIMD loops.
  for (const shape of [[2, 9, 11, 67], [4, 8, 28, 64], [1, 3, 5, 1]] as [number, number, number, number][]) {
    it(`[${shape}]: y, batch mean and variance, dx, dgamma, dbeta`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const c = shape[3];
      const rng = new Rng(n);
      const xv = Float32Array.from(values(n, 3), (v, i) => v * (1 + (i % c)) + 2);
      const gv = Float32Array.from({ length: c }, () => rng.uniform(0.5, 1.5));
      const bv = Float32Array.from({ length: c }, () => rng.uniform(-0.5, 0.5));
      const fn = (): tf.Tensor[] => {
        const [x, gamma, beta, dy] = [tf.tensor4d(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv), tf.tensor4d(values(n, 4), shape)];
        const attrs = { eps: 1e-5 } as unknown as tf.NamedAttrMap;
        const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, attrs) as tf.Tensor[];
        const grads = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, gamma, mean: mean!, variance: variance! }, attrs) as tf.Tensor[];
        return [y!, mean!, variance!, ...grads];
      };
      const want = await on('cpu', fn);
      const got = await on('wasm', fn);
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((what, k) => expect(got[k], what).toEqual(want[k]));
    });
  }
});

/** MaxPoolGrad as the argmax scatter it must equal: the first maximum of each window in row-major order, windows in output order. */
function maxPoolGradReference(x: Float32Array, dy: Float32Array, shape: number[], k: number, s: number, pad: number): Float32Array {
  const [batch, h, w, c] = shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad - k) / s) + 1;
  const ow = Math.floor((w + 2 * pad - k) / s) + 1;
  const dx = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) for (let d = 0; d < c; d++) {
    let best = -Infinity;
    let at = -1;
    for (let i = Math.max(0, r * s - pad); i < Math.min(h, r * s - pad + k); i++) {
      for (let j = Math.max(0, q * s - pad); j < Math.min(w, q * s - pad + k); j++) {
        const idx = ((b * h + i) * w + j) * c + d;
        if (x[idx]! > best) [best, at] = [x[idx]!, idx];
      }
    }
    if (at >= 0) dx[at] += dy[((b * oh + r) * ow + q) * c + d]!;
  }
  return dx;
}

describe('MaxPoolGrad in the SIMD module (wasm)', () => {
  for (const [shape, k, s, pad] of [[[2, 9, 12, 67], 3, 2, 1], [[1, 8, 9, 3], 2, 2, 0], [[1, 6, 7, 2], 3, 1, 1]] as [number[], number, number, number][]) {
    it(`${shape.join('x')} k${k} s${s} pad ${pad}: the argmax scatter's sums bit for bit (ties, overlapping windows)`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const rng = new Rng(n);
      const xv = Float32Array.from({ length: n }, () => Math.round(rng.uniform(0, 4)));
      await initBackend('wasm');
      const x = tf.tensor4d(xv, shape as [number, number, number, number]);
      const y = tf.maxPool(x, k, s, pad, 'floor');
      const dyv = values(y.size, 5);
      const dy = tf.tensor(dyv, y.shape);
      const got = tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y }, { filterSize: k, strides: s, pad, dimRoundingMode: 'floor' }) as tf.Tensor;
      const want = maxPoolGradReference(xv, dyv, shape, k, s, pad);
      expect(bits(got)).toEqual(Array.from(new Int32Array(want.buffer)));
      tf.dispose([x, y, dy, got]);
    });
  }
});

describe('the finite check in the SIMD module (wasm)', () => {
  it('flags exactly the tensors that sum(x * 0) flags on cpu (NaN, +-Inf in the SIMD body or the tail; huge, zero, empty)', async () => {
    const arrays = [
      values(1031, 6),
      Float32Array.from(values(1031, 7), (v, i) => (i === 517 ? Infinity : v)),
      Float32Array.from(values(1031, 8), (v, i) => (i === 1030 ? NaN : v)),
      Float32Array.from(values(9, 9), (v, i) => (i === 0 ? -Infinity : v)),
      Float32Array.from({ length: 13 }, (_, i) => (i % 2 ? 3.4e38 : -3.4e38)),
      new Float32Array(5),
      new Float32Array(0),
      Float32Array.from([NaN]),
    ];
    const flagsOn = async (backend: 'cpu' | 'wasm'): Promise<boolean[]> => {
      await initBackend(backend);
      const ts = arrays.map((a) => tf.tensor1d(a));
      const f = nonFiniteFlags(ts);
      const out = Array.from(f.dataSync(), (v) => Number.isFinite(v));
      tf.dispose([...ts, f]);
      return out;
    };
    const want = await flagsOn('cpu');
    expect(want).toEqual([true, false, false, false, true, true, true, false]);
    expect(tf.getKernel(NON_FINITE_FLAGS, 'wasm')).toBeDefined();
    expect(await flagsOn('wasm')).toEqual(want);
  });
});

const hasClang = ['clang', 'wasm-ld'].every((c) => spawnSync(c, ['--version']).status === 0);

describe('the SIMD helper thread (threaded wasm build)', () => {
  it('runs a kernel on the shared heap, reports a kernel that traps, and is replaced once stopped', async () => {
    await initBackend('wasm');
    const backend = tf.backend();
    const [helper] = simdHelpers(backend);
    expect(helper).toBeDefined();
    const x = tf.tensor1d([1, -2, 3, -0]);
    const y = tf.zerosLike(x);
    const [px, py] = [offsetOf(backend, x), offsetOf(backend, y)];
    helper.start('neg_f32', [px, py, 4]);
    helper.join();
    expect(Array.from(y.dataSync())).toEqual([-1, 2, -3, 0]);
    // a read past the end of the heap traps in the worker: join() says so instead of waiting forever
    helper.start('neg_f32', [2 ** 32 - 64, py, 1 << 20]);
    expect(() => helper.join()).toThrow(/failed on the helper thread/);
    expect(() => helper.start('no_such_kernel', [])).toThrow(/exports no 'no_such_kernel'/);
    tf.dispose([x, y]);
    stopSimdHelpers(); // what shutdownBackend does
    expect(() => helper.start('neg_f32', [0, 0, 0])).toThrow(/after stop/);
    const [again] = simdHelpers(tf.backend());
    expect(again).not.toBe(helper);
    const z = tf.tensor1d([5, 6]);
    const out = tf.zerosLike(z);
    again.start('neg_f32', [offsetOf(tf.backend(), z), offsetOf(tf.backend(), out), 2]);
    again.join();
    expect(Array.from(out.dataSync())).toEqual([-5, -6]);
    tf.dispose([z, out]);
  });
});

describe('the committed wasm modules', () => {
  it.skipIf(!hasClang)('are what scripts/build_wasm_kernels.sh builds from native/wasm/kernels.c', () => {
    const out = mkdtempSync(join(tmpdir(), 'sd-wasm-build-'));
    const r = spawnSync('bash', ['scripts/build_wasm_kernels.sh', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['kernels.wasm', 'kernels_shared.wasm']) expect(readFileSync(join(out, f)).equals(readFileSync(join('native/wasm', f))), f).toBe(true);
  });
  if (!hasClang) it('(rebuild check skipped: clang and wasm-ld are not installed; apt-get install -y clang lld)', () => undefined);
});
