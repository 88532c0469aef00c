/**
 * Fast video depth by keyframe feature reuse (YolactEdge's idea for depth): every K-th frame runs the whole network;
 * the frames between run only the encoder's early, cheap stages and take the deep stages' maps from the last keyframe,
 * either unchanged (motion 'none') or translated by a global motion estimate between the keyframe and the frame
 * (motion 'shift': block matching on a small grey copy, geometry/global_motion.ts). The decoder always runs. The result
 * is a DepthNet whose apply() treats successive calls as consecutive frames, so every predictor (predictImageFiles,
 * predictDisparity) runs a video through it unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

import { estimateGlobalShift, type GlobalShift, type GreyImage } from '../geometry/global_motion.js';
import { gridSample } from '../geometry/sampler.js';
import type { DepthNet, DepthOutput } from '../models/types.js';

export const MOTION_MODES = ['none', 'shift'] as const;
export type MotionMode = (typeof MOTION_MODES)[number];

export interface KeyframeOptions {
  /** K: frames 0, K, 2K, ... run the whole network. 1 = every frame in full. */
  every: number;
  /** How the keyframe's deep maps are reused: as they are, or translated by the estimated global motion. */
  motion: MotionMode;
  /** Encoder stages run on every frame (the rest are reused). Default 2 (ResNet: stem at H/2 and layer1 at H/4). */
  freshStages?: number;
  /** Search range of the motion estimate, in pixels of the small grey copy. Default 4. */
  maxShift?: number;
}

/** What a run did, for the report: frames, keyframes, time in the network per kind, the motion estimates. */
export interface KeyframeStats {
  frames: number;
  keyframes: number;
  keyframeMs: number;
  betweenMs: number;
  /** Estimated motion (input pixels) of each in-between frame relative to its keyframe (motion 'shift' only). */
  shifts: Array<{ frame: number; dx: number; dy: number }>;
}

export interface KeyframeDepthNet extends DepthNet {
  readonly stats: KeyframeStats;
  /** Starts a new sequence: the next frame is a keyframe. */
  reset(): void;
}

/** Downsampling of the grey copy the motion is estimated on: a power of 2 leaving at least 48 columns. */
export function motionScaleFor(width: number): number {
  return Math.max(1, 2 ** Math.floor(Math.log2(width / 48)));
}

/** Mean of the channels, average-pooled by `scale`: a small grey copy of frame [1, H, W, 3]. */
function greyCopy(x: tf.Tensor4D, scale: number): GreyImage {
  const small = tf.tidy(() => tf.mean(scale > 1 ? tf.avgPool(x, scale, scale, 'valid') : x, 3));
  const [, height, width] = small.shape as [number, number, number];
  const data = small.dataSync() as Float32Array;
  small.dispose();
  return { data: Float32Array.from(data), height, width };
}

/** `map` [1, h, w, C] translated by (dx, dy) of its own pixels, edges replicated (bilinear). */
export function translateMap(map: tf.Tensor4D, dx: number, dy: number): tf.Tensor4D {
  const [, h, w] = map.shape;
  return tf.tidy(() => {
    // align_corners=false normalisation of the source pixel x - dx: gx = (2 (x - dx) + 1) / w - 1
    const gx = tf.sub(tf.div(tf.add(tf.mul(tf.sub(tf.range(0, w, 1, 'float32'), dx), 2), 1), w), 1);
    const gy = tf.sub(tf.div(tf.add(tf.mul(tf.sub(tf.range(0, h, 1, 'float32'), dy), 2), 1), h), 1);
    const grid = tf.stack([tf.tile(tf.reshape(gx, [1, w]), [h, 1]), tf.tile(tf.reshape(gy, [h, 1]), [1, w])], 2);
    return gridSample(map, tf.expandDims(grid, 0) as tf.Tensor4D, { alignCorners: false, padding: 'border', imageGradient: false });
  });
}

