import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { ParamStore } from '../../src/models/layers.js';
import { countParams } from '../../src/models/pose.js';
import { createDecoder, createDepthNet, createEncoder, createModel, DECODERS } from '../../src/models/registry.js';
import { modelSchema } from '../../src/config/schema.js';
import type { ComponentSpec } from '../../src/models/types.js';
import { depthNetFromSpec } from '../../src/models/build.js';

/**
 * The small networks: encoder parameter counts against the published torchvision / Keras models (classifier removed),
 * the 5-map contract (H/2..H/32 with the stated channels), stage-wise resumption giving the same maps, every encoder
 * with every decoder, the in-model resize of mai2021, and the config's encoder/decoder keys.
 */

function encoderParams(spec: ComponentSpec): { params: number; channels: number[] } {
  const store = new ParamStore();
  const enc = createEncoder(store, 'encoder', spec);
  const out = { params: countParams(store), channels: enc.numChEnc };
  store.dispose();
  return out;
}

describe('encoder parameter counts = the reference models without their classifier', () => {
  beforeAll(async () => { await initBackend('wasm'); });
  it('MobileNet v1 1.0 = Keras MobileNet trainable 4,231,976 - fc 1,025,000 (FastDepth encoder, BN gamma/beta counted)', () => {
    expect(encoderParams({ name: 'mobilenet_v1' })).toEqual({ params: 3_206_976, channels: [64, 128, 256, 512, 1024] });
  });
  it('MobileNetV2 1.0 = torchvision 3,504,872 - classifier 1,281,000', () => {
    expect(encoderParams({ name: 'mobilenet_v2' })).toEqual({ params: 2_223_872, channels: [16, 24, 32, 96, 1280] });
  });
  it('MobileNetV3-Large 1.0 = torchvision 5,483,032 - classifier (960*1280+1280 + 1280*1000+1000)', () => {
    expect(encoderParams({ name: 'mobilenet_v3', variant: 'large' })).toEqual({ params: 5_483_032 - 2_511_080, channels: [16, 24, 40, 112, 960] });
  });
  it('MobileNetV3-Small 1.0 = torchvision 2,542,856 - classifier (576*1024+1024 + 1024*1000+1000)', () => {
    expect(encoderParams({ name: 'mobilenet_v3', variant: 'small' })).toEqual({ params: 2_542_856 - 1_615_848, channels: [16, 16, 24, 48, 576] });
  });
  it('width multipliers narrow every map (torchvision rounding to multiples of 8)', () => {
    expect(encoderParams({ name: 'mobilenet_v3', variant: 'large', widthMultiplier: 0.75 }).channels).toEqual([16, 24, 32, 88, 720]);
    expect(encoderParams({ name: 'mobilenet_v1', widthMultiplier: 0.5 }).channels).toEqual([32, 64, 128, 256, 512]);
  });
  it('unknown encoders and options are errors naming what exists', () => {
    expect(() => encoderParams({ name: 'vgg' })).toThrow(/unknown encoder "vgg"; expected one of resnet, mobilenet_v1/);
    expect(() => encoderParams({ name: 'mobilenet_v3', variant: 'medium' })).toThrow(/encoder "mobilenet_v3": bad options \(variant/);
    expect(() => encoderParams({ name: 'mobilenet_v1', useBatchNorm: false })).toThrow(/mobilenet_v1.*takes widthMultiplier/);
  });
});

const ENCODER_SPECS: ComponentSpec[] = [
  { name: 'resnet', numLayers: 18 },
  { name: 'mobilenet_v1', widthMultiplier: 0.25 },
  { name: 'mobilenet_v2', widthMultiplier: 0.35 },
  { name: 'mobilenet_v3', variant: 'large', widthMultiplier: 0.5 },
  { name: 'mobilenet_v3', variant: 'small', widthMultiplier: 0.5 },
];

describe('encoders and decoders on wasm', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  for (const spec of ENCODER_SPECS) {
    it(`${JSON.stringify(spec)}: 5 maps at H/2..H/32; stages resumed from a stored map give the same maps`, () => {
      const store = new ParamStore();
      const enc = createEncoder(store, 'encoder', spec);
      const x = tf.randomUniform([2, 64, 96, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const all = enc.apply(x, false);
      expect(all.map((f) => f.shape)).toEqual(enc.numChEnc.map((c, k) => [2, 64 / 2 ** (k + 1), 96 / 2 ** (k + 1), c]));
      const early = enc.applyStages(x, 0, 2, false);
      const late = enc.applyStages(early[1]!, 2, enc.numStages, false);
      [...early, ...late].forEach((f, k) => expect(Array.from(f.dataSync())).toEqual(Array.from(all[k]!.dataSync())));
      expect(() => enc.applyStages(x, 3, 2, false)).toThrow(/0 <= from <= to <= 5/);
      tf.dispose([...all, ...early, ...late]);
      expect(tf.memory().numTensors).toBe(before);
      enc.dispose();
      expect(store.trainable.size + store.nonTrainable.size).toBe(0);
      x.dispose();
    });
  }

  for (const enc of ENCODER_SPECS.slice(1)) {
    for (const d of DECODERS) {
      it(`${enc.name}${enc.variant ? `_${String(enc.variant)}` : ''} + ${d.name}: disparities at 4 scales in (0, 1), features with numChDec channels, training mode, leak-free`, () => {
        const net = createDepthNet({ encoder: enc, decoder: { name: d.name, ...(d.name === 'monodepth2' ? { numChDec: [8, 8, 16, 16, 32] } : {}) } });
        const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
        const before = tf.memory().numTensors;
        const out = net.apply(x, { training: true });
        expect(out.disparities.map((t) => t.shape)).toEqual([0, 1, 2, 3].map((s) => [2, 64 >> s, 64 >> s, 1]));
        expect(out.features.map((t) => t.shape[3])).toEqual(net.decoder.numChDec.slice(0, 4));
        const v = out.disparities[0]!.dataSync();
        expect(Math.min(...v)).toBeGreaterThan(0);
        expect(Math.max(...v)).toBeLessThan(1);
        tf.dispose([...out.disparities, ...out.features]);
        expect(tf.memory().numTensors).toBe(before);
        net.dispose();
        x.dispose();
      });
    }
  }

  it('nnconv5 on MobileNet v1 has FastDepth widths [32, 64, 128, 256, 512] and no skip projections', () => {
    const net = createModel('fastdepth');
    expect(net.decoder.numChDec).toEqual([32, 64, 128, 256, 512]);
    expect(Object.keys(net.trainableVariables()).filter((k) => k.includes('skip_'))).toEqual([]);
    expect(net.summary()).toMatch(/mobilenet_v1 encoder 3\.21 M, nnconv5 decoder/);
    net.dispose();
  });

  it('mai2021 runs at its internal size and answers at the input size over 2^s', () => {
    const net = createModel('mai2021', { internalSize: [64, 96] });
    expect(net.internalSize).toEqual([64, 96]);
    const x = tf.randomUniform([1, 120, 160, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = net.apply(x, { training: false });
    expect(out.disparities.map((t) => t.shape)).toEqual([[1, 120, 160, 1], [1, 60, 80, 1], [1, 30, 40, 1], [1, 15, 20, 1]]);
    expect(out.features[0]!.shape).toEqual([1, 64, 96, 8]);
    expect(net.decoder.numChDec).toEqual([8, 8, 16, 32, 64]);
    tf.dispose([...out.disparities, ...out.features]);
    expect(tf.memory().numTensors).toBe(before);
    expect(createModel('mai2021').internalSize).toEqual([128, 160]);
    net.dispose();
    x.dispose();
  });
});

describe('a run config\'s model spec (models/build.ts) reaches every component', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  it('fastdepth with a MobileNetV3-Small encoder under monodepth v1 losses: two channels at most 0.3, seeds from the run', () => {
    const spec = { ...modelSchema.parse({ name: 'fastdepth', encoder: { name: 'mobilenet_v3', variant: 'small', widthMultiplier: 0.5 } }) };
    const a = depthNetFromSpec(spec, 'monodepth', 7);
    const b = depthNetFromSpec(spec, 'monodepth', 7);
    expect(a.encoder.name).toBe('mobilenet_v3_small');
    expect(a.decoder.name).toBe('nnconv5');
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const out = a.apply(x, { training: false });
    expect(out.disparities[0]!.shape).toEqual([1, 64, 64, 2]);
    expect(Math.max(...out.disparities[0]!.dataSync())).toBeLessThanOrEqual(0.3);
    const wa = a.trainableVariables()['depth/dispconv_0/kernel']!.dataSync();
    expect(Array.from(b.trainableVariables()['depth/dispconv_0/kernel']!.dataSync())).toEqual(Array.from(wa));
    tf.dispose([x, ...out.disparities, ...out.features]);
    a.dispose();
    b.dispose();
  });

  it('internal_size: the preset\'s by default, an override, or false for none; use_batch_norm false only for ResNet', () => {
    const net = (m: Record<string, unknown>) => depthNetFromSpec(modelSchema.parse(m), 'monodepth2', 0);
    const sizes = [net({ name: 'mai2021' }), net({ name: 'mai2021', internal_size: [96, 128] }), net({ name: 'mai2021', internal_size: false })];
    expect(sizes.map((n) => n.internalSize)).toEqual([[128, 160], [96, 128], null]);
    sizes.forEach((n) => n.dispose());
    expect(() => net({ name: 'fastdepth', use_batch_norm: false })).toThrow(/encoder "mobilenet_v1": bad options \(unknown option useBatchNorm\); it takes widthMultiplier/);
  });
});

describe('config model section', () => {
  it('keeps the preset names valid and accepts {name, ...options} encoders/decoders derived from the registry', () => {
    expect(modelSchema.parse({}).name).toBe('monodepth2_resnet18');
    const m = modelSchema.parse({ name: 'fastdepth', encoder: { name: 'mobilenet_v3', variant: 'small' }, decoder: { name: 'resize_dw', kernelSize: 5 }, internal_size: [96, 128] });
    expect(m.encoder).toEqual({ name: 'mobilenet_v3', variant: 'small' });
    expect(m.decoder).toEqual({ name: 'resize_dw', kernelSize: 5 });
    expect(modelSchema.parse({ name: 'mai2021', internal_size: false }).internal_size).toBe(false);
  });
  it('rejects unknown components and options', () => {
    expect(modelSchema.safeParse({ encoder: { name: 'vgg' } }).success).toBe(false);
    expect(modelSchema.safeParse({ encoder: { name: 'mobilenet_v1', variant: 'large' } }).success).toBe(false);
    expect(modelSchema.safeParse({ name: 'tiny' }).success).toBe(false);
  });
});
