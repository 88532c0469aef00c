/**
 * Helpers shared by the project's wasm kernels: calling another registered wasm kernel, heap views of a tensor, and
 * the kernel argument types. Heap views must be taken after every allocation (`makeOutput` may grow the heap, which
 * detaches older views).
 */
import * as tf from '@tensorflow/tfjs-core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WasmBackend = any;
export type Info = tf.TensorInfo;
export type HeapArray = Float32Array | Int32Array | Uint8Array;

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs: tf.NamedAttrMap;
}

/** Runs the wasm kernel currently registered under `name` (stock or the project's). */
export function runWasm(name: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel '${name}' is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Float32 view of a tensor's heap memory. */
export function heap(backend: WasmBackend, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** View of a tensor's heap memory in its own dtype (float32, int32 or bool as bytes). */
export function heapOf(backend: WasmBackend, t: Info): HeapArray {
  return backend.typedArrayFromHeap(t) as HeapArray;
}
