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

  it('gradient goes to the first minimum only (torch.min), and seeded tie-break noise is reproducible', () => {
    const x = [1, 1, 2].map((v) => tf.tensor3d([[[v]]]));
    const g = tf.grads((...t: tf.Tensor[]) => tf.sum(minOfMaps(t).min))(x);
    expect(g.flatMap((gi) => Array.from(gi.dataSync()))).toEqual([1, 0, 0]);
    const run = () => minReprojection([map([0.3, 0.3])], [map([0.3, 0.3])], { tieBreakRng: new Rng(1) }).identitySelection!.dataSync();
    expect(Array.from(run())).toEqual(Array.from(run()));
  });
});
