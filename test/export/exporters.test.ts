import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { createDepthNet, createModel } from '../../src/models/registry.js';
import type { DepthNet } from '../../src/models/types.js';
import { depthForward } from '../../src/export/depth_graph.js';
import { exportModels, modelDir, type ExportJob, type ExportRun } from '../../src/export/export_models.js';
import { loadTfjsGraphModel } from '../../src/export/tfjs_runtime.js';
import { openOnnxSession } from '../../src/export/onnx_runtime.js';
import { SHARD_BYTES } from '../../src/export/tfjs_graph_model.js';
import { maxAbsDiff, perturbBatchNorm } from '../helpers/export_fixtures.js';

/**
 * Round trips of a ResNet18 + monodepth2 depth net (BN statistics perturbed so folding matters) at a tiny size with the
 * resize in and out inside the model (80x96 io around a 64x64 net) and the metric-depth head: each exported file is
 * loaded by its standard runtime (tf.loadGraphModel on cpu and wasm; onnxruntime-node; onnxruntime-web's wasm) and
 * compared with the checkpoint's own prediction (depthForward: the same tfjs code predict uses).
 */
const convention = {
  convention: 'sigmoid' as const, trainedWith: 'stereo' as const, minDepth: 0.1, maxDepth: 100, scaleFactor: 5.4,
  inputHeight: 64, inputWidth: 64, rig: { baseline: 0.54, focalOverWidth: 0.58 },
};
const DEPTH_RANGE = (100 - 0.1) * 5.4;
const IO = { height: 80, width: 96 };

