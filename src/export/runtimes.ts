/**
 * The runtimes an exported model runs in, behind one interface: tfjs graph models through tf.loadGraphModel on the
 * wasm / tensorflow (tfjs-node, when installed) / cpu backends, ONNX models through onnxruntime-node or
 * onnxruntime-web (wasm). `predict` is what a user's code does: a Float32Array in, the model's output values out.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { initBackend, type BackendName } from '../backend/index.js';
import { loadTfjsGraphModel } from './tfjs_runtime.js';
import { openOnnxSession } from './onnx_runtime.js';

export const RUNTIMES = ['tfjs-wasm', 'tfjs-tensorflow', 'tfjs-cpu', 'ort-node', 'ort-web'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

export interface LoadedModel {
  runtime: RuntimeName;
  predict(image: Float32Array, shape: number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export function runtimeFormat(runtime: RuntimeName): 'tfjs' | 'onnx' {
  return runtime.startsWith('tfjs') ? 'tfjs' : 'onnx';
}

/** Loads the model folder (tfjs: model.json + shards; onnx: model.onnx) in `runtime`; throws with a reason if absent. */
export async function loadInRuntime(dir: string, runtime: RuntimeName, opts: { threads?: number } = {}): Promise<LoadedModel> {
  if (runtimeFormat(runtime) === 'tfjs') {
    const backend = runtime.slice('tfjs-'.length) as BackendName;
    await initBackend(backend, opts.threads ? { threads: opts.threads } : {});
    const model = await loadTfjsGraphModel(dir);
    return {
      runtime,
      async predict(image, shape) {
        const y = tf.tidy(() => model.execute(tf.tensor(image, shape)) as tf.Tensor);
        try { return (await y.data()) as Float32Array; } finally { y.dispose(); }
      },
      dispose: async () => model.dispose(),
    };
  }
  const session = await openOnnxSession(join(dir, 'model.onnx'), runtime === 'ort-node' ? 'onnxruntime-node' : 'onnxruntime-web', opts);
  return {
    runtime,
    predict: async (image, shape) => (await session.run(image, shape)).data,
    dispose: () => session.release(),
  };
}
