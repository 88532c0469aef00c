/**
 * The project's own WebAssembly SIMD kernels (native/wasm/kernels.c, built by scripts/build_wasm_kernels.sh, the
 * .wasm files committed) on the tfjs wasm backend. The module imports tfjs's WebAssembly.Memory, so it reads and
 * writes tensors in place by their heap offsets: no copies. It is instantiated on the first call, once per heap.
 *
 * Each replacement gives bit for bit what the stock kernel gives (test/backend/simd_kernels.test.ts): the stock
 * Neg/Abs/Square/Sqrt/Floor are scalar C++ loops through a function pointer per element, Sub and ClipByValue are
 * slow too (~1.5-2 ns per value), and XNNPACK's Add/Multiply/RealDiv cost more per call than one SIMD pass on the
 * main thread; a broadcast operand was first materialised (wasm_array_kernels.ts). Adam ran 13 passes per variable.
 * Anything else (other dtypes, other broadcast patterns) falls back to the stock kernel chain.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

import { SimdHelper } from './simd_helper.js';
import type { KernelArgs, WasmBackend } from './wasm_util.js';

type BinaryName = 'add' | 'sub' | 'mul' | 'div';
/** Broadcast patterns of the binary kernels (native/wasm/kernels.c). */
type BinaryExports = {
  [K in `${BinaryName}_${'vv' | 'vs' | 'sv'}_f32`]: (a: number, b: number, y: number, n: number) => void;
} & {
  [K in `${BinaryName}_${'vc' | 'cv' | 'vr' | 'rv'}_f32`]: (a: number, b: number, y: number, rows: number, c: number) => void;
};

interface SimdExports extends BinaryExports {
  neg_f32(x: number, y: number, n: number): void;
  abs_f32(x: number, y: number, n: number): void;
  square_f32(x: number, y: number, n: number): void;
  sqrt_f32(x: number, y: number, n: number): void;
  floor_f32(x: number, y: number, n: number): void;
  clip_f32(x: number, y: number, n: number, lo: number, hi: number): void;
  avg_pool3x3_f32(x: number, y: number, batch: number, h: number, w: number, c: number): void;
  transpose_f32(src: number, rows: number, cols: number, dst: number): void;
  col2im_t_f32(G: number, geometry: number, dx: number, scratch: number): void;
  conv_filter_grad_f32(x: number, dy: number, dw: number, geometry: number, k0: number, k1: number): void;
  pack_filter_f32(w: number, K: number, co: number, packed: number): void;
  conv_forward_f32(x: number, packed: number, w: number, y: number, geometry: number, r0: number, r1: number): void;
  adam_f32(p: number, m: number, v: number, g: number, po: number, mo: number, vo: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, sqrtBc2: number, eps: number, stepSize: number): void;
  greater_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  greater_equal_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  less_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  less_equal_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  equal_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  not_equal_f32(a: number, b: number, y: number, n: number, scalar: number): void;
  any_non_finite_f32(x: number, n: number): number;
  logical_and_u8(a: number, b: number, y: number, n: number): void;
  max_pool_grad_f32(x: number, dy: number, dx: number, geometry: number): void;
  batch_norm_train_f32(x: number, gamma: number, beta: number, eps: number, y: number, mean: number, variance: number,
    rows: number, c: number, scratch: number): void;
  batch_norm_train_grad_f32(dy: number, x: number, gamma: number, mean: number, variance: number, eps: number, dx: number,
    dgamma: number, dbeta: number, rows: number, c: number, scratch: number): void;
}

/** native/wasm from src/backend (sources) or dist/src/backend (the published package). */
function moduleFile(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', 'native', 'wasm', name), join(here, '..', '..', '..', 'native', 'wasm', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`wasm SIMD kernels: ${name} not found (looked in ${candidates.join(', ')}); rebuild with scripts/build_wasm_kernels.sh`);
  return found;
}

/** The few WebAssembly JS-API members used here (the project's TS lib settings have no WebAssembly types). */
interface HeapMemory {
  buffer: ArrayBufferLike;
}
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => HeapMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

interface BoundModule {
  exports: SimdExports;
  bytes: Uint8Array;
  names: string[];
  shared: boolean;
  /** Threads beside the caller's on a shared heap (threaded build), for kernels that split; none otherwise. */
  helpers: SimdHelper[];
}
const instances = new WeakMap<HeapMemory, BoundModule>();

/** tfjs-wasm's heap: the threaded build keeps it on the Emscripten module, the single-thread build exports it. */
function heapMemory(backend: WasmBackend): HeapMemory {
  const m: unknown = backend.wasm?.wasmMemory ?? backend.wasm?.asm?.memory;
  if (!(m instanceof wasmApi.Memory)) throw new Error('wasm SIMD kernels: the tfjs wasm backend exposes no WebAssembly.Memory');
  return m;
}

let threads = 2;

/**
 * How many threads a split kernel uses, the caller's included (initBackend passes the wasm backend's thread count,
 * so the SIMD kernels use the cores XNNPACK uses; 1 = no helpers).
 */
