/** Data roots are read-only for training: synthesis never writes into someone's dataset, split paths stay inside the root. */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { generateWorld } from '../../src/data/synthetic/writer.js';
import { readSplit, SPLIT_FORMATS } from '../../src/data/splits.js';
import { KittiRawDataset } from '../../src/data/kitti_raw.js';
import { loadConfig } from '../../src/config/load.js';

const root = mkdtempSync(join(tmpdir(), 'sd-dataroot-'));

describe('synthesis target', () => {
  it('a folder with other data and no synth_manifest.json is refused and left untouched', async () => {
    const real = join(root, 'kitti_root');
    mkdirSync(join(real, '2011_09_26'), { recursive: true });
    writeFileSync(join(real, '2011_09_26', 'calib_cam_to_cam.txt'), 'P_rect_02: 1\n');
    await expect(generateWorld({ world: 'kitti', out: real, count: 2, height: 32, width: 96, seed: '0', progress: false })).rejects.toThrow(
      /refusing to render into .*kitti_root: it holds other data \(2011_09_26\) and no synth_manifest\.json/,
    );
    expect(readdirSync(real)).toEqual(['2011_09_26']);
  });
  it('a file is not a folder', async () => {
    const f = join(root, 'file');
    writeFileSync(f, 'x');
    await expect(generateWorld({ world: 'kitti', out: f, count: 2, progress: false })).rejects.toThrow(/output .*file is a file/);
  });
});

describe('split paths stay inside the data root', () => {
  it("'..' above the root or an absolute path is an error naming file and line, unless allowed", () => {
    expect(() => readSplit({ lines: ['2011_09_26/drive_a 1 l', '../../outside/drive 1 l'], name: 'train.txt' }, SPLIT_FORMATS.folderFrameSide)).toThrow(
      /train\.txt:2: path '\.\.\/\.\.\/outside\/drive' leaves the data root \('\.\.' above it\).*allow_outside_root: true/,
    );
    expect(() => readSplit({ lines: ['a/l.png /etc/r.png'], name: 'pairs.txt' }, SPLIT_FORMATS.pair)).toThrow(/pairs\.txt:1: path '\/etc\/r\.png' leaves the data root \(absolute\)/);
    expect(readSplit({ lines: ['a/../b/drive 1 l'], name: 't' }, SPLIT_FORMATS.folderFrameSide)).toHaveLength(1); // stays inside
    expect(readSplit({ lines: ['../outside/drive 1 l'], name: 't', allowOutsideRoot: true }, SPLIT_FORMATS.folderFrameSide)).toHaveLength(1);
  });
  it('the KITTI adapter (auto line format) refuses it too', () => {
    expect(() => new KittiRawDataset({ dataPath: root, split: { lines: ['../x/y 1 l'], name: 's.txt' } })).toThrow(/s\.txt:1: path '\.\.\/x\/y' leaves the data root/);
  });
  it('the config key allow_outside_root exists per dataset entry (default false)', () => {
    const c = loadConfig('configs/synthetic/tiny.yaml', ['data.train.allow_outside_root=true']).config;
    expect(c.data.train.allow_outside_root).toBe(true);
    expect(c.data.val!.allow_outside_root).toBe(false);
  });
});
