/** The other networks of the registry: ResNet50 and monodepth v1 heads, seeded init, BN-free variant, PoseNet. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { PoseNet } from '../../src/models/pose.js';
import { createDepthNet, createModel } from '../../src/models/registry.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const encoderParams = (vars: Record<string, tf.Variable>): number => Object.entries(vars).filter(([k]) => k.startsWith('encoder/')).reduce((a, [, v]) => a + v.size, 0);

describe('registry variants', () => {
  it('ResNet50 encoder has torchvision resnet50 minus its fc (25,557,032 - 2,049,000); outputs at 4 scales', () => {
    const net = createModel('monodepth2_resnet50');
    expect(encoderParams(net.trainableVariables())).toBe(25_557_032 - 2_049_000);
    const x = tf.randomUniform([1, 64, 64, 3]) as tf.Tensor4D;
    const out = net.apply(x, { training: false });
    out.disparities.forEach((d, s) => expect(d.shape).toEqual([1, 64 >> s, 64 >> s, 1]));
    tf.dispose([x, ...out.disparities, ...out.features]);
    net.dispose();
  });

  it('monodepth v1 head: two channels (left, right) scaled to at most 0.3 of the width', () => {
    const net = createModel('monodepth_resnet50');
    const x = tf.randomUniform([1, 64, 64, 3]) as tf.Tensor4D;
    const out = net.apply(x, { training: false });
    expect(out.disparities[0]!.shape).toEqual([1, 64, 64, 2]);
    const max = tf.max(out.disparities[0]!).dataSync()[0]!;
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(0.3);
    tf.dispose([x, ...out.disparities, ...out.features]);
    net.dispose();
  });

  it('the same seeds give the same weights; other seeds other weights', () => {
    const a = createDepthNet({ encoder: { seed: 1 }, decoder: { seed: 2 } });
    const b = createDepthNet({ encoder: { seed: 1 }, decoder: { seed: 2 } });
    const c = createDepthNet({ encoder: { seed: 3 }, decoder: { seed: 2 } });
    const name = 'encoder/layer1/0/conv1/kernel';
    expect(Array.from(a.trainableVariables()[name]!.dataSync())).toEqual(Array.from(b.trainableVariables()[name]!.dataSync()));
    expect(Array.from(a.trainableVariables()[name]!.dataSync())).not.toEqual(Array.from(c.trainableVariables()[name]!.dataSync()));
    [a, b, c].forEach((n) => n.dispose());
  });

  it('disp_bias_init sets the starting disparity: sigmoid(b) everywhere for a zero input', () => {
    const net = createDepthNet({ decoder: { dispBiasInit: -4.5 } });
    const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    const out = net.apply(x, { training: false });
    const mean = tf.mean(out.disparities[0]!).dataSync()[0]!;
    expect(mean).toBeGreaterThan(0.002);
    expect(mean).toBeLessThan(0.05);
    tf.dispose([x, ...out.disparities, ...out.features]);
    net.dispose();
  });

  it('without BatchNorm the encoder has no running statistics and still trains shapes', () => {
    const net = createDepthNet({ encoder: { useBatchNorm: false } });
    const names = Object.keys(net.allVariables());
    expect(names.some((n) => n.includes('running_mean'))).toBe(false);
    const x = tf.randomUniform([1, 64, 64, 3]) as tf.Tensor4D;
    const out = net.apply(x, { training: true });
    expect(out.disparities[3]!.shape).toEqual([1, 8, 8, 1]);
    tf.dispose([x, ...out.disparities, ...out.features]);
    net.dispose();
  });

  it('PoseNet: [B, 2, 3] axis-angle and translation from a frame pair, scaled by 0.01, leak-free', () => {
    const pose = new PoseNet({ encoder: { seed: 5 } });
    expect(Object.keys(pose.trainableVariables()).every((k) => k.startsWith('pose_encoder/') || k.startsWith('pose/'))).toBe(true);
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 64, 64, 6]) as tf.Tensor4D;
    const { axisangle, translation } = pose.apply(x, { training: false });
    expect(axisangle.shape).toEqual([2, 2, 3]);
    expect(translation.shape).toEqual([2, 2, 3]);
    const largest = tf.tidy(() => tf.max(tf.abs(axisangle)));
    expect(largest.dataSync()[0]!).toBeLessThan(0.05);
    tf.dispose([x, axisangle, translation, largest]);
    expect(tf.memory().numTensors).toBe(before);
    pose.dispose();
  });
});
