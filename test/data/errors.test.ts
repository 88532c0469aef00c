/** Bad input gives an error that names the file / key / line and what was expected (issue 15, the POOR cases). */
import { mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';

import { createDataset } from '../../src/data/registry.js';
import { H5Reader } from '../../src/io/h5.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../src/train/checkpoint.js';
import { withPath } from '../../src/util/atomic.js';
import { loadConfig } from '../../src/config/load.js';
import { writeTestImage } from '../helpers/synthetic_images.js';

const root = mkdtempSync(join(tmpdir(), 'sd-errors-'));

describe('input errors name the file and what was expected', () => {
  it('a stereo pair of different sizes names both files (so both cameras)', async () => {
    const dir = join(root, 'pairs');
    mkdirSync(join(dir, 'left'), { recursive: true });
    mkdirSync(join(dir, 'right'), { recursive: true });
    await writeTestImage(join(dir, 'left/a.png'), 64, 32);
    await writeTestImage(join(dir, 'right/a.png'), 60, 32);
    writeFileSync(join(dir, 'camera.yaml'), 'fx: 50\nfy: 50\ncx: 32\ncy: 16\nwidth: 64\nheight: 32\nbaseline: 0.1\n');
    const ds = await createDataset('folder_pairs', { path: dir, options: {} });
    await expect(ds.get(0)).rejects.toThrow(/stereo pair of different sizes: .*left\/a\.png is 64x32 but its partner view .*right\/a\.png is 60x32/);
  });
  it('a truncated .h5 is named as truncated, before the HDF5 library prints its dump', async () => {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const path = join(root, 'cut.h5');
    const f = new h5wasm.File(path, 'w');
    f.create_dataset({ name: 'depth', data: new Float32Array(64 * 64).fill(1), shape: [64, 64] });
    f.close();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await expect(H5Reader.open(path)).rejects.toThrow(/truncated HDF5 file: its superblock says \d+ bytes, the file has \d+.*cut\.h5/);
    writeFileSync(join(root, 'text.h5'), 'hello');
    await expect(H5Reader.open(join(root, 'text.h5'))).rejects.toThrow(/not an HDF5 file.*text\.h5/);
  });
  it('state.json without config.data, or with a negative step, names the key', async () => {
    const run = join(root, 'state');
    const state = { format: 'stereodepth-checkpoint/1', step: 4, optimizerStep: 4, loader: { epoch: 0 }, best: null, config: { data: {}, model: {}, loss: {}, optim: {}, train: {} }, savedAt: '' } as unknown as CheckpointState;
    const dir = await saveCheckpoint(run, { 'encoder/w': tf.tensor1d([1]) }, null, state, 3);
    const path = join(dir, 'state.json');
    const edit = (f: (s: Record<string, any>) => void) => {
      const s = JSON.parse(readFileSync(path, 'utf8'));
      f(s);
      writeFileSync(path, JSON.stringify(s));
    };
    edit((s) => delete s.config.data);
    await expect(loadCheckpoint(run)).rejects.toThrow(/state\.json: 'config\.data' is missing: expected the run config's data section/);
    edit((s) => {
      s.config.data = {};
      s.step = -3;
    });
    await expect(loadCheckpoint(run)).rejects.toThrow(/state\.json: 'step' is -3: expected a whole number >= 0/);
  });
  it('a full disk names the path being written', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const e = withPath(err, '/runs/x/checkpoints/step_000008.tmp-1/model.sdt') as NodeJS.ErrnoException;
    expect(e.message).toMatch(/writing \/runs\/x\/checkpoints\/step_000008\.tmp-1\/model\.sdt: ENOSPC.*the disk is full/);
    expect(e.code).toBe('ENOSPC');
  });
  it('data.height not a multiple of 32 is refused at config load, naming the key', () => {
    expect(() => loadConfig('configs/synthetic/tiny.yaml', ['data.height=70'])).toThrow(/'data\.height' \(--set data\.height=70\): must be a multiple of 32/);
    expect(() => loadConfig('configs/synthetic/tiny.yaml', ['data.width=200'])).toThrow(/'data\.width'.*multiple of 32/);
  });
});
