import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { saveTensors, loadTensors } from '../../src/models/tensor_file.js';
import { loadInto } from '../../src/models/weights.js';

beforeAll(async () => { await initBackend('cpu'); });

describe('weights I/O', () => {
  it('round-trips float32/int32 tensors and names shape mismatches and missing variables', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sdw-')), 'w.bin');
    const a = tf.tensor([1.5, -2, 3], [3]);
    const b = tf.tensor([[7, 8]], [1, 2], 'int32');
    await saveTensors(file, { 'x/a': a, 'x/b': b });
    const got = await loadTensors(file);
    expect(Array.from(got['x/a'].dataSync())).toEqual([1.5, -2, 3]);
    expect(got['x/b'].dtype).toBe('int32');
    expect(got['x/b'].shape).toEqual([1, 2]);
    const v = tf.variable(tf.zeros([3]));
    expect(loadInto({ 'x/a': v }, got, { strict: false })).toEqual(['x/a']);
    expect(Array.from(v.dataSync())).toEqual([1.5, -2, 3]);
    expect(() => loadInto({ 'x/a': v }, got)).toThrow(/unexpected \[x\/b\]/);
    const w = tf.variable(tf.zeros([2]));
    expect(() => loadInto({ 'x/a': w }, got, { strict: false })).toThrow(/"x\/a" has shape \[2\] but the file has \[3\]/);
    tf.dispose([a, b, v, w, ...Object.values(got)]);
  });
});
