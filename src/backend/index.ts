/**
 * Backend choice. `auto` takes the first that loads of tensorflow-gpu (tfjs-node-gpu), tensorflow (tfjs-node),
 * wasm, cpu. The native packages are optional: they are loaded by dynamic import and skipped with a reason
 * when absent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradientsRegistered } from './gradients.js';
import { registerCpuKernels } from './cpu-kernels.js';
import { registerWasmKernels } from './wasm-kernels.js';

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

interface Loaded {
  threads: number;
}

async function loadCpu(): Promise<Loaded> {
  await import('@tensorflow/tfjs-backend-cpu');
  registerCpuKernels();
  if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
  return { threads: 1 };
}

async function loadWasm(): Promise<Loaded> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  // The threaded build is not enabled yet (see WASM-TRAINING.md "Threads in Node"): Node loads the SIMD build.
  return { threads: 1 };
}

async function loadNative(pkg: string): Promise<Loaded> {
  await import(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but tf.setBackend("tensorflow") failed`);
  return { threads: 0 };
}

const LOADERS: Record<Exclude<BackendName, 'auto'>, () => Promise<Loaded>> = {
  'tensorflow-gpu': () => loadNative('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => loadNative('@tensorflow/tfjs-node'),
  wasm: loadWasm,
  cpu: loadCpu,
};

const AUTO_ORDER: Exclude<BackendName, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Selects and initialises a backend; throws naming the backend and the cause when an explicit one fails. */
export async function initBackend(requested: BackendName = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(requested)) {
    throw new Error(`unknown backend '${requested}': expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  // Gradient functions are not registered by tfjs-core alone; every training path needs them.
  await ensureGradientsRegistered();
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      const loaded = await LOADERS[name]();
      await tf.ready();
      return {
        requested,
        active: tf.getBackend(),
        chosen: name,
        threads: loaded.threads,
        skipped,
        versions: { 'tfjs-core': tf.version_core, node: process.versions.node },
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
 * Releases the active backend so the process can exit (the threaded wasm build keeps pthread workers alive).
 * The CLI calls this before returning.
 */
export function shutdownBackend(): void {
  for (const name of ['wasm', 'tensorflow']) {
    if (tf.findBackend(name)) tf.engine().removeBackend(name);
  }
}
