import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { modelSchema, lossSchema } from '../../src/config/schema.js';
import { exportDepthNet, loadExportedModel } from '../../src/infer/export.js';
import { depthScaleFactor } from '../../src/models/output_convention.js';
import { modelFromConfig } from '../../src/run/build.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('export', () => {
  it('model.json + weights.bin rebuild the same network (same outputs), with no non-depth weights', async () => {
    const model = modelSchema.parse({ num_ch_dec: [8, 16, 32, 64, 128], seed: 11 });
    const loss = lossSchema.parse({});
    const net = modelFromConfig(model, loss, 0);
    const dir = mkdtempSync(join(tmpdir(), 'sd-export-'));
    await exportDepthNet(net, dir, { model, lossKind: 'monodepth2', output: { convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: 0.1, inputHeight: 64, inputWidth: 96, rig: { baseline: 0.54, focalOverWidth: 0.58 } } });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const names: string[] = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names.length).toBe(Object.keys(net.allVariables()).length);
    expect(names.every((n) => n.startsWith('encoder/') || n.startsWith('depth/'))).toBe(true);
    expect([json.inputHeight, json.inputWidth, json.rig.baseline]).toEqual([64, 96, 0.54]);
    const { net: loaded, output } = await loadExportedModel(dir);
    expect(depthScaleFactor(output)).toBeCloseTo(5.4, 12);
    const x = tf.randomUniform([1, 64, 96, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = net.apply(x, { training: false });
    const b = loaded.apply(x, { training: false });
    expect(Array.from(b.disparities[0]!.dataSync())).toEqual(Array.from(a.disparities[0]!.dataSync()));
    tf.dispose([x, ...a.disparities, ...a.features, ...b.disparities, ...b.features]);
    net.dispose();
    loaded.dispose();
  });

  it('a missing or foreign model.json is an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-export-'));
    await expect(loadExportedModel(dir)).rejects.toThrow(/model\.json/);
  });
});
