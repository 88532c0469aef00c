import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { createModel } from '../../src/models/registry.js';

beforeAll(async () => { await initBackend('cpu'); });

describe('depth net', () => {
  it('ResNet18 depth net has 14,329,236 params; monodepth2 cites 14.84 M because it counts the unused ImageNet fc (512*1000+1000)', () => {
    const net = createModel('monodepth2_resnet18');
    const enc = Object.entries(net.trainableVariables()).filter(([k]) => k.startsWith('encoder/')).reduce((a, [, v]) => a + v.size, 0);
    expect(enc).toBe(11_176_512);
    expect(net.parameterCount()).toBe(14_329_236);
    expect(net.parameterCount() + 512 * 1000 + 1000).toBe(14_842_236);
    net.dispose();
  });
  it('shapes at every scale, features, no leaks, BN running stats update only in training', () => {
    const net = createModel('monodepth2_resnet18');
    const rm = net.allVariables()['encoder/bn1/running_mean'];
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 64, 96, 3]) as tf.Tensor4D;
    const r0 = rm.dataSync().slice();
    const evalOut = net.apply(x, { training: false });
    expect(Array.from(rm.dataSync())).toEqual(Array.from(r0));
    const out = net.apply(x, { training: true });
    expect(Array.from(rm.dataSync())).not.toEqual(Array.from(r0));
    out.disparities.forEach((d, s) => expect(d.shape).toEqual([2, 64 >> s, 96 >> s, 1]));
    out.features.forEach((d, s) => expect(d.shape).toEqual([2, 64 >> s, 96 >> s, [16, 32, 64, 128][s]]));
    tf.dispose([x, ...out.disparities, ...out.features, ...evalOut.disparities, ...evalOut.features]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
  it('unknown model names throw a clear error', () => {
    expect(() => createModel('nope')).toThrow(/unknown model "nope"/);
  });
});
