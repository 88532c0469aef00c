/**
 * Backend choice. `auto` takes the first that loads of tensorflow-gpu (tfjs-node-gpu), tensorflow (tfjs-node),
 * wasm, cpu. The native packages are optional: they are loaded by dynamic import and skipped with a reason
 * when absent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradientsRegistered, registerGradientOverrides } from './gradients.js';
import { registerAdamKernel } from './adam_kernel.js';
import { registerBatchNormKernels } from './batchnorm_kernels.js';
import { registerBatchNormWasmKernels } from './batchnorm_wasm.js';
import { registerNonFiniteFlagsKernel } from './finite_kernel.js';
import { registerCpuKernels } from './cpu_kernels.js';
import { registerNativeKernels } from './native_kernels.js';
import { registerReflectPadKernels } from './reflect_pad.js';
import { registerWasmKernels } from './wasm_kernels.js';
import { setWasmBackendThreaded } from './wasm_threads.js';
import { stopSimdHelpers } from './simd_helper.js';
import { setSimdThreads } from './simd_kernels.js';
import os from 'node:os';

export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** The tfjs backend now active ('tensorflow', 'wasm', 'cpu'). */
  active: string;
  /** The stereodepth name of the active backend. */
  chosen: Exclude<BackendName, 'auto'>;
  /** Threads the backend computes with (1 for cpu). */
  threads: number;
  /** Backends tried before the chosen one, and why each was skipped. */
  skipped: { name: BackendName; reason: string }[];
  versions: Record<string, string>;
}

export interface BackendOptions {
  /** Threads for the wasm backend (default: available cores, at most 8). 1 loads the single-thread SIMD build. */
  threads?: number;
}

interface Loaded {
  threads: number;
  /** Extra facts for BackendInfo.versions (e.g. which wasm build). */
  notes?: Record<string, string>;
}

/** Default wasm thread count: the cores Node may use, capped at 8 (the C++ side's own cap). */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

async function loadCpu(): Promise<Loaded> {
  await import('@tensorflow/tfjs-backend-cpu');
  registerCpuKernels();
  registerBatchNormKernels('cpu');
  registerReflectPadKernels('cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
  return { threads: 1 };
}

let wasmLoaded: Loaded | undefined;

async function loadWasm(options: BackendOptions): Promise<Loaded> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  registerAdamKernel();
  registerNonFiniteFlagsKernel();
  registerBatchNormWasmKernels();
  registerReflectPadKernels('wasm');
  const notes: Record<string, string> = { 'tfjs-backend-wasm': wasm.version_wasm };
  // The wasm module is instantiated once per process: the first successful load fixes the build and threads.
  if (wasmLoaded) {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    return wasmLoaded;
  }
  const threads = options.threads ?? defaultWasmThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (threads > 1) {
    try {
      const actual = await setWasmBackendThreaded(threads);
      // The project's split SIMD kernels (convolutions) use as many threads as XNNPACK does.
      setSimdThreads(actual);
      wasmLoaded = { threads: actual, notes: { ...notes, 'wasm-build': `threaded-simd (${actual} threads)` } };
      return wasmLoaded;
    } catch (err) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      notes['wasm-build-fallback'] = `threaded build failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  wasmLoaded = { threads: 1, notes: { ...notes, 'wasm-build': simd ? 'simd (1 thread)' : 'plain (1 thread)' } };
  return wasmLoaded;
}

async function loadNative(pkg: string): Promise<Loaded> {
  await import(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but tf.setBackend("tensorflow") failed`);
  // The native kernels read FusedBatchNorm's reserve outputs as the CPU kernels define them (cuDNN's differ); untested on GPU.
  if (pkg === '@tensorflow/tfjs-node') registerNativeKernels();
  // libtensorflow's intra-op pool defaults to one thread per core.
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  const notes: Record<string, string> = {};
  if (binding?.TF_Version) notes.libtensorflow = binding.TF_Version;
  try {
    const { createRequire } = await import('node:module');
    notes[pkg.replace('@tensorflow/', '')] = (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    // The version is informative only.
  }
  return { threads: os.availableParallelism(), notes };
}

const LOADERS: Record<Exclude<BackendName, 'auto'>, (options: BackendOptions) => Promise<Loaded>> = {
  'tensorflow-gpu': () => loadNative('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => loadNative('@tensorflow/tfjs-node'),
  wasm: loadWasm,
  cpu: loadCpu,
};

const AUTO_ORDER: Exclude<BackendName, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Selects and initialises a backend; throws naming the backend and the cause when an explicit one fails. */
export async function initBackend(requested: BackendName = 'auto', options: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(requested)) {
    throw new Error(`unknown backend '${requested}': expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  // Gradient functions are not registered by tfjs-core alone; every training path needs them.
  await ensureGradientsRegistered();
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      const loaded = await LOADERS[name](options);
      await tf.ready();
      registerGradientOverrides();
      return {
        requested,
        active: tf.getBackend(),
        chosen: name,
        threads: loaded.threads,
        skipped,
        versions: { 'tfjs-core': tf.version_core, node: process.versions.node, ...loaded.notes },
      };
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      if (requested !== 'auto') throw new Error(`backend '${name}' could not be initialised: ${reason}`);
      skipped.push({ name, reason });
    }
  }
  throw new Error(`no backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Releases the active backend so the process can exit (the threaded wasm build keeps pthread workers alive), and
 * ends the SIMD module's helper thread.
 * The CLI calls this before returning.
 */
export function shutdownBackend(): void {
  for (const name of ['wasm', 'tensorflow']) {
    if (tf.findBackend(name)) tf.engine().removeBackend(name);
  }
  stopSimdHelpers();
}
/**
 * Bytes of the wasm backend's heap (the WebAssembly memory, which grows and never shrinks, so this is the run's
 * high-water mark; wasm32 caps it at 4 GiB), or null on other backends.
 */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return module?.HEAPU8?.buffer.byteLength ?? null;
}

export { ensureGradientsRegistered } from './gradients.js';
