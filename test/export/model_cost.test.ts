import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { presetCost } from '../../src/cli/info.js';

/**
 * The counts `stereodepth info --model` prints, against a hand count of the reference topology written out here
 * independently of the model code: FastDepth = dwofk/fast-depth MobileNetSkipAdd (MobileNet v1 layers 0..13, NNConv5
 * with 5x5 depthwise + pointwise per stage, 1x1 head), at 224x224.
 */
function fastDepthHandCount(): { macs: number; params: number } {
  let macs = 112 * 112 * 32 * 3 * 3 * 3;
  let params = 3 * 3 * 3 * 32 + 2 * 32;
  // MobileNet v1 depthwise-separable layers: [in, out, stride] at the input resolution r
  const layers: [number, number, number][] = [[32, 64, 1], [64, 128, 2], [128, 128, 1], [128, 256, 2], [256, 256, 1], [256, 512, 2],
    [512, 512, 1], [512, 512, 1], [512, 512, 1], [512, 512, 1], [512, 512, 1], [512, 1024, 2], [1024, 1024, 1]];
  let r = 112;
  for (const [i, o, s] of layers) {
    r /= s;
    macs += r * r * i * 9 + r * r * i * o;
    params += 9 * i + 2 * i + i * o + 2 * o;
  }
  // NNConv5: 5x5 depthwise + pointwise at 7, 14, 28, 56, 112 (each then upsampled x2); the 1x1 head at 224
  for (const [res, i, o] of [[7, 1024, 512], [14, 512, 256], [28, 256, 128], [56, 128, 64], [112, 64, 32]] as const) {
    macs += res * res * i * 25 + res * res * i * o;
    params += 25 * i + 2 * i + i * o + 2 * o;
  }
  macs += 224 * 224 * 32;
  params += [32, 64, 128, 256].reduce((a, c) => a + c + 1, 0); // sigmoid heads at scales 0..3 (1x1 conv + bias)
  return { macs, params };
}

describe('model cost (info --model)', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  it('fastdepth at 224x224: MACs and trainable parameters equal the hand count of the fast-depth topology', () => {
    const hand = fastDepthHandCount();
    const c = presetCost('fastdepth');
    expect(c.size).toEqual({ height: 224, width: 224 });
    expect(c.macs).toBe(hand.macs);
    expect(c.trainableParameters).toBe(hand.params);
    expect(hand.macs / 1e9).toBeCloseTo(0.737, 3);
    // FLOPs: 2 per MAC plus the element-wise work (BN folded away, ReLU fused into the convs)
    expect(c.flops).toBeGreaterThan(2 * c.macs);
    expect(c.flops).toBeLessThan(2.05 * c.macs);
  }, 120_000);

  it('mai2021: the same MACs at 480x640 in/out as at its 128x160 inside; the resizes only add FLOPs', () => {
    const inside = presetCost('mai2021', '128x160');
    const io = presetCost('mai2021');
    expect(io.size).toEqual({ height: 480, width: 640 });
    expect(io.internalSize).toEqual({ height: 128, width: 160 });
    expect(io.macs).toBe(inside.macs);
    expect(io.flops).toBeGreaterThan(inside.flops);
    expect(inside.macs / 1e6).toBeGreaterThan(85);
    expect(inside.macs / 1e6).toBeLessThan(100);
  }, 120_000);

  it('a size that is not HxW is an error naming the flag', () => {
    expect(() => presetCost('fastdepth', '224')).toThrow(/--size: expected HEIGHTxWIDTH/);
  });
});
