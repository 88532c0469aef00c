/**
 * One Adam update of a variable as a single pass (wasm, cpu): reads param, m, v and the gradient once and writes the
 * new param, m and v. The tf-op composition it replaces (optimizer.ts) runs 11 element-wise kernels per variable,
 * each a full pass over 14 M values for the ResNet18 depth net.
 *
 * Every operation is rounded to float32 in the composition's order (Math.fround after each +, *, /, sqrt: for these,
 * computing in float64 and rounding once is exactly IEEE float32 arithmetic), so the result is bit-identical to the
 * composition and switching to the fused kernel changes no training curve (test/backend/adam-kernel.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, type JsKernelBackend, type KernelMemory } from './kernel-memory.js';

export const ADAM_UPDATE = 'StereodepthAdamUpdate';

/** Per-step constants: the composition multiplies/divides by these as float32 scalars. */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  sqrtBiasCorrection2: number;
}

/** new m = m b1 + g (1 - b1); new v = v b2 + g² (1 - b2); param -= stepSize · m / (sqrt(v) / sqrtBc2 + eps). */
export function adamUpdateArrays(
  param: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, c: AdamCoefficients,
  paramOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const f = Math.fround;
  const b1 = f(c.beta1);
  const oneMinusB1 = f(1 - c.beta1);
  const b2 = f(c.beta2);
  const oneMinusB2 = f(1 - c.beta2);
  const sqrtBc2 = f(c.sqrtBiasCorrection2);
  const eps = f(c.epsilon);
  const stepSize = f(c.stepSize);
  for (let i = 0; i < param.length; i++) {
    const gi = g[i]!;
    const newM = f(f(m[i]! * b1) + f(gi * oneMinusB1));
    const newV = f(f(v[i]! * b2) + f(f(gi * gi) * oneMinusB2));
    const denom = f(f(f(Math.sqrt(newV)) / sqrtBc2) + eps);
    mOut[i] = newM;
    vOut[i] = newV;
    paramOut[i] = f(param[i]! - f(f(newM / denom) * stepSize));
  }
}

function adamKernel(mem: KernelMemory, { inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { param, m, v, grad } = inputs as Record<'param' | 'm' | 'v' | 'grad', tf.TensorInfo>;
  for (const t of [m, v, grad]) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape)) {
      throw new Error(`${ADAM_UPDATE}: param, m, v and grad must be float32 of one shape, got [${param.shape}] and [${t.shape}] ${t.dtype}`);
    }
  }
  // Allocate every output before taking any heap view: on wasm an allocation can move the heap.
  const outputs = [0, 1, 2].map(() => mem.output([...param.shape], () => undefined));
  const [paramOut, mOut, vOut] = outputs.map((o) => mem.read(o)) as [Float32Array, Float32Array, Float32Array];
  adamUpdateArrays(mem.read(param), mem.read(m), mem.read(v), mem.read(grad), attrs as unknown as AdamCoefficients, paramOut, mOut, vOut);
  return outputs;
}

/** Registers the fused update for 'wasm' or 'cpu' (idempotent). */
export function registerAdamKernel(backendName: JsKernelBackend): void {
  registerJsKernel(ADAM_UPDATE, backendName, adamKernel);
}

/** The fused update on the active backend, or null where it is not registered (e.g. tensorflow). */
export function fusedAdamUpdate(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!tf.getKernel(ADAM_UPDATE, tf.getBackend()) || grad.dtype !== 'float32') return null;
  return tf.engine().runKernel(ADAM_UPDATE, { param, m, v, grad }, c as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** The same update as tf ops (any backend). */
export function adamUpdateOps(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const newM = tf.add(tf.mul(m, c.beta1), tf.mul(grad, 1 - c.beta1));
    const newV = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(grad), 1 - c.beta2));
    const denom = tf.add(tf.div(tf.sqrt(newV), c.sqrtBiasCorrection2), c.epsilon);
    return [tf.sub(param, tf.mul(tf.div(newM, denom), c.stepSize)), newM, newV] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}

/** New [param, m, v] after one Adam update: the fused kernel where registered, else the ops. Caller disposes. */
export function adamUpdate(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return fusedAdamUpdate(param, m, v, grad, c) ?? adamUpdateOps(param, m, v, grad, c);
}
