/**
 * Static int8 quantization maths for the ONNX QDQ form (QuantizeLinear / DequantizeLinear pairs that onnxruntime fuses
 * into QLinearConv): uint8 asymmetric activations from calibrated ranges, int8 symmetric per-output-channel weights,
 * int32 biases at scale x_scale * w_scale[c] (what the runtime's integer conv expects).
 */

export interface ActivationQuant { scale: number; zeroPoint: number }

/** uint8 affine parameters for values in [lo, hi] (widened to include 0 so zero padding is exact). */
export function activationQuant(range: readonly [number, number]): ActivationQuant {
  const lo = Math.min(range[0], 0);
  const hi = Math.max(range[1], 0);
  const scale = hi > lo ? (hi - lo) / 255 : 1e-8;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/** int8 symmetric per-channel weights: `values` laid out with the output channel first ([out, ...]). */
export function quantizeWeightsPerChannel(values: Float32Array, outChannels: number): { q: Int8Array; scales: Float32Array } {
  const per = values.length / outChannels;
  const q = new Int8Array(values.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(values[i]!));
    const s = m > 0 ? m / 127 : 1;
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / s)));
  }
  return { q, scales };
}

/** int32 bias at scale inputScale * weightScale[c]. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = weightScales.map((w) => w * inputScale);
  const q = Int32Array.from(bias, (b, c) => Math.round(b / scales[c]!));
  return { q, scales };
}

/** The pre-activation range of a conv whose activation output was observed in `post` (inverse of the activation). */
export function preActivationRange(activation: string, post: readonly [number, number]): [number, number] {
  const floor = 1e-4;
  switch (activation) {
    case 'elu': {
      const inv = (y: number) => (y >= 0 ? y : Math.log(Math.max(y + 1, floor)));
      return [inv(post[0]), inv(post[1])];
    }
    case 'sigmoid': {
      const logit = (y: number) => { const p = Math.min(Math.max(y, floor), 1 - floor); return Math.log(p / (1 - p)); };
      return [logit(post[0]), logit(post[1])];
    }
    default:
      return [post[0], post[1]];
  }
}
