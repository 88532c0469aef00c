import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { benchForward, formatForwardBench } from '../../src/export/bench_forward.js';
import { createDepthNet, createModel } from '../../src/models/registry.js';

/** The forward section of `bench` (structure only: no timing is asserted, the machine may be loaded). */
describe('bench --forward', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  it('one row per net with its cost at the size, the first net as the speed-up reference, leak-free', () => {
    const nets = [
      createDepthNet({ encoder: { name: 'mobilenet_v3', variant: 'small', widthMultiplier: 0.5 }, decoder: { name: 'nnconv5' } }, 'small_a'),
      createModel('mai2021', { internalSize: [64, 64] }),
    ];
    const before = tf.memory().numTensors;
    const rows = benchForward(nets, { height: 96, width: 128 }, { warmup: 1, runs: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.cost.model)).toEqual(['small_a', 'mai2021']);
    expect(rows[0]!.speedupVsFirst).toBe(1);
    expect(rows[1]!.cost.internalSize).toEqual({ height: 64, width: 64 });
    expect(rows[1]!.cost.size).toEqual({ height: 96, width: 128 });
    for (const r of rows) expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
    const text = formatForwardBench(rows, 'wasm', 2);
    expect(text).toMatch(/mai2021 +96x128 +64x64/);
    nets.forEach((n) => n.dispose());
  }, 120_000);
});