export function setSimdThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`SIMD threads must be a positive integer, got ${count}`);
  threads = count;
}

/** The SIMD module bound to `backend`'s heap (instantiated once). */
function boundModule(backend: WasmBackend): BoundModule {
  const memory = heapMemory(backend);
  let bound = instances.get(memory);
  if (!bound) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = readFileSync(moduleFile(shared ? 'kernels_shared.wasm' : 'kernels.wasm'));
    const exports = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } }).exports as unknown as SimdExports;
    const names = Object.keys(exports).filter((n) => typeof (exports as unknown as Record<string, unknown>)[n] === 'function');
    bound = { exports, bytes, names, shared, helpers: [] };
    instances.set(memory, bound);
  }
  return bound;
}

/** The SIMD module's kernels on `backend`'s heap. */
export function simdKernels(backend: WasmBackend): SimdExports {
  return boundModule(backend).exports;
}

/**
 * The helper threads that run the other shares of a split kernel: setSimdThreads - 1 of them on a shared heap, none
 * otherwise. Started on first use; stopped ones (shutdownBackend) are replaced.
 */
export function simdHelpers(backend: WasmBackend): readonly SimdHelper[] {
  const bound = boundModule(backend);
  const wanted = bound.shared ? threads - 1 : 0;
  if (bound.helpers.length !== wanted || bound.helpers.some((h) => h.stopped)) {
    for (const h of bound.helpers) if (!h.stopped) h.stop();
    bound.helpers = Array.from({ length: wanted }, () => new SimdHelper(heapMemory(backend), bound.bytes, bound.names));
  }
  return bound.helpers;
}

let splitting = true;

/** Whether large kernels split across the helper threads (on by default; off to compare against one thread in tests). */
export function setSimdSplit(enabled: boolean): void {
  splitting = enabled;
}

/**
 * Runs the kernel `name` over the index range [0, total): with helper threads and `split`, in as many contiguous
 * parts as threads (boundaries on multiples of `align`), the first here and the others on the helpers; otherwise the
 * whole range here. `argsAt(start, count)` gives the kernel's arguments for a sub-range; each output must depend on
 * its own range's work only, so the split changes no result bit. (Element-wise kernels gain nothing from it: they are
 * bound by memory bandwidth, which the cores share.)
 */
