/**
 * What the tensorflow-backend kernels (native_kernels.ts, native_bilinear.ts) use of tfjs-node: its backend object, the op
 * attributes it takes, and backend data kept across kernel calls. Types and one cache only: tfjs-node is an optional
 * dependency, so nothing here imports it.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface OpAttr { name: string; type: number; value: unknown }

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use. */
export interface NativeBackend {
  binding: {
    TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_ATTR_SHAPE: number; TF_ATTR_INT: number;
    TF_FLOAT: number; TF_INT32: number; TF_BOOL: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  write(values: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32'): object;
  disposeData(dataId: object): void;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
}

export interface KernelArgs { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }

/** One cache of keptPerKey: per backend object, the key the data was written for and the data. */
export type KeyedData = WeakMap<object, { key: string; infos: tf.TensorInfo[] }>;

/**
 * Backend data written by `write` once per key and reused while the key stays the same (e.g. once per training step, or
 * once per batch shape), outside the engine's tensor count; the previous key's data is freed when the key changes.
 */
export function keptPerKey(cache: KeyedData, b: NativeBackend, key: string, write: () => tf.TensorInfo[]): tf.TensorInfo[] {
  const cached = cache.get(b);
  if (cached?.key === key) return cached.infos;
  if (cached) for (const info of cached.infos) b.disposeData(info.dataId);
  const infos = write();
  cache.set(b, { key, infos });
  return infos;
}
