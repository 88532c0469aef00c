/**
 * Weight encodings of the tfjs weights manifest (tfjs-converter conventions, decoded by tf.io.decodeWeights):
 * - float16: IEEE half precision, round to nearest even; manifest `quantization: {dtype: 'float16'}`.
 * - uint8: affine, value = q * scale + min, with the range widened to include 0 and min nudged onto the grid so 0 is
 *   exact (zero padding and ReLU zeros stay zero); manifest `quantization: {dtype: 'uint8', scale, min}`.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** float32 -> IEEE 754 binary16 bits (round to nearest even; overflow to infinity; subnormals kept). */
export function toFloat16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let bits = sign | (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1))) bits++; // may carry into the exponent: still correct
  return bits;
}

export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}

export interface AffineUint8 { q: Uint8Array; scale: number; min: number }

/** Affine uint8 with 0 exactly representable. */
export function encodeUint8(values: Float32Array): AffineUint8 {
  let lo = 0;
  let hi = 0;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.round(-lo / scale);
  const min = -zeroPoint * scale;
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.min(255, Math.max(0, Math.round((values[i]! - min) / scale)));
  return { q, scale, min };
}

/** Largest |decoded - value| of the uint8 encoding (half a step inside the range). */
export function uint8Step(values: Float32Array): number {
  return encodeUint8(values).scale / 2;
}
