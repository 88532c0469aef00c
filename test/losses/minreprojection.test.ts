import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { minOfMaps, minReprojection } from '../../src/losses/photometric.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const map = (v: number[]) => tf.tensor4d(v, [1, 1, v.length, 1]);

describe('min reprojection + auto-mask (monodepth2 compute_losses)', () => {
  it('identity losses come first: the mask is 1 only where a warped source is strictly better', () => {
    const { perPixel, identitySelection } = minReprojection([map([0.2, 0.5, 0.3]), map([0.4, 0.1, 0.3])], [map([0.3, 0.3, 0.3])]);
    expect(Array.from(perPixel.dataSync())).toEqual([0.2, 0.1, 0.3].map(Math.fround));
    // pixel 2 ties identity and both reprojections: argmin picks the first (identity) -> masked out
    expect(Array.from(identitySelection!.dataSync())).toEqual([1, 1, 0]);
  });

  it('avg_reprojection and disabled auto-masking', () => {
    const avg = minReprojection([map([0.2, 0.6]), map([0.4, 0.2])], [map([0.25, 0.5])], { avgReprojection: true });
    expect(Array.from(avg.perPixel.dataSync()).map((v) => +v.toFixed(6))).toEqual([0.25, 0.4]);
    const noMask = minReprojection([map([0.2, 0.6])], [map([0.1, 0.1])], { automask: false });
    expect(Array.from(noMask.perPixel.dataSync()).map((v) => +v.toFixed(6))).toEqual([0.2, 0.6]);
    expect(noMask.identitySelection).toBeNull();
  });

  it('equals a plain-loop torch.min reference on maps full of ties: minimum, auto-mask and gradients', () => {
    // 2 identity + 2 reprojection maps on a coarse grid (many ties: the first minimal map must win, as torch.min's argmin).
    const rng = new Rng(23);
    const size = 60;
    const values = Array.from({ length: 4 }, () => Array.from({ length: size }, () => Math.round(rng.uniform(0, 4)) / 4));
    const dyv = Array.from({ length: size }, () => rng.normal());
    const first = Array.from({ length: size }, (_, p) => values.reduce((best, v, i) => (v[p]! < values[best]![p]! ? i : best), 0));
    const asMap = (v: number[]) => tf.tensor4d(v, [1, 1, size, 1]);
    const ids = values.slice(0, 2).map(asMap);
    const reps = values.slice(2).map(asMap);
    const { perPixel, identitySelection } = minReprojection(reps, ids);
    expect(Array.from(perPixel.dataSync())).toEqual(first.map((i, p) => Math.fround(values[i]![p]!)));
    expect(Array.from(identitySelection!.dataSync())).toEqual(first.map((i) => (i >= 2 ? 1 : 0)));
    const grads = tf.grads((...r: tf.Tensor[]) => tf.sum(tf.mul(minReprojection(r as tf.Tensor4D[], ids).perPixel, asMap(dyv))))(reps);
    // + 0 turns the -0 of dy * 0 (negative dy) into 0: only the values are compared
    grads.forEach((g, j) => expect(Array.from(g.dataSync(), (v) => v + 0)).toEqual(first.map((i, p) => (i === 2 + j ? Math.fround(dyv[p]!) : 0))));
  });

  it('gradient goes to the first minimum only (torch.min), and seeded tie-break noise is reproducible', () => {
    const x = [1, 1, 2].map((v) => tf.tensor3d([[[v]]]));
    const g = tf.grads((...t: tf.Tensor[]) => tf.sum(minOfMaps(t).min))(x);
    expect(g.flatMap((gi) => Array.from(gi.dataSync()))).toEqual([1, 0, 0]);
    const run = () => minReprojection([map([0.3, 0.3])], [map([0.3, 0.3])], { tieBreakRng: new Rng(1) }).identitySelection!.dataSync();
    expect(Array.from(run())).toEqual(Array.from(run()));
  });
});
