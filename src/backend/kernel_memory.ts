/**
 * Float32 tensor memory of the wasm and cpu backends behind one interface, for kernels written once as JS loops and
 * registered on both (batch norm, reflection padding).
 */
import * as tf from '@tensorflow/tfjs-core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBackend = any;

export type JsKernelBackend = 'wasm' | 'cpu';

export interface KernelMemory {
  /** A float32 view of the tensor's data (wasm: valid until the next allocation). */
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates a float32 output of `shape` and lets `fill` write it. */
  output(shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo;
}

function wasmMemory(backend: AnyBackend): KernelMemory {
  return {
    read: (t) => backend.typedArrayFromHeap(t) as Float32Array,
    output: (shape, fill) => {
      const out = backend.makeOutput(shape, 'float32') as tf.TensorInfo;
      fill(backend.typedArrayFromHeap(out) as Float32Array);
      return out;
    },
  };
}

function cpuMemory(backend: AnyBackend): KernelMemory {
  return {
    read: (t) => backend.data.get(t.dataId).values as Float32Array,
    output: (shape, fill) => {
      const values = new Float32Array(tf.util.sizeFromShape(shape));
      fill(values);
      return backend.makeTensorInfo(shape, 'float32', values) as tf.TensorInfo;
    },
  };
}

/** The memory interface of a tfjs backend object of the named kind. */
export function kernelMemory(kind: JsKernelBackend, backend: unknown): KernelMemory {
  return kind === 'wasm' ? wasmMemory(backend) : cpuMemory(backend);
}

/** Registers `kernelFunc(memory, args)` under `kernelName` for the backend (idempotent). */
export function registerJsKernel(
  kernelName: string,
  kind: JsKernelBackend,
  kernelFunc: (mem: KernelMemory, args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[],
): void {
  if (tf.getKernel(kernelName, kind)) return;
  tf.registerKernel({
    kernelName,
    backendName: kind,
    kernelFunc: ({ inputs, backend, attrs }) => kernelFunc(kernelMemory(kind, backend), { inputs, attrs: attrs ?? {} }),
  });
}