describe('depth-net exports through their standard runtimes', { timeout: 600_000 }, () => {
  let net: DepthNet;
  let dir: string;
  let run: ExportRun;
  let job: ExportJob;
  let image: Float32Array;
  let reference: Float32Array;
  let referenceDisparity: Float32Array;

  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
    net = createModel('monodepth2_resnet18');
    perturbBatchNorm(net);
    dir = mkdtempSync(join(tmpdir(), 'sd-export-'));
    const calibration = [1, 2, 3].map((s) => tf.randomUniform([1, IO.height, IO.width, 3], 0, 1, 'float32', s));
    job = {
      net, modelName: 'monodepth2_resnet18', outDir: dir, formats: ['tfjs', 'onnx'], quantize: ['float16', 'uint8', 'int8'], calibration,
      graph: { net: { height: 64, width: 64 }, io: IO, output: 'depth', convention },
    };
    run = await exportModels(job);
    tf.dispose(calibration);
    const x = tf.randomUniform([1, IO.height, IO.width, 3], 0, 1, 'float32', 9);
    image = x.dataSync() as Float32Array;
    const ref = depthForward(net, job.graph)(x);
    reference = Float32Array.from(ref.dataSync());
    const disp = depthForward(net, { ...job.graph, output: 'disparity' })(x);
    referenceDisparity = Float32Array.from(disp.dataSync());
    tf.dispose([x, ref, disp]);
  }, 900_000);
  afterAll(() => {
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes tfjs float32/float16/uint8 and onnx float32/int8, the head kept float', () => {
    expect(run.models.map((m) => `${m.format}:${m.precision}`)).toEqual(['tfjs:float32', 'tfjs:float16', 'tfjs:uint8', 'onnx:float32', 'onnx:int8']);
    expect(run.floatLayers).toEqual(['depth/dispconv_0']);
    const size = (f: string, p: 'float32' | 'float16' | 'uint8') => readdirSync(modelDir(dir, f, p)).reduce((a, n) => a + statSync(join(modelDir(dir, f, p), n)).size, 0);
    // ~2x and ~4x smaller weights; every shard at most 4 MB
    expect(size('tfjs', 'float16') / size('tfjs', 'float32')).toBeLessThan(0.52);
    expect(size('tfjs', 'uint8') / size('tfjs', 'float32')).toBeLessThan(0.27);
    for (const f of readdirSync(modelDir(dir, 'tfjs', 'float32')).filter((n) => n.endsWith('.bin'))) {
      expect(statSync(join(modelDir(dir, 'tfjs', 'float32'), f)).size).toBeLessThanOrEqual(SHARD_BYTES);
    }
    const json = JSON.parse(readFileSync(join(modelDir(dir, 'tfjs', 'uint8'), 'model.json'), 'utf8'));
    expect(json.format).toBe('graph-model');
    const head = json.weightsManifest[0].weights.find((w: { name: string }) => w.name.startsWith('depth/dispconv_0/folded_kernel'));
    expect(head.quantization).toBeUndefined();
    expect(json.weightsManifest[0].weights.find((w: { name: string }) => w.name.startsWith('encoder/conv1/folded_kernel')).quantization.dtype).toBe('uint8');
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`tf.loadGraphModel on ${backend} reproduces the depth within 1e-4 of the depth range, metadata included`, async () => {
      await initBackend(backend, backend === 'wasm' ? { threads: 1 } : {});
      const model = await loadTfjsGraphModel(modelDir(dir, 'tfjs', 'float32'));
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(image, [1, IO.height, IO.width, 3]);
      const y = model.execute(x) as tf.Tensor;
      expect(y.shape).toEqual([1, IO.height, IO.width, 1]);
      expect(maxAbsDiff(y.dataSync(), reference) / DEPTH_RANGE).toBeLessThan(1e-4);
      tf.dispose([x, y]);
      expect(tf.memory().numTensors).toBe(before);
      const meta = (model.metadata as { stereodepth: { convention: { scaleFactor: number; rig: unknown }; ioSize: unknown } }).stereodepth;
      expect(meta.convention.scaleFactor).toBe(5.4);
      expect(meta.ioSize).toEqual(IO);
      expect(meta.convention.rig).toEqual({ baseline: 0.54, focalOverWidth: 0.58 });
      model.dispose();
    });
  }

  it('tfjs float16 and uint8 weights stay within their stated bounds (disparity output)', async () => {
    await initBackend('wasm', { threads: 1 });
    const disp = await exportModels({ ...job, formats: ['tfjs'], quantize: ['float16', 'uint8'], outDir: join(dir, 'disp'), graph: { ...job.graph, output: 'disparity' } });
    expect(disp.models).toHaveLength(3);
    const bounds = { float16: 1e-3, uint8: 2e-2 } as const;
    for (const p of ['float16', 'uint8'] as const) {
      const model = await loadTfjsGraphModel(modelDir(join(dir, 'disp'), 'tfjs', p));
      const y = tf.tidy(() => model.execute(tf.tensor4d(image, [1, IO.height, IO.width, 3])) as tf.Tensor);
      expect(maxAbsDiff(y.dataSync(), referenceDisparity), p).toBeLessThan(bounds[p]);
      y.dispose();
      model.dispose();
    }
  });

  it('onnxruntime-node and onnxruntime-web (wasm) reproduce the depth within 1e-4 of the depth range', async () => {
    const path = join(modelDir(dir, 'onnx', 'float32'), 'model.onnx');
    for (const runtime of ['onnxruntime-node', 'onnxruntime-web'] as const) {
      const session = await openOnnxSession(path, runtime);
      const out = await session.run(image, [1, IO.height, IO.width, 3]);
      expect(out.dims).toEqual([1, IO.height, IO.width, 1]);
      expect(maxAbsDiff(out.data, reference) / DEPTH_RANGE, runtime).toBeLessThan(1e-4);
      await session.release();
    }
    // metadata_props carry the convention (the key and its JSON value are in the protobuf as plain strings)
    const bytes = readFileSync(path).toString('latin1');
    expect(bytes).toContain('"scaleFactor":5.4');
    expect(bytes).toContain('stereodepth-export/1');
  });

  it('onnx int8 (QDQ, head float) runs in onnxruntime-node and stays close in disparity', async () => {
    const out = await (async () => {
      const s = await openOnnxSession(join(modelDir(dir, 'onnx', 'int8'), 'model.onnx'), 'onnxruntime-node');
      try { return await s.run(image, [1, IO.height, IO.width, 3]); } finally { await s.release(); }
    })();
    // compare as disparity (depth = 1 / scaled disparity amplifies errors near the camera)
    const toDisp = (d: ArrayLike<number>) => Float32Array.from(d, (v) => (5.4 / v - 1 / 100) / (1 / 0.1 - 1 / 100));
    const diff = maxAbsDiff(toDisp(out.data), toDisp(reference));
    expect(diff).toBeGreaterThan(0); // it is really quantized
    expect(diff).toBeLessThan(2e-2);
  });

  it('a width-fraction (monodepth v1, 2-channel) net exports its metric head: slice, rig, where(disp > 0)', async () => {
    await initBackend('wasm', { threads: 1 });
    const v1 = createDepthNet({ decoder: { numOutputChannels: 2, outputScale: 0.3 } }, 'monodepth_v1_resnet18');
    try {
      const conv = { convention: 'widthFraction' as const, trainedWith: 'stereo' as const, inputHeight: 64, inputWidth: 64, rig: { baseline: 0.54, focalOverWidth: 0.58 } };
      const graph = { net: { height: 64, width: 64 }, output: 'depth' as const, convention: conv };
      const out = join(dir, 'v1');
      await exportModels({ net: v1, modelName: 'v1', outDir: out, formats: ['tfjs', 'onnx'], graph });
      const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 12);
      const ref = depthForward(v1, graph)(x);
      const refValues = Float32Array.from(ref.dataSync());
      const input = Float32Array.from(x.dataSync());
      tf.dispose([x, ref]);
      const range = Math.max(...refValues) - Math.min(...refValues);
      const model = await loadTfjsGraphModel(modelDir(out, 'tfjs', 'float32'));
      const y = tf.tidy(() => model.execute(tf.tensor4d(input, [1, 64, 64, 3])) as tf.Tensor);
      expect(maxAbsDiff(y.dataSync(), refValues) / range).toBeLessThan(1e-4);
      y.dispose();
      model.dispose();
      const session = await openOnnxSession(join(modelDir(out, 'onnx', 'float32'), 'model.onnx'));
      const o = await session.run(input, [1, 64, 64, 3]);
      await session.release();
      expect(maxAbsDiff(o.data, refValues) / range).toBeLessThan(1e-4);
    } finally {
      v1.dispose();
    }
  });
});
