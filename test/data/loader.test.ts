import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { MONODEPTH2_AUGMENTATION } from '../../src/data/augment_config.js';
import { Loader } from '../../src/data/loader.js';
import { DatasetError, type Dataset, type StereoSample } from '../../src/data/types.js';

/** An in-memory dataset: sample i is a 12x20 image filled with value i; `bad` indices throw like a missing file. */
function fakeDataset(n: number, bad: number[] = [], delayMs = 0): Dataset & { reads: number[] } {
  const reads: number[] = [];
  return {
    name: 'fake',
    length: n,
    reads,
    ref: (i) => ({ file: 'fake.txt', line: i + 1, text: `sample ${i}` }),
    async get(i): Promise<StereoSample> {
      reads.push(i);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (bad.includes(i)) throw new DatasetError(`missing image: expected a file at /data/${i}.png`, `/data/${i}.png`, { file: 'fake.txt', line: i + 1, text: `sample ${i}` });
      const img = { data: new Uint8Array(12 * 20 * 3).fill(i), width: 20, height: 12, channels: 3 as const };
      return { id: `sample ${i}`, left: img, right: img, camera: { K: [10, 0, 10, 0, 10, 6, 0, 0, 1], width: 20, height: 12, focal: 10, baseline: 0.5 } };
    },
  };
}

async function take(loader: Loader, n: number): Promise<{ ids: string[][]; means: number[] }> {
  const ids: string[][] = [];
  const means: number[] = [];
  for (let k = 0; k < n; k++) {
    const b = await loader.next();
    ids.push(b.ids);
    means.push((await tf.mean(b.leftInput).data())[0]!);
    b.dispose();
  }
  return { ids, means };
}

const base = { batchSize: 3, height: 8, width: 16, seed: 7, augment: MONODEPTH2_AUGMENTATION };

describe('Loader', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('same seed -> same batches and augmentation; another seed -> another order', async () => {
    const a = await take(new Loader(fakeDataset(10), base), 7);
    const b = await take(new Loader(fakeDataset(10), base), 7);
    const c = await take(new Loader(fakeDataset(10), { ...base, seed: 8 }), 7);
    expect(a).toEqual(b);
    expect(c.ids).not.toEqual(a.ids);
  });

  it('drop_last gives floor(N/B) batches per epoch, every sample at most once per epoch; epochs reshuffle', async () => {
    const loader = new Loader(fakeDataset(10), base);
    expect(loader.batchesPerEpoch).toBe(3);
    const { ids } = await take(loader, 6);
    const epoch0 = ids.slice(0, 3).flat();
    const epoch1 = ids.slice(3).flat();
    expect(new Set(epoch0).size).toBe(9);
    expect(new Set(epoch1).size).toBe(9);
    expect(epoch1).not.toEqual(epoch0);
    const keep = new Loader(fakeDataset(10), { ...base, dropLast: false });
    expect(keep.batchesPerEpoch).toBe(4);
    const last = (await take(keep, 4)).ids[3]!;
    expect(last).toHaveLength(1);
  });

  it('restoring a saved state continues with exactly the same batches', async () => {
    const full = await take(new Loader(fakeDataset(10), base), 8);
    const first = new Loader(fakeDataset(10), base);
    await take(first, 5);
    const state = first.state();
    expect(state).toEqual({ epoch: 1, batch: 2 });
    const resumed = new Loader(fakeDataset(10), base);
    resumed.restore(state);
    const rest = await take(resumed, 3);
    expect(rest.ids).toEqual(full.ids.slice(5));
    expect(rest.means).toEqual(full.means.slice(5));
  });

  it('prefetches the next batches while the current one is in use', async () => {
    const ds = fakeDataset(12, [], 5);
    const loader = new Loader(ds, { ...base, prefetch: 2 });
    const b = await loader.next();
    await new Promise((r) => setTimeout(r, 30));
    expect(ds.reads.length).toBeGreaterThanOrEqual(9); // this batch + 2 ahead
    b.dispose();
  });

  it('a bad sample stops the run with its file, or is skipped and counted', async () => {
    await expect(take(new Loader(fakeDataset(6, [2]), { ...base, shuffle: false }), 2)).rejects.toThrow(/\/data\/2\.png.*fake\.txt:3/);
    const skipping = new Loader(fakeDataset(6, [2]), { ...base, shuffle: false, onBadSample: 'skip' });
    const { ids } = await take(skipping, 4);
    expect(ids[0]).toEqual(['sample 0', 'sample 1']);
    expect(skipping.badSamples).toEqual([{ index: 2, id: 'sample 2', message: expect.stringMatching(/missing image/) }]);
  });

  it('batches carry per-sample cameras and are leak-free', async () => {
    const loader = new Loader(fakeDataset(6), base);
    const before = tf.memory().numTensors;
    const b = await loader.next();
    expect(b.left.shape).toEqual([3, 8, 16, 3]);
    expect(b.K).toHaveLength(3);
    expect(b.focal[0]).toBeCloseTo(10 * (16 / 20), 5);
    expect(b.baseline.map(Math.abs)).toEqual([0.5, 0.5, 0.5]);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a dataset smaller than one batch with drop_last, naming the fix', () => {
    expect(() => new Loader(fakeDataset(2), base)).toThrow(/fewer than one batch.*drop_last/);
  });
});
