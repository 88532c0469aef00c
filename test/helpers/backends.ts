/**
 * Backends a suite can parametrise over: cpu and wasm always, tensorflow only when @tensorflow/tfjs-node loads
 * (a message says why it is skipped otherwise).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

import { initBackend } from '../../src/backend/index.js';

export type TestBackend = 'cpu' | 'wasm' | 'tensorflow';

let cached: TestBackend[] | undefined;

export function testBackends(): TestBackend[] {
  if (cached) return cached;
  cached = ['cpu', 'wasm'];
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    cached.push('tensorflow');
  } catch {
    console.warn('testBackends: @tensorflow/tfjs-node is not installed; tests on the tensorflow backend are skipped');
  }
  return cached;
}

/** Runs `f` on tensorflow, then on cpu, and returns both results copied out: [tensorflow, cpu]. */
export async function onTensorflowAndCpu(f: () => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const results: Float32Array[][] = [];
  for (const backend of ['tensorflow', 'cpu'] as const) {
    await initBackend(backend);
    results.push(tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync() as Float32Array))));
  }
  return [results[0]!, results[1]!];
}
