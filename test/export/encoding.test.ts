import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';

import { encodeFloat16, encodeUint8, toFloat16Bits } from '../../src/export/weight_quantization.js';
import { activationQuant, quantizeBias, quantizeWeightsPerChannel } from '../../src/export/onnx_qdq.js';
import { encodeOnnxModel, ProtoWriter } from '../../src/export/onnx_proto.js';
import { toOihw } from '../../src/export/onnx_graph.js';
import { percentile } from '../../src/export/bench_infer.js';

describe('weight encodings', () => {
  beforeAll(async () => { await initBackend('cpu'); });

  it('float16 bits: exact values, round to nearest even, subnormals, overflow', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(1);
    expect(toFloat16Bits(1e-9)).toBe(0);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
  });

  it('float16 and uint8 decode through tfjs-core (tf.io.decodeWeights) within their step', () => {
    const values = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3 - 0.5);
    const half = encodeFloat16(values);
    const u8 = encodeUint8(values);
    const data = new Uint8Array(half.byteLength + u8.q.byteLength);
    data.set(new Uint8Array(half.buffer), 0);
    data.set(u8.q, half.byteLength);
    const decoded = tf.io.decodeWeights(data.buffer, [
      { name: 'h', shape: [50], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'u', shape: [50], dtype: 'float32', quantization: { dtype: 'uint8', scale: u8.scale, min: u8.min } },
    ]);
    const h = decoded.h!.dataSync();
    const u = decoded.u!.dataSync();
    for (let i = 0; i < 50; i++) {
      expect(Math.abs(h[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 1e-7);
      expect(Math.abs(u[i]! - values[i]!)).toBeLessThanOrEqual(u8.scale / 2 + 1e-6);
    }
    // zero is exactly representable (zero padding and ReLU zeros stay zero)
    const z = encodeUint8(Float32Array.of(-1, 0, 2.5));
    expect(z.q[1]! * z.scale + z.min).toBeCloseTo(0, 12);
    tf.dispose(Object.values(decoded));
  });

  it('int8 QDQ maths: symmetric per-channel weights, int32 bias at x_scale * w_scale, uint8 activations with exact zero', () => {
    const w = Float32Array.of(1, -0.51, 0.25, /* channel 1 */ 0.1, 0.21, -0.4);
    const { q, scales } = quantizeWeightsPerChannel(w, 2);
    expect(Array.from(q)).toEqual([127, -65, 32, 32, 67, -127]);
    expect(scales[0]).toBeCloseTo(1 / 127, 7);
    const b = quantizeBias(Float32Array.of(0.5, -0.25), 0.1, scales);
    expect(b.q[0]).toBe(Math.round(0.5 / (0.1 / 127)));
    const a = activationQuant([0.5, 3]);
    expect(a.zeroPoint).toBe(0); // range widened to include 0
    const s = activationQuant([-1, 3]);
    expect(s.zeroPoint).toBe(Math.round(255 / 4));
  });

  it('conv filters go from tfjs [kh,kw,in,out] / depthwise [kh,kw,in,mult] to ONNX [out, in/group, kh, kw]', () => {
    const w = Float32Array.from({ length: 2 * 1 * 3 * 2 }, (_, i) => i); // [2,1,3,2]
    const conv = toOihw(w, [2, 1, 3, 2], false);
    expect(conv.dims).toEqual([2, 3, 2, 1]);
    // out 1, in 2, y 1, x 0 = tfjs [1][0][2][1]
    expect(conv.data[((1 * 3 + 2) * 2 + 1) * 1 + 0]).toBe(((1 * 1 + 0) * 3 + 2) * 2 + 1);
    const dw = toOihw(w, [2, 1, 3, 2], true);
    expect(dw.dims).toEqual([6, 1, 2, 1]);
    // channel i*mult+m = 2*2+1 = 5, y 1 = tfjs [1][0][2][1]
    expect(dw.data[(5 * 2 + 1) * 1]).toBe(((1 * 1 + 0) * 3 + 2) * 2 + 1);
  });
});

describe('ONNX protobuf writer', () => {
  it('writes varints (negative int64 as 10 bytes) and length-delimited fields', () => {
    expect(Array.from(new ProtoWriter().int(1, 300).finish())).toEqual([8, 0xac, 0x02]);
    const neg = new ProtoWriter().int(1, -1).finish();
    expect(neg.byteLength).toBe(11);
    expect(Array.from(new ProtoWriter().string(2, 'ab').finish())).toEqual([0x12, 2, 97, 98]);
  });

  it('a hand-built model (Relu + Add of an initializer) runs in onnxruntime-node', async () => {
    const bytes = encodeOnnxModel({
      graphName: 'g', opset: 17, metadata: { note: 'x' },
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
      initializers: [{ name: 'c', dtype: 'float32', dims: [3], data: new Uint8Array(Float32Array.of(1, 2, 3).buffer) }],
      nodes: [
        { name: 'r', op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { name: 'a', op: 'Add', inputs: ['r', 'c'], outputs: ['y'] },
      ],
    });
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 0.5, 2), [1, 3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 2.5, 5]);
    await session.release();
  });
});

describe('bench statistics', () => {
  it('percentile is the nearest rank', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 0.5)).toBe(5);
    expect(percentile(v, 0.9)).toBe(9);
    expect(percentile([7], 0.9)).toBe(7);
  });
});
