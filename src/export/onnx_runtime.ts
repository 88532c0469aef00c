/**
 * Runs an exported model.onnx the way a user does: onnxruntime-node (CPU execution provider) or onnxruntime-web's
 * wasm backend, on an NHWC float32 image batch. Both packages are loaded on first use.
 */
import { readFile } from 'node:fs/promises';

export type OnnxRuntimeName = 'onnxruntime-node' | 'onnxruntime-web';

export interface OnnxSession {
  run(image: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: number[] }>;
  release(): Promise<void>;
}

export async function openOnnxSession(path: string, runtime: OnnxRuntimeName = 'onnxruntime-node', opts: { threads?: number } = {}): Promise<OnnxSession> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ort: any = runtime === 'onnxruntime-node' ? await import('onnxruntime-node') : await import('onnxruntime-web');
  const model = await readFile(path);
  const options: Record<string, unknown> = { graphOptimizationLevel: 'all' };
  if (runtime === 'onnxruntime-node') {
    options.executionProviders = ['cpu'];
    if (opts.threads) options.intraOpNumThreads = opts.threads;
  } else {
    options.executionProviders = ['wasm'];
    ort.env.wasm.numThreads = opts.threads ?? 1;
  }
  const session = await ort.InferenceSession.create(new Uint8Array(model.buffer, model.byteOffset, model.byteLength), options);
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  return {
    async run(image, shape) {
      const out = await session.run({ [inputName]: new ort.Tensor('float32', image, shape) });
      const t = out[outputName];
      return { data: t.data as Float32Array, dims: [...t.dims] as number[] };
    },
    release: () => session.release(),
  };
}
