import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { datasetSchema, datasetSchemaFor } from '../../src/config/data_schema.js';
import { createDataset, DATASET_NAMES, DATASETS } from '../../src/data/registry.js';
import { writeRgb } from '../../src/io/image.js';
import { tinyGreyDescriptor } from './fixtures/tiny_dataset.js';

describe('dataset registry from descriptors', () => {
  it("the config schema's dataset names are the registry's (no second list)", () => {
    expect(datasetSchema.safeParse({ dataset: 'kitti_raw', path: 'x', split: 's' }).success).toBe(true);
    for (const name of DATASET_NAMES) {
      const d = DATASETS.find((x) => x.name === name)!;
      const entry = { dataset: name, path: 'x', ...(d.needsSplit ? { split: 's' } : {}) };
      expect(datasetSchema.safeParse(entry).success, name).toBe(true);
    }
    const bad = datasetSchema.safeParse({ dataset: 'tiny_grey', path: 'x' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toContain('kitti_raw');
  });

  it('adding a dataset = one adapter file + one registry line: the tiny one validates, creates and loads', async () => {
    const registry = [...DATASETS, tinyGreyDescriptor];
    const schema = datasetSchemaFor(registry);
    const entry = schema.parse({ dataset: 'tiny_grey', path: 'unused', options: { count: 2, grey: 10 } });
    const ds = await createDataset(entry.dataset, { path: entry.path, options: entry.options }, 'data.train', registry);
    expect(ds.length).toBe(2);
    const s = await ds.get(1);
    expect([s.id, s.left.width, s.left.data[0]]).toEqual(['tiny_1', 8, 10]);
    // its options are checked by its own schema, through the derived config schema and at creation
    const typo = schema.safeParse({ dataset: 'tiny_grey', path: 'x', options: { greyy: 3 } });
    expect(typo.success).toBe(false);
    expect(typo.error!.issues[0]!.message).toMatch(/unknown option for dataset tiny_grey; it takes count, size, grey/);
    await expect(createDataset('tiny_grey', { path: 'x', options: { grey: 300 } }, 'data.val', registry)).rejects.toThrow(/data\.val\.options\.grey/);
  });

  it('a dataset that reads a split file without one is refused when the config loads, with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-registry-'));
    writeFileSync(join(dir, 'c.yaml'), 'data:\n  train:\n    dataset: simsin\n    path: data/x\n');
    expect(() => loadConfig(join(dir, 'c.yaml'))).toThrow(/key 'data\.train\.split' \(.*c\.yaml:2\): dataset simsin needs a split file/);
    writeFileSync(join(dir, 'ok.yaml'), 'data:\n  train:\n    dataset: folder_pairs\n    path: data/x\n');
    expect(loadConfig(join(dir, 'ok.yaml')).config.data.train.dataset).toBe('folder_pairs');
  });

  it('the stereo baseline option of SimSIN-style datasets sets the camera baseline (the old unread `metric` option is gone)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sd-simsin-'));
    const img = { data: new Uint8Array(4 * 4 * 3).fill(90), width: 4, height: 4, channels: 3 as const };
    await writeRgb(join(root, 'replica/room_0/005_0.png'), img);
    await writeRgb(join(root, 'replica/room_0/005_1.png'), img);
    const split = { lines: ['replica/room_0/000_0 5 l'] };
    expect((await (await createDataset('simsin', { path: root, split, options: {} })).get(0)).camera.baseline).toBe(0.1312);
    expect((await (await createDataset('simsin', { path: root, split, options: { baseline: 0.2 } })).get(0)).camera.baseline).toBe(0.2);
    expect(datasetSchema.safeParse({ dataset: 'simsin', path: 'x', split: 's', options: { baseline: 0.2 } }).success).toBe(true);
    expect(datasetSchema.safeParse({ dataset: 'simsin', path: 'x', split: 's', options: { baseline: -1 } }).success).toBe(false);
    expect(datasetSchema.safeParse({ dataset: 'kitti_raw', path: 'x', split: 's', options: { metric: {} } }).success).toBe(false);
  });
});
