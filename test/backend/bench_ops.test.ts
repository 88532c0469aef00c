import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { benchConvLayer, benchMatMul } from '../../src/backend/bench_ops.js';

// Only shapes and bookkeeping are checked (no timing thresholds: the machine is shared).
describe('bench-ops', () => {
  it('reports FLOPs and positive timings without leaking tensors', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const conv = benchConvLayer({ inputShape: [1, 8, 8, 4], filterShape: [3, 3, 4, 8], stride: 2, pad: 'same' }, 1);
    expect(conv.flops).toBe(2 * (4 * 4 * 8) * 3 * 3 * 4);
    for (const t of [conv.forward, conv.inputGrad, conv.filterGrad]) {
      expect(t.medianMs).toBeGreaterThan(0);
      expect(t.gflops).toBeCloseTo(conv.flops / (t.medianMs * 1e6), 9);
    }
    const mm = benchMatMul(32, 1);
    expect(mm.gflops).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => benchConvLayer({ inputShape: [1, 4, 4, 2], filterShape: [3, 3, 3, 1], stride: 1, pad: 'same' })).toThrow(/input channels 2/);
  });
});
