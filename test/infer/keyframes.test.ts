import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { keyframeDepthNet, motionScaleFor, translateMap } from '../../src/infer/keyframes.js';
import { predictDisparity } from '../../src/infer/predict.js';
import { decodeVideo, encodeVideo, hasTool, sequenceTiming } from '../../src/infer/video.js';
import { writeRgb } from '../../src/io/image.js';
import { createModel } from '../../src/models/registry.js';
import type { DepthNet } from '../../src/models/types.js';

const H = 64;
const W = 96;
let net: DepthNet;

beforeAll(async () => {
  await initBackend('wasm');
  net = createModel('monodepth2_resnet18', { decoder: { numChDec: [8, 16, 32, 64, 128], seed: 3 }, encoder: { seed: 2 } });
});
afterAll(() => net.dispose());

/** Frame t of a little "video": a random image translated right by 2 t pixels (edges replicated). */
function frames(n: number): tf.Tensor4D[] {
  const base = tf.randomUniform([1, H, W + 2 * n, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const out = Array.from({ length: n }, (_, t) => tf.slice(base, [0, 0, 2 * (n - t), 0], [1, H, W, 3]) as tf.Tensor4D);
  base.dispose();
  return out;
}

function fullDisparity(x: tf.Tensor4D): Float32Array {
  const out = net.apply(x, { training: false });
  const d = out.disparities[0]!.dataSync() as Float32Array;
  tf.dispose([...out.disparities, ...out.features]);
  return Float32Array.from(d);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('keyframeDepthNet', () => {
  it('with K = 1 every frame is the whole network, bit for bit', () => {
    const xs = frames(3);
    const video = keyframeDepthNet(net, { every: 1, motion: 'shift' });
    for (const x of xs) {
      const out = video.apply(x, { training: false });
      expect(Array.from(out.disparities[0]!.dataSync())).toEqual(Array.from(fullDisparity(x)));
      tf.dispose([...out.disparities, ...out.features]);
    }
    expect(video.stats).toMatchObject({ frames: 3, keyframes: 3, shifts: [] });
    video.dispose();
    tf.dispose(xs);
  });

  it('runs keyframes at 0, K, 2K and between them decodes fresh early stages with the keyframe deep stages', () => {
    const xs = frames(7);
    const video = keyframeDepthNet(net, { every: 3, motion: 'none' });
    const keyFeatures = net.encoder.apply(xs[0]!, false);
    const got: Float32Array[] = [];
    for (const x of xs) {
      const out = video.apply(x, { training: false });
      got.push(Float32Array.from(out.disparities[0]!.dataSync()));
      tf.dispose([...out.disparities, ...out.features]);
    }
    expect(video.stats.frames).toBe(7);
    expect(video.stats.keyframes).toBe(3);
    expect(Array.from(got[3]!)).toEqual(Array.from(fullDisparity(xs[3]!)));
    // frame 1 by hand: encoder stages 0-1 of frame 1, stages 2-4 of keyframe 0
    const shallow = net.encoder.applyStages(xs[1]!, 0, 2, false);
    const byHand = net.decoder.apply([...shallow, ...keyFeatures.slice(2)], false);
    expect(maxAbsDiff(got[1]!, byHand.disparities[0]!.dataSync())).toBe(0);
    // and it is not the full prediction: the reuse is real
    expect(maxAbsDiff(got[1]!, fullDisparity(xs[1]!))).toBeGreaterThan(1e-6);
    tf.dispose([...shallow, ...keyFeatures, ...byHand.disparities, ...byHand.features, ...xs]);
    video.dispose();
  });

  it('motion shift finds the frames\' translation (2 px per frame) and leaves no tensors behind', () => {
    const xs = frames(5);
    const before = tf.memory().numTensors;
    const video = keyframeDepthNet(net, { every: 5, motion: 'shift', maxShift: 6 });
    for (const x of xs) tf.dispose(Object.values(video.apply(x, { training: false })).flat());
    video.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const dx = video.stats.shifts.map((s) => s.dx);
    // estimated on a 1/motionScaleFor(W) grey copy: within one of its pixels
    const tolerance = motionScaleFor(W);
    dx.forEach((d, i) => expect(Math.abs(d - 2 * (i + 1))).toBeLessThanOrEqual(tolerance));
    video.stats.shifts.forEach((s) => expect(Math.abs(s.dy)).toBeLessThanOrEqual(tolerance));
    tf.dispose(xs);
  });

  it('keeps the keyframe features when called inside tf.tidy, as predictDisparity calls a net', () => {
    const xs = frames(3);
    const video = keyframeDepthNet(net, { every: 3, motion: 'shift' });
    const got = xs.map((x) => tf.tidy(() => Array.from(predictDisparity(video, x, { postProcess: false }).dataSync())));
    expect(got[2]!.length).toBe(H * W);
    expect(video.stats).toMatchObject({ frames: 3, keyframes: 1 });
    tf.dispose(xs);
    video.dispose();
  });

  it('refuses batches, training and bad options with messages that say what to do', () => {
    const video = keyframeDepthNet(net, { every: 2, motion: 'none' });
    const two = tf.zeros([2, H, W, 3]) as tf.Tensor4D;
    expect(() => video.apply(two, { training: false })).toThrow(/one at a time.*post-process/);
    expect(() => video.apply(two, { training: true })).toThrow(/inference only/);
    expect(() => keyframeDepthNet(net, { every: 0, motion: 'none' })).toThrow(/--keyframe-every must be an integer >= 1/);
    expect(() => keyframeDepthNet(net, { every: 2, motion: 'none', freshStages: 5 })).toThrow(/freshStages/);
    two.dispose();
  });
});

describe('translateMap', () => {
  it('moves a map by whole pixels with edge replication, and by nothing when the shift is 0', () => {
    const map = tf.tensor4d(Array.from({ length: 4 * 5 }, (_, i) => i), [1, 4, 5, 1]);
    const moved = translateMap(map, 2, 1);
    const m = moved.arraySync()[0]!.map((row) => row.map((v) => v[0]!));
    // out(x, y) = in(clamp(x - 2), clamp(y - 1))
    expect(m[0]).toEqual([0, 0, 0, 1, 2]);
    expect(m[3]).toEqual([10, 10, 10, 11, 12]);
    const still = translateMap(map, 0, 0);
    expect(maxAbsDiff(still.dataSync(), map.dataSync())).toBeLessThan(1e-5);
    tf.dispose([map, moved, still]);
  });
});

describe('video files', () => {
  it('sums the timing of a keyframe run', () => {
    expect(sequenceTiming({ frames: 10, keyframes: 2, keyframeMs: 100, betweenMs: 80 })).toEqual({ frames: 10, keyframes: 2, msPerKeyframe: 50, msPerBetween: 10, msPerFrame: 18 });
  });

  it.skipIf(!hasTool('ffmpeg') || !hasTool('ffprobe'))('encodes frames into an MP4 and decodes it back into as many frames at its frame rate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-video-'));
    try {
      const paths: string[] = [];
      for (let t = 0; t < 6; t++) {
        const data = new Uint8Array(32 * 48 * 3).map((_, i) => (i * 7 + t * 40) % 256);
        paths.push(join(dir, `f${t}.png`));
        await writeRgb(paths[t]!, { data, width: 48, height: 32, channels: 3 });
      }
      encodeVideo(paths, 12, join(dir, 'out.mp4'));
      const decoded = decodeVideo(join(dir, 'out.mp4'));
      expect(decoded.frames.length).toBe(6);
      expect(decoded.fps).toBeCloseTo(12, 6);
      decoded.cleanup();
      writeFileSync(join(dir, 'broken.mp4'), 'not a video');
      expect(() => decodeVideo(join(dir, 'broken.mp4'))).toThrow(/broken\.mp4/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
