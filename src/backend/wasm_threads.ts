/**
 * Runs tfjs-backend-wasm's threaded-SIMD build in Node without editing node_modules. Three runtime patches
 * (measured in /work/shared/reference/WASM-TRAINING.md, "Threads in Node"):
 * 1. the WASM_HAS_MULTITHREAD_SUPPORT flag is forced on (tfjs returns false in Node, tfjs issue #3830);
 * 2. the pthread worker script, which tfjs hands over as a Blob URL that worker_threads cannot load, is written
 *    to a temp file, with its `load` handler rewritten to read the threaded-SIMD loader from disk;
 * 3. os.cpus() is doubled while the backend initialises, because the C++ side caps threads at logical cores / 2.
 * The pthread workers keep Node alive: `shutdownBackend()` removes the backend so the process can exit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Text of the load handler in tfjs 4.22's worker script that fetches the loader from a URL or a Blob. */
const WORKER_LOAD_SNIPPET =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

/** Writes the patched pthread worker script to a temp file and returns its path. */
function writeWorkerScript(): string {
  const workerModule = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
  const loaderPath = join(dirname(require.resolve(workerModule)), 'tfjs-backend-wasm-threaded-simd.js');
  const contents = (require(workerModule) as { wasmWorkerContents: string }).wasmWorkerContents;
  // Same escaping tfjs applies before making its Blob: newlines inside string literals must stay escaped.
  const escaped = contents.replace(/\n/g, '\\n');
  if (!escaped.includes(WORKER_LOAD_SNIPPET)) {
    throw new Error(`${workerModule}: load handler not found (tfjs-backend-wasm version differs from 4.22?)`);
  }
  const patched = escaped.replace(WORKER_LOAD_SNIPPET, `importScripts(${JSON.stringify(loaderPath)});`);
  const path = join(mkdtempSync(join(os.tmpdir(), 'stereodepth-wasm-')), 'tfjs-backend-wasm-threaded-simd.worker.js');
  writeFileSync(path, patched);
  return path;
}

/**
 * Initialises the wasm backend with the threaded-SIMD build and `threads` threads; returns the count the backend
 * reports. Must be called before the wasm backend is first initialised.
 */
export async function setWasmBackendThreaded(threads: number): Promise<number> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
  const workerPath = writeWorkerScript();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const originalCreateObjectURL = URL.createObjectURL.bind(URL);
  const originalCpus = os.cpus;
  URL.createObjectURL = (obj: Blob): string =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerPath : originalCreateObjectURL(obj);
  os.cpus = () => {
    const cpus = originalCpus();
    return [...cpus, ...cpus];
  };
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed with the threaded-SIMD build');
  } finally {
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
  }
  return wasm.getThreadsCount();
}