/** Wraps `net` (not owned: dispose it yourself) as a per-frame video predictor with keyframe feature reuse. */
export function keyframeDepthNet(net: DepthNet, opts: KeyframeOptions): KeyframeDepthNet {
  const { encoder, decoder } = net;
  const fresh = opts.freshStages ?? 2;
  if (!(Number.isInteger(opts.every) && opts.every >= 1)) throw new Error(`keyframes: --keyframe-every must be an integer >= 1, got ${opts.every}`);
  if (!(Number.isInteger(fresh) && fresh >= 1 && fresh < encoder.numStages)) {
    throw new Error(`keyframes: freshStages must be an integer in 1..${encoder.numStages - 1} for encoder ${encoder.name}, got ${fresh}`);
  }
  if (!MOTION_MODES.includes(opts.motion)) throw new Error(`keyframes: motion must be one of ${MOTION_MODES.join(', ')}, got '${String(opts.motion)}'`);
  const maxShift = opts.maxShift ?? 4;
  const stats: KeyframeStats = { frames: 0, keyframes: 0, keyframeMs: 0, betweenMs: 0, shifts: [] };
  let deep: tf.Tensor4D[] = [];
  let keyGrey: GreyImage | undefined;
  let motionScale = 1;
  /** Frames since the last keyframe (0 = the next frame is one). */
  let sinceKey = 0;

  const dropKeyframe = (): void => {
    tf.dispose(deep);
    deep = [];
    keyGrey = undefined;
    sinceKey = 0;
  };

  const runKeyframe = (x: tf.Tensor4D): DepthOutput => {
    tf.dispose(deep);
    const features = encoder.applyStages(x, 0, encoder.numStages, false);
    // kept: callers run apply inside tf.tidy (predictDisparity), which would otherwise free them at its end
    deep = features.slice(fresh).map((f) => tf.keep(f));
    if (opts.motion === 'shift') {
      motionScale = motionScaleFor(x.shape[2]);
      keyGrey = greyCopy(x, motionScale);
    }
    try {
      return decoder.apply(features, false);
    } finally {
      tf.dispose(features.slice(0, fresh));
    }
  };

  const runBetween = (x: tf.Tensor4D): DepthOutput => {
    const shallow = encoder.applyStages(x, 0, fresh, false);
    let reused = deep;
    if (opts.motion === 'shift' && keyGrey) {
      const cur = greyCopy(x, motionScale);
      const s: GlobalShift = estimateGlobalShift(keyGrey, cur, Math.min(maxShift, Math.floor((Math.min(cur.width, cur.height) - 1) / 2)));
      stats.shifts.push({ frame: stats.frames, dx: s.dx * motionScale, dy: s.dy * motionScale });
      // feature map k of the encoder is at stride 2^(k+1) of the input
      reused = deep.map((f, i) => translateMap(f, (s.dx * motionScale) / 2 ** (fresh + i + 1), (s.dy * motionScale) / 2 ** (fresh + i + 1)));
    }
    try {
      return decoder.apply([...shallow, ...reused], false);
    } finally {
      tf.dispose(shallow);
      if (reused !== deep) tf.dispose(reused);
    }
  };

  return {
    encoder,
    decoder,
    internalSize: net.internalSize,
    trainableVariables: () => net.trainableVariables(),
    allVariables: () => net.allVariables(),
    parameterCount: () => net.parameterCount(),
    summary: () => net.summary(),
    name: `${net.name}+keyframes(${opts.every},${opts.motion})`,
    stats,
    reset: dropKeyframe,
    apply(x: tf.Tensor4D, applyOpts: { training: boolean }): DepthOutput {
      if (applyOpts.training) throw new Error('keyframes: a keyframe predictor is for inference only (training: false)');
      if (x.shape[0] !== 1) throw new Error(`keyframes: frames go one at a time (batch 1), got a batch of ${x.shape[0]} (is --post-process on? it is not supported with keyframes)`);
      if (net.internalSize !== null && (x.shape[1] !== net.internalSize[0] || x.shape[2] !== net.internalSize[1])) {
        throw new Error(`keyframes: ${net.name} runs at ${net.internalSize.join('x')} inside; give frames at that size, got ${x.shape[1]}x${x.shape[2]}`);
      }
      const isKey = sinceKey % opts.every === 0 || deep.length === 0;
      sinceKey = isKey ? 1 : sinceKey + 1;
      const start = performance.now();
      const out = isKey ? runKeyframe(x) : runBetween(x);
      // wasm and cpu run eagerly; reading one value waits for an asynchronous backend too, so the time is the work's
      out.disparities[0]!.dataSync();
      const ms = performance.now() - start;
      if (isKey) { stats.keyframes++; stats.keyframeMs += ms; } else stats.betweenMs += ms;
      stats.frames++;
      return out;
    },
    dispose(): void {
      dropKeyframe();
    },
  };
}
