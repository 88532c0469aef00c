import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { spatialLoss } from '../../src/losses/distill.js';
import { depthFromDisparity } from '../../src/models/output_convention.js';
import { netOutputOfObjective, distDepthObjective, hintObjective, teacherMapToDepth } from '../../src/losses/distill_objective.js';
import { HintAdapters } from '../../src/losses/hint.js';
import type { ObjectiveSettings } from '../../src/losses/objective.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SETTINGS = { kind: 'monodepth2', minDepth: 0.1, maxDepth: 20 } as ObjectiveSettings;
const OPTIONS = { alignment: 'lstsqRows', distWeight: 0.05, spatial: { variant: 'oneSided', quantile: 0.95, weight: 0.02, huberDelta: 0.8, sharpness: 10, border: 2 } } as const;

/** A room-like depth: a smooth ramp with a step (an object edge) whose height varies by row. */
function roomDepth(h: number, w: number, edgeCol: number): tf.Tensor4D {
  const d = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = 2 + 0.02 * x + (x >= edgeCol ? 1 + 0.1 * y : 0);
  return tf.tensor4d(d, [1, h, w, 1]);
}

const ssResult = () => ({ total: tf.scalar(0.25), parts: { 'reprojection/0': tf.scalar(0.25) } });
const value = (t: tf.Tensor): number => t.dataSync()[0]!;

describe('DistDepth objective', () => {
  it('turns DPT-like inverse depth into 1 / (d + 1) and keeps depth maps as they are', () => {
    const d = tf.tensor4d([0, 1, 3, 999], [1, 2, 2, 1]);
    expect(Array.from(teacherMapToDepth(d, 'inverse_depth').dataSync())).toEqual([1, 0.5, 0.25, 0.001].map(Math.fround));
    expect(Array.from(teacherMapToDepth(d, 'depth').dataSync())).toEqual([0, 1, 3, 999]);
  });

  it('a teacher that is the student up to an unknown scale and shift adds (almost) no statistical loss; a wrong structure adds more', () => {
    const studentDepth = roomDepth(24, 32, 16);
    // student disparity whose depth is studentDepth (inverse of dispToDepth)
    const disp = tf.tidy(() => tf.div(tf.sub(tf.div(1, studentDepth), 1 / 20), 1 / 0.1 - 1 / 20) as tf.Tensor4D);
    expect(tf.max(tf.abs(tf.sub(depthFromDisparity(disp, netOutputOfObjective(SETTINGS)), studentDepth))).dataSync()[0]).toBeLessThan(1e-3);
    const affineTeacher = tf.tidy(() => tf.div(tf.sub(studentDepth, 0.7), 2.5) as tf.Tensor4D);
    const r = distDepthObjective(ssResult(), affineTeacher, disp, SETTINGS, OPTIONS);
    expect(value(r.parts['distill/statistical']!)).toBeLessThan(1e-3);
    expect(value(r.total)).toBeCloseTo(0.25 + value(r.parts['distill/total']!), 6);
    expect(value(r.parts['distill/total']!)).toBeCloseTo(0.05 * (value(r.parts['distill/statistical']!) + value(r.parts['distill/spatial']!)), 6);
    const wrong = distDepthObjective(ssResult(), roomDepth(24, 32, 6), disp, SETTINGS, OPTIONS);
    expect(value(wrong.parts['distill/statistical']!)).toBeGreaterThan(10 * value(r.parts['distill/statistical']!));
    expect(value(wrong.parts['distill/spatial']!)).toBeGreaterThan(value(r.parts['distill/spatial']!));
  });

  it('one-sided spatial loss: identical edge maps give its minimum (a floor, softsign < 1) and it grows as the edge moves away', () => {
    const teacher = roomDepth(24, 32, 16);
    const losses = [16, 18, 21, 26].map((col) => value(spatialLoss(teacher, roomDepth(24, 32, col), { variant: 'oneSided', border: 2 })));
    for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeGreaterThan(losses[k - 1]!);
    expect(losses[0]).toBeGreaterThan(0);
  });

  it('is leak-free', () => {
    const teacher = roomDepth(24, 32, 16);
    const disp = tf.fill([1, 24, 32, 1], 0.3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const ss = ssResult();
    const r = distDepthObjective(ss, teacher, disp, SETTINGS, OPTIONS);
    tf.dispose([r.total, ...Object.values(r.parts)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('hint objective', () => {
  it('adds the weighted per-scale hint terms to the self-supervised loss and logs them per scale', () => {
    const adapters = new HintAdapters([2, 3], [4, 5], new Rng(1), 'hint_objective_test');
    const student = [tf.randomUniform([1, 8, 8, 2], 0, 1, 'float32', 1), tf.randomUniform([1, 4, 4, 3], 0, 1, 'float32', 2)] as tf.Tensor4D[];
    const teacher = [tf.randomUniform([1, 8, 8, 4], 0, 1, 'float32', 3), tf.randomUniform([1, 4, 4, 5], 0, 1, 'float32', 4)] as tf.Tensor4D[];
    const r = hintObjective(ssResult(), adapters, student, teacher, [1, 0.5]);
    expect(Object.keys(r.parts).sort()).toEqual(['hint/0', 'hint/1', 'hint/total', 'reprojection/0', 'self_supervised']);
    expect(value(r.parts['hint/total']!)).toBeCloseTo(value(r.parts['hint/0']!) + 0.5 * value(r.parts['hint/1']!), 6);
    expect(value(r.total)).toBeCloseTo(0.25 + value(r.parts['hint/total']!), 6);
    adapters.dispose();
  });
});

