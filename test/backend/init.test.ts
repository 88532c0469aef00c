import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, defaultWasmThreads } from '../../src/backend/index.js';
import { formatBackendInfo } from '../../src/cli/info.js';
import { testBackends } from '../helpers/backends.js';

function nativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('initBackend', () => {
  it('wasm reports the real thread count and build (threaded when more than one core)', async () => {
    const info = await initBackend('wasm');
    expect(info.active).toBe('wasm');
    expect(info.threads).toBe(defaultWasmThreads());
    expect(info.versions['wasm-build']).toMatch(info.threads > 1 ? /^threaded-simd/ : /simd|plain/);
    // Idempotent: a second call keeps the instantiated module and its threads.
    expect((await initBackend('wasm')).threads).toBe(info.threads);
    expect(formatBackendInfo(info)).toContain(`threads:   ${info.threads}`);
  });

  it('registers gradients and the training kernels (conv filter gradient runs on wasm)', async () => {
    await initBackend('wasm');
    const g = tf.tidy(() => {
      const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')));
      return Array.from(grad(tf.ones([2, 2, 1, 1])).dataSync());
    });
    expect(g).toEqual([4, 4, 4, 4]);
  });

  it('auto skips absent native backends with a reason', async () => {
    const info = await initBackend('auto');
    if (nativeInstalled()) {
      expect(info.chosen).toBe('tensorflow');
    } else {
      expect(info.chosen).toBe('wasm');
      expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
      for (const s of info.skipped) expect(s.reason).toMatch(/tfjs-node/);
    }
  });

  it('explicit unknown or failing backends throw naming the backend', async () => {
    await expect(initBackend('nope' as never)).rejects.toThrow(/unknown backend 'nope'/);
    if (!nativeInstalled()) await expect(initBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow'/);
  });

  it('testBackends lists cpu and wasm, tensorflow only when installed', () => {
    expect(testBackends()).toEqual(nativeInstalled() ? ['cpu', 'wasm', 'tensorflow'] : ['cpu', 'wasm']);
  });
});
