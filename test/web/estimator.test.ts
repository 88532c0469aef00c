import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { lossSchema, modelSchema } from '../../src/config/schema.js';
import { exportDepthNet } from '../../src/infer/export.js';
import { predictImageFiles } from '../../src/infer/images.js';
import { writeRgb } from '../../src/io/image.js';
import { readNpy } from '../../src/io/npy.js';
import { depthScaleFactor, outputConventionOf } from '../../src/models/output_convention.js';
import { modelFromConfig } from '../../src/run/build.js';
import { createEstimator } from '../../src/web/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A tfjs IOHandler that reads an exported folder from disk (what a device app or a test would write). */
function folderHandler(dir: string, strip?: (json: Record<string, unknown>) => void): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown> & { weightsManifest: tf.io.WeightsManifestConfig };
      strip?.(json);
      const bin = readFileSync(join(dir, 'weights.bin'));
      return { ...json, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) } as tf.io.ModelArtifacts;
    },
  };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6));
  return worst;
}

describe('stereodepth/web estimator (Node, through a custom IOHandler)', () => {
  it('loads an exported model and matches `predict` in metres and in disparity, at the image size', async () => {
    const model = modelSchema.parse({ num_ch_dec: [8, 16, 32, 64, 128], seed: 5, disp_bias_init: -3 });
    const net = modelFromConfig(model, lossSchema.parse({}), 0);
    const output = outputConventionOf({ lossKind: 'monodepth2', mode: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: 0.1, inputHeight: 64, inputWidth: 96, rig: { baseline: 0.54, focalOverWidth: 0.58 } });
    const dir = mkdtempSync(join(tmpdir(), 'sd-web-'));
    await exportDepthNet(net, dir, { model, lossKind: 'monodepth2', output });
    // a 50x70 image (not the net's size: resized in and back out)
    const [h, w] = [50, 70];
    const rgb = Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 37 + (i % 7) * 11) % 256);
    const png = join(dir, 'img.png');
    await writeRgb(png, { data: rgb, width: w, height: h, channels: 3 });
    const out = join(dir, 'pred');
    await predictImageFiles(net, [png], { height: 64, width: 96, outDir: out, convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, scaleFactor: depthScaleFactor(output), camera: null, postProcess: false });
    net.dispose();
    const expected = (await readNpy(join(out, 'img.npy'))).data as Float32Array;

    const estimator = await createEstimator(folderHandler(dir));
    expect(estimator.convention).toEqual(output);
    const rgba = new Uint8ClampedArray(h * w * 4);
    for (let i = 0; i < h * w; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i);
    const before = tf.memory().numTensors;
    const depth = await estimator.estimateDepth({ data: rgba, width: w, height: h });
    expect(depth.shape).toEqual([h, w]);
    expect(maxRelDiff(depth.dataSync(), expected)).toBeLessThan(1e-4);
    const bytes = tf.tensor3d(Int32Array.from(rgb), [h, w, 3], 'int32');
    const disparity = await estimator.estimateDepth(bytes, { output: 'disparity' });
    const fromDisparity = Array.from(disparity.dataSync(), (d) => 5.4 / (0.01 + (10 - 0.01) * d));
    expect(maxRelDiff(fromDisparity, expected)).toBeLessThan(1e-4);
    tf.dispose([depth, disparity, bytes]);
    expect(tf.memory().numTensors).toBe(before);
    estimator.dispose();
  }, 120_000);

  it('reads the exports written before the metadata block, through a URL fetch as well', async () => {
    const model = modelSchema.parse({ num_ch_dec: [8, 16, 32, 64, 128], seed: 6 });
    const net = modelFromConfig(model, lossSchema.parse({ kind: 'monodepth' }), 0);
    const output = outputConventionOf({ lossKind: 'monodepth', mode: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: 0.1, inputHeight: 64, inputWidth: 64, rig: { baseline: 0.5, focalOverWidth: 0.6 } });
    const dir = mkdtempSync(join(tmpdir(), 'sd-web-old-'));
    await exportDepthNet(net, dir, { model, lossKind: 'monodepth', output });
    net.dispose();
    // the earlier layout: no userDefinedMetadata, size and rig at the top level only
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    delete json.userDefinedMetadata;
    json.output = { convention: 'widthFraction', trainedWith: 'stereo', scaleFactor: 1 };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const fetchFile = (async (url: string) => new Response(readFileSync(url.replace('file://', '')))) as unknown as typeof fetch;
    const estimator = await createEstimator(`file://${join(dir, 'model.json')}`, { fetchFunc: fetchFile });
    expect([estimator.convention.inputWidth, estimator.convention.rig?.focalOverWidth]).toEqual([64, 0.6]);
    const image = tf.fill([64, 64, 3], 0.5) as tf.Tensor3D;
    const disparity = await estimator.estimateDepth(image, { output: 'disparity' });
    const depth = await estimator.estimateDepth(image);
    // width-fraction disparity d -> metres = focal/width x baseline / d
    const d = disparity.dataSync();
    const m = depth.dataSync();
    for (const i of [0, 100, 4095]) expect(m[i]).toBeCloseTo((0.6 * 0.5) / d[i]!, 3);
    tf.dispose([image, disparity, depth]);
    estimator.dispose();
    await expect(createEstimator(folderHandler(dir, (j) => { delete j.model; }))).rejects.toThrow(/IOHandler: not a stereodepth-depthnet\/1 model/);
  }, 120_000);
});
