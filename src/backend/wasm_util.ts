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
/** A bit view for moving data: 4-byte dtypes (float32, int32) as Int32Array, bool as bytes. */
export type HeapWords = Int32Array | Uint8Array;

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

/**
 * The tensor's heap memory as raw words, for kernels that only move data: one array type for float32 and int32 keeps
 * the copy loops monomorphic (V8 optimises element access per typed-array type; mixing three types made them ~4x slower).
 */
export function heapWords(backend: WasmBackend, t: Info): HeapWords {
  const view = heapOf(backend, t);
  return view instanceof Uint8Array ? view : new Int32Array(view.buffer, view.byteOffset, view.length);
}
