import { describe, it, expect } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { profileTrainStep } from '../../src/train/bench.js';

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
