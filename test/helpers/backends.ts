/**
 * Backends a suite can parametrise over: cpu and wasm always, tensorflow only when @tensorflow/tfjs-node loads
 * (a message says why it is skipped otherwise).
 */
import { createRequire } from 'node:module';

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