export function runSplit(backend: WasmBackend, name: keyof SimdExports, total: number, argsAt: (start: number, count: number) => number[],
  split: boolean, align = 1): void {
  const fn = simdKernels(backend)[name] as unknown as (...args: number[]) => unknown;
  const helpers = split && splitting ? simdHelpers(backend) : [];
  const parts = helpers.length + 1;
  const bounds = Array.from({ length: parts + 1 }, (_, i) => (i === parts ? total : Math.min(total, align * Math.round((total * i) / (parts * align)))));
  const started: SimdHelper[] = [];
  try {
    for (let i = 1; i < parts; i++) {
      if (bounds[i + 1]! > bounds[i]!) {
        helpers[i - 1]!.start(name, argsAt(bounds[i]!, bounds[i + 1]! - bounds[i]!));
        started.push(helpers[i - 1]!);
      }
    }
    if (bounds[1]! > 0) fn(...argsAt(0, bounds[1]!));
  } finally {
    // Every started helper is waited for, even if one of them (or this thread's share) failed.
    let failure: unknown;
    for (const h of started) {
      try {
        h.join();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/** Heap byte offset of a tensor's data. */
export function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset as number;
}

/** The scalar value of a one-element float32 tensor. */
function scalarOf(backend: WasmBackend, t: tf.TensorInfo): number {
  return (backend.typedArrayFromHeap(t) as Float32Array)[0]!;
}

type Unary = 'neg_f32' | 'abs_f32' | 'square_f32' | 'sqrt_f32' | 'floor_f32';

function unary(fn: Unary) {
  return ({ inputs, backend }: KernelArgs, stock: tf.KernelFunc): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return stock({ inputs, backend, attrs: {} }) as tf.TensorInfo;
    const out = backend.makeOutput(x.shape, 'float32') as tf.TensorInfo;
    const n = tf.util.sizeFromShape(x.shape);
    if (n > 0) simdKernels(backend)[fn](offsetOf(backend, x), offsetOf(backend, out), n);
    return out;
  };
}

/** ClipByValue, and Relu / Relu6 as the clamps the stock kernels run (XNNPACK clamp to [0, inf) and [0, 6]). */
function clamp(bounds: (attrs: tf.NamedAttrMap) => [number, number]) {
  return ({ inputs, backend, attrs }: KernelArgs, stock: tf.KernelFunc): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return stock({ inputs, backend, attrs }) as tf.TensorInfo;
    const [lo, hi] = bounds(attrs);
    const out = backend.makeOutput(x.shape, 'float32') as tf.TensorInfo;
    const n = tf.util.sizeFromShape(x.shape);
    if (n > 0) simdKernels(backend).clip_f32(offsetOf(backend, x), offsetOf(backend, out), n, lo, hi);
    return out;
  };
}

/** `shape` left-padded with 1s to `rank` dimensions. */
function padRank(shape: number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/**
 * a OP b on float32 in the patterns the module has: equal shapes, a single value on either side, or one operand the
 * output's shape and the other one value per last-axis row ([..., 1]) or one last-axis row ([c]). Anything else (and
 * other dtypes) goes to the stock kernel chain.
 */
function binary(op: BinaryName) {
  return ({ inputs, backend, attrs }: KernelArgs, stock: tf.KernelFunc): tf.TensorInfo => {
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock({ inputs, backend, attrs }) as tf.TensorInfo;
    let outShape: number[];
    try {
      outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    } catch {
      return stock({ inputs, backend, attrs }) as tf.TensorInfo;
    }
    const n = tf.util.sizeFromShape(outShape);
    const c = outShape.length > 0 ? outShape[outShape.length - 1]! : 1;
    const rows = c > 0 ? n / c : 0;
    const isOut = (t: tf.TensorInfo): boolean => tf.util.arraysEqual(padRank(t.shape, outShape.length), outShape) && t.shape.length === outShape.length;
    const isColumn = (t: tf.TensorInfo): boolean => tf.util.arraysEqual(padRank(t.shape, outShape.length), [...outShape.slice(0, -1), 1]);
    const isRow = (t: tf.TensorInfo): boolean => tf.util.arraysEqual(padRank(t.shape, outShape.length), [...outShape.map(() => 1).slice(0, -1), c]);
    const single = (t: tf.TensorInfo): boolean => tf.util.sizeFromShape(t.shape) === 1;
    let pattern: 'vv' | 'vs' | 'sv' | 'vc' | 'cv' | 'vr' | 'rv' | null = null;
    if (isOut(a) && isOut(b)) pattern = 'vv';
    else if (isOut(a) && single(b)) pattern = 'vs';
    else if (isOut(b) && single(a)) pattern = 'sv';
    else if (isOut(a) && isColumn(b)) pattern = 'vc';
    else if (isOut(b) && isColumn(a)) pattern = 'cv';
    else if (isOut(a) && isRow(b)) pattern = 'vr';
    else if (isOut(b) && isRow(a)) pattern = 'rv';
    if (pattern === null) return stock({ inputs, backend, attrs }) as tf.TensorInfo;
    const out = backend.makeOutput(outShape, 'float32') as tf.TensorInfo;
    if (n === 0) return out;
    const k = simdKernels(backend);
    const [pa, pb, py] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
    switch (pattern) {
      case 'vv':
        k[`${op}_vv_f32`](pa, pb, py, n);
        break;
      case 'vs':
        k[`${op}_vs_f32`](pa, scalarOf(backend, b), py, n);
        break;
      case 'sv':
        k[`${op}_sv_f32`](scalarOf(backend, a), pb, py, n);
        break;
      default:
        k[`${op}_${pattern}_f32`](pa, pb, py, rows, c);
    }
    return out;
  };
}

/** AvgPool 3x3, stride 1, valid (SSIM's statistics, and the stride-1 AvgPoolGrad that pads and pools); others are stock. */
function avgPool({ inputs, backend, attrs }: KernelArgs, stock: tf.KernelFunc): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const { filterSize, strides, pad } = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown };
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  const [kh, kw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (x.dtype !== 'float32' || x.shape.length !== 4 || kh !== 3 || kw !== 3 || sh !== 1 || sw !== 1 || pad !== 'valid' || h < 3 || w < 3) {
    return stock({ inputs, backend, attrs }) as tf.TensorInfo;
  }
  const out = backend.makeOutput([b, h - 2, w - 2, c], 'float32') as tf.TensorInfo;
  if (b * c > 0) simdKernels(backend).avg_pool3x3_f32(offsetOf(backend, x), offsetOf(backend, out), b, h, w, c);
  return out;
}

/** Stock wasm kernels replaced by the SIMD module (each falls back to the stock one it is given). */
export function simdKernelReplacements(): [string, (args: KernelArgs, stock: tf.KernelFunc) => tf.TensorInfo][] {
  return [
    [tf.AvgPool, avgPool],
    [tf.Neg, unary('neg_f32')],
    [tf.Abs, unary('abs_f32')],
    [tf.Square, unary('square_f32')],
    [tf.Sqrt, unary('sqrt_f32')],
    [tf.Floor, unary('floor_f32')],
    [tf.ClipByValue, clamp((a) => [a.clipValueMin as number, a.clipValueMax as number])],
    [tf.Relu, clamp(() => [0, Infinity])],
    [tf.Relu6, clamp(() => [0, 6])],
    [tf.Add, binary('add')],
    [tf.Sub, binary('sub')],
    [tf.Multiply, binary('mul')],
    [tf.RealDiv, binary('div')],
  ];
}
