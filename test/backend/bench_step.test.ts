import { describe, it, expect } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { benchTrainStep, profileTrainStep } from '../../src/train/bench.js';

/** The train-step profile of `stereodepth bench --profile` at the smallest size the net takes, on wasm. */
describe('train-step kernel profile on wasm (64x64, batch 1)', () => {
  it('lists the step kernels by time, led by the convolutions and their gradients', { timeout: 120_000 }, async () => {
    await initBackend('wasm');
    const p = await profileTrainStep({ height: 64, width: 64, batchSize: 1, microBatches: 1 });
    const names = p.kernels.map((k) => k.kernel);
    for (const k of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']) expect(names).toContain(k);
    for (let i = 1; i < p.kernels.length; i++) expect(p.kernels[i]!.ms).toBeLessThanOrEqual(p.kernels[i - 1]!.ms);
    expect(p.kernels.find((k) => k.kernel === 'Conv2D')!.calls).toBeGreaterThan(20);
    expect(p.stepMs).toBeGreaterThan(0);
  });
});

/** `stereodepth bench`'s step measurement: flat memory between the first and the last step, the wasm heap reported. */
describe('train-step bench on wasm (64x64, batch 2, 2 micro-batches)', () => {
  it('keeps tf.memory() equal from the first to the last step and reports the wasm heap', { timeout: 180_000 }, async () => {
    await initBackend('wasm');
    const r = await benchTrainStep({ height: 64, width: 64, batchSize: 2, steps: 4, microBatches: 2, forwardRuns: 1 });
    expect(r.memoryLastStep).toEqual(r.memoryFirstStep);
    expect(r.losses).toHaveLength(4);
    for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
    expect(r.wasmHeapBytes).toBeGreaterThan(16 * 2 ** 20);
    expect(r.wasmHeapBytes).toBeLessThanOrEqual(4 * 2 ** 30);
    expect(r.forwardConvGflop).toBeGreaterThan(0);
  });
});
